"""Spare parts (备件): the catalogue, stock locations, the append-only ledger and its balances,
requisitions (备件申领单) and old-part returns (旧件回收)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from serviceloop.core.models import TimestampedModel
from serviceloop.core.scoping import ScopedQuerySet

from .choices import (
    LocationKind,
    MoveKind,
    OldPartStatus,
    PartCategory,
    RequisitionStatus,
    Tracking,
)

USER = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 12, "decimal_places": 2}


class Part(TimestampedModel):
    """备件: one part number of the catalogue."""

    number = models.CharField(_("part number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    specification = models.CharField(_("specification"), max_length=300, blank=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=20, default="个")
    compatible_models = models.ManyToManyField(
        "assets.ProductModel", verbose_name=_("compatible product models"), blank=True, related_name="parts"
    )
    category = models.CharField(_("category"), max_length=10, choices=PartCategory.choices,
                                default=PartCategory.COMMON)
    tracking = models.CharField(_("tracking"), max_length=10, choices=Tracking.choices, default=Tracking.QUANTITY)
    standard_cost = models.DecimalField(_("standard cost"), default=0, validators=[MinValueValidator(0)], **MONEY)
    sale_price = models.DecimalField(_("sale price"), default=0, validators=[MinValueValidator(0)], **MONEY)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (working days)"), default=0)
    active = models.BooleanField(_("active"), default=True)

    scope_global = True
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")
        ordering = ["number"]
        indexes = [models.Index(fields=["name"], name="part_name"),
                   models.Index(fields=["category", "number"], name="part_category_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("parts:part_detail", args=[self.pk])

    @property
    def serial_tracked(self) -> bool:
        return self.tracking == Tracking.SERIAL


class Location(TimestampedModel):
    """库位/仓库: where stock is (a warehouse, a van, the bench, quarantine, scrap, in transit, a site)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=LocationKind.choices)
    branch = models.ForeignKey("accounts.Branch", verbose_name=_("branch"), on_delete=models.PROTECT,
                               related_name="stock_locations")
    engineer = models.ForeignKey(USER, verbose_name=_("engineer"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="vans", help_text=_("The engineer whose van this is."))
    active = models.BooleanField(_("active"), default=True)

    scope_paths = {"branch": "branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        ordering = ["branch__code", "kind", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="van", engineer__isnull=False) | ~Q(kind="van"),
                                   name="location_van_has_engineer"),
            models.UniqueConstraint(fields=["engineer"], condition=Q(kind="van"), name="uniq_van_per_engineer"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("parts:location_detail", args=[self.pk])


class SafetyStock(models.Model):
    """安全库存: the minimum of one part at one location; below it a reorder is suggested."""

    part = models.ForeignKey(Part, verbose_name=_("spare part"), on_delete=models.CASCADE, related_name="safety_stocks")
    location = models.ForeignKey(Location, verbose_name=_("stock location"), on_delete=models.CASCADE,
                                 related_name="safety_stocks")
    minimum = models.PositiveIntegerField(_("safety stock"))

    scope_paths = {"branch": "location__branch"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety stock")
        verbose_name_plural = _("safety stocks")
        constraints = [models.UniqueConstraint(fields=["part", "location"], name="uniq_safety_part_location")]

    def __str__(self) -> str:
        return f"{self.part.number} @ {self.location.code}: {self.minimum}"


class StockBalance(models.Model):
    """On hand and reserved of one part at one location, kept in the transaction of every move."""

    part = models.ForeignKey(Part, verbose_name=_("spare part"), on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(Location, verbose_name=_("stock location"), on_delete=models.PROTECT,
                                 related_name="balances")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    scope_paths = {"branch": "location__branch"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["part", "location"], name="uniq_balance_part_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="balance_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0) & Q(reserved__lte=F("on_hand")),
                                   name="balance_reserved_within_on_hand"),
        ]
        indexes = [models.Index(fields=["location", "part"], name="balance_location_part")]

    def __str__(self) -> str:
        return f"{self.part.number} @ {self.location.code}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class PartSerial(models.Model):
    """One unit of a part tracked one by one (unique ID): where it is now, fitted to which unit."""

    part = models.ForeignKey(Part, verbose_name=_("spare part"), on_delete=models.PROTECT, related_name="serials")
    serial = models.CharField(_("unique ID"), max_length=60)
    location = models.ForeignKey(Location, verbose_name=_("stock location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="serials",
                                 help_text=_("Empty: outside the books (returned to the supplier, counted missing)."))
    unit = models.ForeignKey("assets.Unit", verbose_name=_("fitted to unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="fitted_parts")

    scope_global = True
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("part unique ID")
        verbose_name_plural = _("part unique IDs")
        constraints = [models.UniqueConstraint(fields=["part", "serial"], name="uniq_part_serial")]
        indexes = [models.Index(fields=["location", "part"], name="serial_location_part"),
                   models.Index(fields=["serial"], name="serial_serial")]

    def __str__(self) -> str:
        return f"{self.part.number} #{self.serial}"

    def get_absolute_url(self) -> str:
        return reverse("parts:serial_detail", args=[self.pk])


class AppendOnlyError(ValidationError):
    pass


class StockMove(models.Model):
    """出入库记录: one line of the append-only ledger. Corrected only by a reversing move."""

    kind = models.CharField(_("kind"), max_length=16, choices=MoveKind.choices)
    part = models.ForeignKey(Part, verbose_name=_("spare part"), on_delete=models.PROTECT, related_name="moves")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    from_location = models.ForeignKey(Location, verbose_name=_("from"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="moves_out")
    to_location = models.ForeignKey(Location, verbose_name=_("to"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="moves_in")
    serials = models.ManyToManyField(PartSerial, verbose_name=_("unique IDs"), blank=True, related_name="moves")
    branch = models.ForeignKey("accounts.Branch", verbose_name=_("branch"), on_delete=models.PROTECT,
                               related_name="+", help_text=_("The branch whose books the move belongs to."))
    requisition = models.ForeignKey("Requisition", verbose_name=_("requisition"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="moves")
    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("work order"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="stock_moves")
    unit = models.ForeignKey("assets.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="stock_moves")
    old_part = models.ForeignKey("OldPartReturn", verbose_name=_("old part"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="moves")
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(USER, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)

    scope_paths = {"branch": "branch"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="move_quantity_positive"),
            models.CheckConstraint(condition=Q(from_location__isnull=False) | Q(to_location__isnull=False),
                                   name="move_has_a_location"),
            models.CheckConstraint(condition=~Q(from_location=F("to_location")) | Q(from_location__isnull=True),
                                   name="move_not_to_same_location"),
        ]
        indexes = [
            models.Index(fields=["part", "-at"], name="move_part_at"),
            models.Index(fields=["from_location", "part"], name="move_from_part"),
            models.Index(fields=["to_location", "part"], name="move_to_part"),
            models.Index(fields=["work_order"], name="move_work_order"),
            models.Index(fields=["branch", "-at"], name="move_branch_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.part.number} x{self.quantity}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(_("A stock move is never changed: post a reversing move instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("A stock move is never deleted: post a reversing move instead."))


class Requisition(TimestampedModel):
    """备件申领单: parts an engineer asks for from a work order."""

    number = models.CharField(_("requisition number"), max_length=20, unique=True, editable=False)
    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("work order"), on_delete=models.PROTECT,
                                   related_name="requisitions")
    requested_by = models.ForeignKey(USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    purpose = models.TextField(_("purpose"))
    status = models.CharField(_("status"), max_length=10, choices=RequisitionStatus.choices,
                              default=RequisitionStatus.SUBMITTED)
    source = models.ForeignKey(Location, verbose_name=_("issued from"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Location, verbose_name=_("issued to"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(USER, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    issued_by = models.ForeignKey(USER, verbose_name=_("issued by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    scope_paths = {"customer": "work_order__customer", "branch": "work_order__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_requisition", _("Can approve or refuse spare part requisitions")),
            ("issue_requisition", _("Can issue spare parts")),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="requisition_status_created"),
                   models.Index(fields=["requested_by", "status"], name="requisition_requester")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:requisition_detail", args=[self.pk])

    @property
    def partly_approved(self) -> bool:
        return self.decided_at is not None and self.status != RequisitionStatus.REFUSED and any(
            line.quantity_approved < line.quantity for line in self.lines.all())


class RequisitionLine(models.Model):
    requisition = models.ForeignKey(Requisition, verbose_name=_("requisition"), on_delete=models.CASCADE,
                                    related_name="lines")
    part = models.ForeignKey(Part, verbose_name=_("spare part"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity requested"), validators=[MinValueValidator(1)])
    quantity_approved = models.PositiveIntegerField(_("quantity approved"), default=0)
    quantity_issued = models.PositiveIntegerField(_("quantity issued"), default=0)
    quantity_fitted = models.PositiveIntegerField(_("quantity fitted"), default=0)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=500, blank=True)

    scope_paths = {"customer": "requisition__work_order__customer", "branch": "requisition__work_order__branch"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("requisition line")
        verbose_name_plural = _("requisition lines")
        ordering = ["requisition", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reqline_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_approved__lte=F("quantity")), name="reqline_approved_le_asked"),
            models.CheckConstraint(condition=Q(quantity_issued__lte=F("quantity_approved")),
                                   name="reqline_issued_le_approved"),
            models.CheckConstraint(condition=Q(quantity_fitted__lte=F("quantity_issued")),
                                   name="reqline_fitted_le_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.part.number} x{self.quantity}"

    @property
    def to_fit(self) -> int:
        return self.quantity_issued - self.quantity_fitted


class OldPartReturn(TimestampedModel):
    """旧件回收: the old part replaced on a work order, owed back to quarantine by a due date."""

    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("work order"), on_delete=models.PROTECT,
                                   related_name="old_parts")
    line = models.ForeignKey(RequisitionLine, verbose_name=_("requisition line"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="old_parts")
    part = models.ForeignKey(Part, verbose_name=_("spare part"), on_delete=models.PROTECT, related_name="old_parts")
    serial = models.CharField(_("old part unique ID"), max_length=60, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    engineer = models.ForeignKey(USER, verbose_name=_("engineer"), on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("return due"))
    status = models.CharField(_("status"), max_length=10, choices=OldPartStatus.choices, default=OldPartStatus.DUE)
    received_by = models.ForeignKey(USER, verbose_name=_("received by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    location = models.ForeignKey(Location, verbose_name=_("stock location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    scope_paths = {"customer": "work_order__customer", "branch": "work_order__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("old part return")
        verbose_name_plural = _("old part returns")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="oldpart_status_due"),
                   models.Index(fields=["engineer", "status"], name="oldpart_engineer_status")]

    def __str__(self) -> str:
        return f"{self.part.number} {self.serial or ''} ({self.work_order})".strip()

    def get_absolute_url(self) -> str:
        return reverse("parts:old_part_detail", args=[self.pk])

    @property
    def overdue(self) -> bool:
        return self.status == OldPartStatus.DUE and self.due_date < timezone.localdate()
