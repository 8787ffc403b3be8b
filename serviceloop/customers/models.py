from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from serviceloop.core.models import TimestampedModel

from .choices import CustomerLevel

code_validator = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", _("Use letters, digits, '-', '_' or '.' only."))


class Customer(TimestampedModel):
    """客户: the buying company."""

    code = models.CharField(_("customer code"), max_length=30, unique=True, validators=[code_validator])
    name = models.CharField(_("customer name"), max_length=200)
    level = models.CharField(_("customer level"), max_length=1, choices=CustomerLevel.choices, default=CustomerLevel.NORMAL)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="customers"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)

    scope_paths = {"customer": "pk", "branch": "branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["branch", "code"], name="customer_branch_code"),
            models.Index(fields=["name"], name="customer_name"),
            models.Index(fields=["phone"], name="customer_phone_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])


class Site(TimestampedModel):
    """现场/场地: a location of a customer where units are installed."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("site name"), max_length=200)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    scope_paths = {"customer": "customer", "branch": "customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["customer", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="uniq_site_name_per_customer")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.customer_id])


class Contact(TimestampedModel):
    """联系人: a person at the customer."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts")
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    scope_paths = {"customer": "customer", "branch": "customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "-is_primary", "name"]
        # varchar_pattern_ops: phone-prefix searches (LIKE '139%') use the index on PostgreSQL too
        indexes = [models.Index(fields=["phone"], name="contact_phone_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.customer_id])
