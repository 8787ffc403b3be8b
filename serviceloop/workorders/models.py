"""Work orders (派工单 WO), assignments, visits, field records, help requests to HQ (协作申请单)
with support confirmations (技术支持确认单), service reports (售后服务记录单 PSR), detailed
service work reports (售后服务工作报告书) and fee lines."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from serviceloop.core.models import TimestampedModel
from serviceloop.core.scoping import ScopedQuerySet

from .choices import (
    OPEN_STATUSES,
    AssignmentRole,
    ChargePayer,
    FeeKind,
    HelpRequestStatus,
    ReportStatus,
    WorkOrderStatus,
    WorkResult,
)

S = WorkOrderStatus

# The one table of allowed status moves: move -> (allowed from-states, to-state).
# Only services.py moves a work order; an illegal move is a ValidationError "illegal_transition".
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({S.DRAFT, S.DECLINED, S.PENDING_APPROVAL}), S.PENDING_APPROVAL),
    "reject": (frozenset({S.PENDING_APPROVAL}), S.DRAFT),
    "approve": (frozenset({S.PENDING_APPROVAL}), S.DISPATCHED),
    "accept": (frozenset({S.DISPATCHED}), S.ACCEPTED),
    "decline": (frozenset({S.DISPATCHED, S.ACCEPTED}), S.DECLINED),
    "check_in": (frozenset({S.ACCEPTED, S.ON_SITE}), S.ON_SITE),
    "complete": (frozenset({S.ON_SITE}), S.COMPLETED),
    "close": (frozenset({S.COMPLETED}), S.CLOSED),
    "cancel": (frozenset({S.DRAFT, S.DECLINED, S.PENDING_APPROVAL, S.DISPATCHED, S.ACCEPTED}), S.CANCELLED),
}

WO_SCOPE = {"customer": "work_order__customer", "branch": "work_order__branch"}
USER = settings.AUTH_USER_MODEL


def _dated_path(folder: str, ext: str) -> str:
    now = timezone.now()
    return f"workorders/{folder}/{now:%Y/%m}/{uuid.uuid4().hex}.{ext}"


def signature_path(instance: ServiceReport, filename: str) -> str:
    return _dated_path("signatures", "png")


def report_pdf_path(instance: ServiceReport, filename: str) -> str:
    return _dated_path("reports", "pdf")


class WorkOrder(TimestampedModel):
    """派工单 (WO): engineers sent to do on-site service for one service request."""

    number = models.CharField(_("work order number"), max_length=20, unique=True, editable=False)
    service_request = models.ForeignKey(
        "service.ServiceRequest", verbose_name=_("service request"), on_delete=models.PROTECT,
        related_name="work_orders",
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="work_orders"
    )
    site = models.ForeignKey(
        "customers.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        "assets.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="work_orders",
    )
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("branch"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="work_orders", help_text=_("The customer's branch when the work order was created."),
    )
    status = models.CharField(_("status"), max_length=20, choices=WorkOrderStatus.choices, default=S.DRAFT)
    description = models.TextField(_("task"), blank=True, help_text=_("What the engineers are sent to do."))
    work_instruction = models.TextField(
        _("work instruction"), blank=True, help_text=_("The steps and tests of the work instruction to follow.")
    )
    required_skill = models.ForeignKey(
        "accounts.Skill", verbose_name=_("required skill"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    chargeable = models.BooleanField(_("chargeable"), default=False)
    dispatched_by = models.ForeignKey(
        USER, verbose_name=_("dispatched by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("engineers assigned at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        USER, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("customer contacted at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("first arrival on site"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=WorkResult.choices, blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    parts_used = models.TextField(_("parts used"), blank=True)
    escalation_plan = models.TextField(
        _("escalation plan"), blank=True,
        help_text=_("The plan of the technical or process department for a problem not solved on site."),
    )
    escalation_planned_by = models.ForeignKey(
        USER, verbose_name=_("plan recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation_planned_at = models.DateTimeField(_("plan recorded at"), null=True, blank=True)
    billing_sales_order = models.ForeignKey(
        "assets.SalesOrder", verbose_name=_("billing sales order"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="billed_work_orders",
        help_text=_("The sales order (SO) that bills the fees of a chargeable job."),
    )
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)

    scope_paths = {"customer": "customer", "branch": "branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("dispatch_workorder", _("Can dispatch work orders to engineers")),
            ("approve_workorder", _("Can approve the dispatch of work orders")),
            ("close_workorder", _("Can close work orders")),
            ("plan_escalation", _("Can record the plan for an escalated work order")),
        ]
        indexes = [
            models.Index(fields=["status", "planned_date"], name="wo_status_planned"),
            models.Index(fields=["customer", "-created_at"], name="wo_customer_created"),
            models.Index(fields=["branch", "status"], name="wo_branch_status"),
            models.Index(fields=["unit", "-created_at"], name="wo_unit_created"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("workorders:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def work_site(self):
        """Where the work is done: the work order's site, else the unit's site (set after the work order)."""
        if self.site_id:
            return self.site
        unit = self.unit if self.unit_id else None
        return unit.site if unit is not None and unit.site_id else None

    @property
    def site_address(self) -> str:
        """The address the engineers go to (print-outs): the site's city and address, else the customer's."""
        site = self.work_site
        if site is not None and (site.city or site.address):
            return " ".join(part for part in (site.city, site.address) if part)
        return self.customer.address or ""

    def can(self, move: str) -> bool:
        allowed, _target = TRANSITIONS[move]
        return self.status in allowed


class WorkOrderAssignment(models.Model):
    """One engineer on a work order: the lead or a helper. A declined or replaced assignment is
    released (kept for the record), so the active team is ``released_at IS NULL``."""

    work_order = models.ForeignKey(
        WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="assignments"
    )
    engineer = models.ForeignKey(USER, verbose_name=_("engineer"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=AssignmentRole.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        USER, verbose_name=_("assigned by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    decline_reason = models.TextField(_("decline reason"), blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    help_request = models.ForeignKey(
        "HelpRequest", verbose_name=_("help request"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Set when an HQ engineer joined through a help request."),
    )

    scope_paths = WO_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("work order assignment")
        verbose_name_plural = _("work order assignments")
        ordering = ["work_order", "role", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "engineer"], condition=Q(released_at__isnull=True),
                                    name="uniq_active_assignment"),
            models.UniqueConstraint(fields=["work_order"], condition=Q(released_at__isnull=True, role="lead"),
                                    name="uniq_active_lead"),
        ]
        indexes = [models.Index(fields=["engineer", "released_at"], name="assignment_engineer_active")]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.engineer_id} {self.role}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class Visit(models.Model):
    """上门/现场服务: one check-in to check-out of one engineer on site."""

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE,
                                   related_name="visits")
    engineer = models.ForeignKey(USER, verbose_name=_("engineer"), on_delete=models.PROTECT, related_name="+")
    check_in_at = models.DateTimeField(_("checked in at"))
    check_in_latitude = models.DecimalField(
        _("check-in latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    check_in_longitude = models.DecimalField(
        _("check-in longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    check_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    check_out_latitude = models.DecimalField(
        _("check-out latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    check_out_longitude = models.DecimalField(
        _("check-out longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    note = models.TextField(_("note"), blank=True)

    scope_paths = WO_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["work_order", "check_in_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "engineer"], condition=Q(check_out_at__isnull=True),
                                    name="uniq_open_visit"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.engineer_id} {self.check_in_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        return self.check_out_at - self.check_in_at if self.check_out_at else None


class ProgressNote(models.Model):
    """Daily progress report of the engineers on site (seed 003 §5.3.1 b)."""

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE,
                                   related_name="progress_notes")
    author = models.ForeignKey(USER, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField(_("day"))
    note = models.TextField(_("progress"))
    created_at = models.DateTimeField(_("created at"))

    scope_paths = WO_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["work_order", "day", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.day}"


class TestRecord(models.Model):
    """A test done per the work instruction (作业指导书): item, measured result, pass or fail."""

    __test__ = False  # not a pytest class

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE,
                                   related_name="tests")
    item = models.CharField(_("test item"), max_length=200)
    result = models.CharField(_("measured result"), max_length=500, blank=True)
    passed = models.BooleanField(_("passed"))
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    scope_paths = WO_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("test record")
        verbose_name_plural = _("test records")
        ordering = ["work_order", "recorded_at", "id"]

    def __str__(self) -> str:
        return self.item


class LabourEntry(models.Model):
    """Labour hours of one engineer on one day for one work order."""

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE,
                                   related_name="labour")
    engineer = models.ForeignKey(USER, verbose_name=_("engineer"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    scope_paths = WO_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("labour entry")
        verbose_name_plural = _("labour entries")
        ordering = ["work_order", "day", "engineer", "id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "engineer", "day"], name="uniq_labour_engineer_day"),
            models.CheckConstraint(condition=Q(hours__gt=0, hours__lte=24), name="labour_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.engineer_id} {self.day} {self.hours}"


class HelpRequest(TimestampedModel):
    """协作申请单: a branch asks headquarters for an engineer on one of its work orders (seed 003 §5.2.2)."""

    number = models.CharField(_("help request number"), max_length=20, unique=True, editable=False)
    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.PROTECT,
                                   related_name="help_requests")
    requested_by = models.ForeignKey(USER, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    reason = models.TextField(_("reason"))
    skill = models.ForeignKey("accounts.Skill", verbose_name=_("skill needed"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    skill_note = models.CharField(_("skill needed (details)"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=HelpRequestStatus.choices,
                              default=HelpRequestStatus.PENDING)
    decided_by = models.ForeignKey(USER, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    hq_engineer = models.ForeignKey(USER, verbose_name=_("headquarters engineer"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    # the internal charge between the branch and headquarters, once the support is confirmed
    charge_amount = models.DecimalField(_("internal charge (CNY)"), max_digits=12, decimal_places=2, null=True,
                                        blank=True, validators=[MinValueValidator(Decimal("0"))])
    charge_basis = models.TextField(_("basis of the charge"), blank=True,
                                    help_text=_("The fee standard applied, e.g. engineer days x rate, travel."))
    charge_payer = models.CharField(_("who pays whom"), max_length=20, choices=ChargePayer.choices, blank=True)
    charged_by = models.ForeignKey(USER, verbose_name=_("charge recorded by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    charged_at = models.DateTimeField(_("charge recorded at"), null=True, blank=True)

    scope_paths = WO_SCOPE
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_helprequest", _("Can approve help requests to headquarters"))]
        indexes = [models.Index(fields=["status", "-created_at"], name="help_status_created")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("workorders:help_detail", args=[self.pk])

    @property
    def is_charged(self) -> bool:
        return self.charged_at is not None


class SupportConfirmation(TimestampedModel):
    """技术支持确认单: the branch confirms the support HQ gave; basis of the internal charge."""

    help_request = models.OneToOneField(HelpRequest, verbose_name=_("help request"), on_delete=models.CASCADE,
                                        related_name="confirmation")
    support_given = models.TextField(_("support given"))
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("1 (poor) to 5 (excellent)")
    )
    note = models.TextField(_("note"), blank=True)
    confirmed_by = models.ForeignKey(USER, verbose_name=_("confirmed by"), null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"))

    scope_paths = {"customer": "help_request__work_order__customer", "branch": "help_request__work_order__branch"}

    class Meta:
        verbose_name = _("support confirmation")
        verbose_name_plural = _("support confirmations")
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="support_rating_range"),
        ]

    def __str__(self) -> str:
        return f"{self.help_request_id} {self.rating}"


class ServiceReport(TimestampedModel):
    """售后服务记录单 (PSR): what was done, signed by the customer on the spot."""

    number = models.CharField(_("report number"), max_length=20, unique=True, editable=False)
    work_order = models.OneToOneField(WorkOrder, verbose_name=_("work order"), on_delete=models.PROTECT,
                                      related_name="service_report")
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    fault_description = models.TextField(_("fault"), blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    tests = models.JSONField(_("tests"), default=list, blank=True,
                             help_text=_("The tests done, as [{item, result, passed}]."))
    parts_used = models.TextField(_("parts used"), blank=True)
    labour_hours = models.DecimalField(_("labour hours"), max_digits=7, decimal_places=2, default=Decimal("0"))
    engineers = models.CharField(_("engineers"), max_length=300, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=WorkResult.choices, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=100, blank=True)
    signature = models.FileField(_("signature"), upload_to=signature_path, max_length=255, blank=True)
    signature_sha256 = models.CharField(_("signature SHA-256"), max_length=64, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_on_device_of = models.ForeignKey(
        USER, verbose_name=_("signed on the device of"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    satisfied = models.BooleanField(_("customer satisfied"), null=True, blank=True)
    unsatisfied_reason = models.TextField(_("why not satisfied"), blank=True)
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, blank=True)
    pdf = models.FileField(_("signed PDF"), upload_to=report_pdf_path, max_length=255, blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True, db_index=True)

    scope_paths = WO_SCOPE
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service report")
        verbose_name_plural = _("service reports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("workorders:report", args=[self.work_order_id])

    @property
    def is_signed(self) -> bool:
        return self.status == ReportStatus.SIGNED


class WorkReport(TimestampedModel):
    """售后服务工作报告书: the detailed report a major fault needs (seed 003 §5.3.5)."""

    work_order = models.OneToOneField(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE,
                                      related_name="work_report")
    fault_phenomenon = models.TextField(_("fault phenomenon"))
    cause_analysis = models.TextField(_("cause analysis"))
    actions_taken = models.TextField(_("actions taken"))
    preventive_suggestion = models.TextField(_("preventive suggestion"), blank=True)
    author = models.ForeignKey(USER, verbose_name=_("author"), null=True, on_delete=models.SET_NULL,
                               related_name="+")
    written_at = models.DateTimeField(_("written at"))

    scope_paths = WO_SCOPE
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service work report")
        verbose_name_plural = _("service work reports")
        ordering = ["-written_at", "-id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.written_at:%Y-%m-%d}"


CENT = Decimal("0.01")


class FeeLine(TimestampedModel):
    """One fee of a chargeable job (labour, travel, parts); billed by the work order's sales order."""

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE,
                                   related_name="fee_lines")
    kind = models.CharField(_("kind"), max_length=10, choices=FeeKind.choices)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2,
                                   validators=[MinValueValidator(Decimal("0.01"))])
    unit_price = models.DecimalField(_("unit price (CNY)"), max_digits=12, decimal_places=2,
                                     validators=[MinValueValidator(Decimal("0"))])
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, editable=False,
                                 default=Decimal("0"))

    scope_paths = WO_SCOPE
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fee line")
        verbose_name_plural = _("fee lines")
        ordering = ["work_order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="fee_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="fee_unit_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description}"

    def compute_amount(self) -> Decimal:
        return (Decimal(self.quantity) * Decimal(self.unit_price)).quantize(CENT, rounding=ROUND_HALF_UP)
