from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from serviceloop.core.models import TimestampedModel
from serviceloop.core.serials import parse_serials

from .choices import ServiceClass, SlaLevel, UnitStatus, WarrantyBasis


def new_qr_token() -> str:
    return secrets.token_urlsafe(12)


class ProductModel(TimestampedModel):
    """产品型号: what is sold; carries the service class and warranty months."""

    code = models.CharField(_("model code"), max_length=50, unique=True)
    name = models.CharField(_("model name"), max_length=200)
    service_class = models.CharField(_("service class"), max_length=20, choices=ServiceClass.choices)
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), default=12, validators=[MaxValueValidator(240)]
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    scope_global = True
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("assets:model_detail", args=[self.pk])


class SalesOrder(TimestampedModel):
    """销售单 (SO): the sale, source of the sale date."""

    number = models.CharField(_("SO number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="sales_orders"
    )
    order_date = models.DateField(_("order date"))
    note = models.TextField(_("note"), blank=True)

    scope_paths = {"customer": "customer", "branch": "customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-order_date", "-id"]
        indexes = [models.Index(fields=["customer", "-order_date"], name="so_customer_date")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("assets:so_detail", args=[self.pk])


class SalesOrderLine(TimestampedModel):
    order = models.ForeignKey(SalesOrder, verbose_name=_("sales order"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("line"))
    product_model = models.ForeignKey(ProductModel, verbose_name=_("product model"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    serial_numbers = models.TextField(
        _("serial numbers"), blank=True, help_text=_("One per line or separated by commas.")
    )

    scope_paths = {"customer": "order__customer", "branch": "order__customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sales order line")
        verbose_name_plural = _("sales order lines")
        ordering = ["order", "line_no"]
        constraints = [models.UniqueConstraint(fields=["order", "line_no"], name="uniq_so_line_no")]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.line_no}"

    def serial_list(self) -> list[str]:
        return parse_serials(self.serial_numbers)


class Unit(TimestampedModel):
    """设备 (出厂编号): one sold item by serial number; the installed base."""

    serial_number = models.CharField(_("serial number"), max_length=50, unique=True)
    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("product model"), on_delete=models.PROTECT, related_name="units"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="units",
    )
    site = models.ForeignKey(
        "customers.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="units"
    )
    so_line = models.ForeignKey(
        SalesOrderLine, verbose_name=_("sales order line"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="units",
    )
    status = models.CharField(_("status"), max_length=20, choices=UnitStatus.choices, default=UnitStatus.IN_SERVICE)
    ship_date = models.DateField(_("ship date"), null=True, blank=True)
    install_date = models.DateField(_("installation date"), null=True, blank=True)
    acceptance_date = models.DateField(_("acceptance date"), null=True, blank=True)
    warranty_basis = models.CharField(
        _("warranty starts from"), max_length=12, choices=WarrantyBasis.choices, blank=True, editable=False
    )
    warranty_start = models.DateField(_("warranty start"), null=True, blank=True, editable=False)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True, editable=False)
    qr_token = models.CharField(_("QR token"), max_length=32, unique=True, default=new_qr_token, editable=False)
    note = models.TextField(_("note"), blank=True)

    scope_paths = {"customer": "customer", "branch": "customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "-id"], name="unit_customer_id"),
            models.Index(fields=["product_model", "-id"], name="unit_model_id"),
            models.Index(fields=["warranty_end"], name="unit_warranty_end"),
            models.Index(fields=["ship_date"], name="unit_ship_date"),
            models.Index(fields=["status", "id"], name="unit_status_id"),
        ]

    def __str__(self) -> str:
        return self.serial_number

    def get_absolute_url(self) -> str:
        return reverse("assets:unit_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.ship_date and self.install_date and self.install_date < self.ship_date:
            errors["install_date"] = _("Installation cannot be before shipping.")
        if self.install_date and self.acceptance_date and self.acceptance_date < self.install_date:
            errors["acceptance_date"] = _("Acceptance cannot be before installation.")
        if self.site_id and self.customer_id and self.site.customer_id != self.customer_id:
            errors["site"] = _("This site belongs to another customer.")
        if self.so_line_id and self.customer_id and self.so_line.order.customer_id != self.customer_id:
            errors["so_line"] = _("This sales order belongs to another customer.")
        if errors:
            raise ValidationError(errors)


class ServiceContract(TimestampedModel):
    """服务合同/维保协议: paid coverage beyond or after warranty."""

    number = models.CharField(_("contract number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    covers_parts = models.BooleanField(_("covers parts"), default=True)
    covers_labour = models.BooleanField(_("covers labour"), default=True)
    covers_onsite = models.BooleanField(_("covers on-site service"), default=True)
    covers_preventive = models.BooleanField(_("covers preventive maintenance"), default=False)
    sla_level = models.CharField(_("SLA level"), max_length=10, choices=SlaLevel.choices, default=SlaLevel.STANDARD)
    price = models.DecimalField(_("price (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    units = models.ManyToManyField(Unit, verbose_name=_("covered units"), related_name="contracts", blank=True)
    note = models.TextField(_("note"), blank=True)

    scope_paths = {"customer": "customer", "branch": "customer__branch"}
    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="contract_period_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("assets:contract_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The contract cannot end before it starts.")})

    def coverage_keys(self) -> list[Any]:
        """What the contract covers, as lazy labels (a stored message translates them for each reader)."""
        labels = []
        if self.covers_parts:
            labels.append(_("parts"))
        if self.covers_labour:
            labels.append(_("labour"))
        if self.covers_onsite:
            labels.append(_("on-site"))
        if self.covers_preventive:
            labels.append(_("preventive maintenance"))
        return labels

    def coverage_labels(self) -> list[str]:
        return [str(label) for label in self.coverage_keys()]
