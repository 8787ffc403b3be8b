"""Service requests (服务请求/报修单, the CSI), their reviews, SLA policies, the SLA event log and escalations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from serviceloop.assets.choices import SlaLevel, WarrantyState
from serviceloop.core.messages import render
from serviceloop.core.models import TimestampedModel
from serviceloop.core.scoping import ScopedQuerySet
from serviceloop.customers.choices import CustomerLevel

from .choices import (
    OPEN_STATUSES,
    ConfirmationChannel,
    EscalationLevel,
    PauseReason,
    Priority,
    RequestChannel,
    RequestStatus,
    RequestType,
    ResolutionConfirmation,
    ServicePlan,
    Severity,
    SlaEventKind,
    SlaTarget,
)

S = RequestStatus

# The one table of allowed status moves: service name -> (allowed from-states, to-state).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    # a review starts once, from a new request; a plan the customer rejects goes back under review
    "start_review": (frozenset({S.NEW}), S.UNDER_REVIEW),
    "propose_plan": (frozenset({S.NEW, S.UNDER_REVIEW}), S.PLAN_PROPOSED),
    "confirm_plan": (frozenset({S.PLAN_PROPOSED}), S.PLAN_CONFIRMED),
    "reject_plan": (frozenset({S.PLAN_PROPOSED}), S.UNDER_REVIEW),
    "start_work": (frozenset({S.PLAN_CONFIRMED}), S.IN_PROGRESS),
    "resolve": (frozenset({S.IN_PROGRESS}), S.RESOLVED),
    "close": (frozenset({S.RESOLVED}), S.CLOSED),
    "cancel": (
        frozenset({S.NEW, S.UNDER_REVIEW, S.PLAN_PROPOSED, S.PLAN_CONFIRMED, S.IN_PROGRESS}),
        S.CANCELLED,
    ),
    "reopen": (frozenset({S.RESOLVED, S.CLOSED}), S.IN_PROGRESS),
}


# each target of a policy: its field (working minutes) and its clock
TARGET_FIELDS = {
    "first_response_minutes": SlaTarget.FIRST_RESPONSE, "engineer_contact_minutes": SlaTarget.ENGINEER_CONTACT,
    "plan_decided_minutes": SlaTarget.PLAN_DECIDED, "onsite_arrival_minutes": SlaTarget.ONSITE_ARRIVAL,
    "resolution_minutes": SlaTarget.RESOLUTION,
}


class SlaPolicy(TimestampedModel):
    """服务时限: targets in working minutes for requests that match; most specific match wins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    request_type = models.CharField(
        _("request type"), max_length=20, choices=RequestType.choices, blank=True, help_text=_("Empty: any.")
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, blank=True, help_text=_("Empty: any.")
    )
    customer_level = models.CharField(
        _("customer level"), max_length=1, choices=CustomerLevel.choices, blank=True, help_text=_("Empty: any.")
    )
    contract_sla_level = models.CharField(
        _("contract SLA level"), max_length=10, choices=SlaLevel.choices, blank=True, help_text=_("Empty: any.")
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response (working minutes)"), default=120, validators=[MinValueValidator(1)]
    )
    engineer_contact_minutes = models.PositiveIntegerField(
        _("engineer contact after dispatch (working minutes)"), default=60, validators=[MinValueValidator(1)]
    )
    plan_decided_minutes = models.PositiveIntegerField(
        _("service plan decided (working minutes)"), default=3 * 8 * 60, validators=[MinValueValidator(1)],
        help_text=_("3 working days of 8 hours are 1440 minutes."),
    )
    onsite_arrival_minutes = models.PositiveIntegerField(
        _("on-site arrival after dispatch (working minutes)"), default=3 * 8 * 60, validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (working minutes)"), default=10 * 8 * 60, validators=[MinValueValidator(1)]
    )
    calendar = models.ForeignKey(
        "core.WorkCalendar", verbose_name=_("work calendar"), null=True, blank=True, on_delete=models.PROTECT,
        help_text=_("Empty: the default calendar. Contracts with 24/7 SLA always count round the clock."),
    )
    is_default = models.BooleanField(_("default policy"), default=False)
    active = models.BooleanField(_("active"), default=True)

    scope_global = True
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="uniq_default_sla_policy"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:sla_policy_detail", args=[self.pk])

    def targets(self) -> list[tuple[str, int, str]]:
        """(the clock's label, working minutes, as said: "4 h", "3 working days") of each target."""
        from .sla.labels import target_label

        return [(str(target.label), getattr(self, name), target_label(self, getattr(self, name)))
                for name, target in TARGET_FIELDS.items()]


class ServiceRequest(TimestampedModel):
    """服务请求/报修单 (CSI, 顾客事件记录): any customer need or complaint, from any channel."""

    number = models.CharField(_("request number"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=20, choices=RequestChannel.choices)
    request_type = models.CharField(_("request type"), max_length=20, choices=RequestType.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, default=Priority.P3)
    customer = models.ForeignKey(  # indexed by request_customer_received (customer first)
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="service_requests",
        db_index=False, null=True, blank=True,
        help_text=_("Empty: a caller who is not in the system yet; link the customer record later."),
    )
    caller_company = models.CharField(
        _("caller's company"), max_length=200, blank=True,
        help_text=_("What the caller said, when the company is not in the system yet."),
    )
    site = models.ForeignKey(
        "customers.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    unit = models.ForeignKey(  # indexed by request_unit_status (unit first)
        "assets.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="service_requests", db_index=False,
    )
    sales_order = models.ForeignKey(
        "assets.SalesOrder", verbose_name=_("sales order"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="service_requests",
    )
    contract = models.ForeignKey(
        "assets.ServiceContract", verbose_name=_("service contract"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="service_requests",
        help_text=_("The contract that covered the unit when the request was received."),
    )
    warranty_state = models.CharField(_("warranty status"), max_length=12, choices=WarrantyState.choices, blank=True)
    warranty_reason = models.TextField(_("warranty status reason"), blank=True)
    # the reason as a stored message (core/messages.py), shown in the reader's language; None: the text as stored
    warranty_reason_message = models.JSONField(_("warranty status reason (message key)"), null=True, blank=True,
                                               editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW)
    received_at = models.DateTimeField(_("received at"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    handed_over_from = models.ForeignKey(
        "accounts.Department", verbose_name=_("handed over from"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The department that received the request and passed it to the service desk."),
    )
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    plan = models.CharField(_("service plan"), max_length=20, choices=ServicePlan.choices, blank=True)
    plan_note = models.TextField(_("plan note"), blank=True)
    plan_decided_at = models.DateTimeField(_("plan decided at"), null=True, blank=True)
    customer_confirmed_at = models.DateTimeField(_("customer confirmed at"), null=True, blank=True)
    customer_confirmed_via = models.CharField(
        _("confirmed via"), max_length=10, choices=ConfirmationChannel.choices, blank=True
    )
    customer_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by (portal user)"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    customer_confirmed_name = models.CharField(_("confirmed by"), max_length=100, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_confirmed_at = models.DateTimeField(_("resolution confirmed at"), null=True, blank=True)
    resolution_confirmed_via = models.CharField(
        _("resolution confirmed via"), max_length=10, choices=ResolutionConfirmation.choices, blank=True
    )
    resolution_confirmed_name = models.CharField(_("resolution confirmed by"), max_length=100, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty: the built-in targets apply."),
    )
    sla_paused = models.BooleanField(_("SLA paused"), default=False)
    sla_pause_reason = models.CharField(_("pause reason"), max_length=20, choices=PauseReason.choices, blank=True)
    sla_due_at = models.DateTimeField(
        _("next SLA deadline"), null=True, blank=True, help_text=_("The earliest deadline of an open target.")
    )
    sla_breached = models.BooleanField(_("SLA breached"), default=False)

    scope_paths = {"customer": "customer", "branch": "customer__branch"}
    # History rows are read by request (id) and date only: no index on the copied foreign keys and number
    # (each would cost every intake an index insert into a million-row table, bench/RESULTS.md)
    history = HistoricalRecords(no_db_index=[
        "number", "customer", "site", "unit", "sales_order", "contract", "received_by", "handed_over_from",
        "customer_confirmed_by", "sla_policy", "updated_by",
    ])

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "sla_due_at"], name="request_status_due"),
            models.Index(fields=["customer", "-received_at"], name="request_customer_received"),
            models.Index(fields=["unit", "status"], name="request_unit_status"),
            models.Index(fields=["-received_at"], name="request_received"),
            # partial indexes of the open requests (~10 % of the rows): the desk queue's order (nearest
            # deadline first) and the SLA task's walk over open requests by id (bench/RESULTS.md)
            models.Index(fields=["sla_due_at", "id"], condition=Q(status__in=OPEN_STATUSES), name="request_open_due"),
            models.Index(fields=["id"], condition=Q(status__in=OPEN_STATUSES), name="request_open_id"),
            # the search's contact-phone prefix (LIKE '139%'): without it the OR of the search scans the rows
            models.Index(fields=["contact_phone"], name="request_contact_phone", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("service:detail", args=[self.pk])

    @property
    def warranty_reason_text(self) -> str:
        """The warranty reason in the reader's language (rows from before: as stored)."""
        if self.warranty_reason_message is None:
            return self.warranty_reason
        return render(self.warranty_reason_message, fallback=self.warranty_reason)

    @property
    def is_open(self) -> bool:
        return self.status in {S.NEW, S.UNDER_REVIEW, S.PLAN_PROPOSED, S.PLAN_CONFIRMED, S.IN_PROGRESS}

    @property
    def customer_label(self) -> str:
        """The customer's name, or the caller's company as told (not linked to a customer record yet)."""
        if self.customer_id:
            return self.customer.name
        return self.caller_company

    def can(self, move: str) -> bool:
        allowed, _target = TRANSITIONS[move]
        return self.status in allowed


class ReviewQuerySet(ScopedQuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        """A customer sees only the reviews whose attachments are meant for them (their written feedback
        and the decided plan's documents), and only their own company's."""
        qs = super().restrict(user, action)
        if getattr(user, "customer_id", None):
            qs = qs.filter(shown_to_customer=True)
        return qs


class Review(TimestampedModel):
    """评审: analysis and written opinion that decide the service plan (seed 001 §4.2-4.6).

    The customer's written feedback is attached to the review (core.attachments).
    """

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("service request"), on_delete=models.CASCADE, related_name="reviews"
    )
    review_form = models.CharField(
        _("form of review"), max_length=100, blank=True, help_text=_("E.g. meeting, countersignature, phone review.")
    )
    analysis = models.TextField(_("cause analysis"))
    opinion = models.TextField(_("review opinion"))
    decided_plan = models.CharField(_("decided service plan"), max_length=20, choices=ServicePlan.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"))
    shown_to_customer = models.BooleanField(
        _("attachments shown to the customer"), default=False,
        help_text=_("Ticked: the customer sees this review's attachments in the portal."),
    )

    scope_paths = {"customer": "service_request__customer", "branch": "service_request__customer__branch"}
    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.service_request.number} {self.reviewed_at:%Y-%m-%d}"


class SlaEvent(models.Model):
    """One entry of a request's SLA log. Deadlines are computed from this log alone (sla.deadlines)."""

    service_request = models.ForeignKey(  # indexed by sla_event_request_at (service_request first)
        ServiceRequest, verbose_name=_("service request"), on_delete=models.CASCADE, related_name="sla_events",
        db_index=False,
    )
    kind = models.CharField(_("event"), max_length=12, choices=SlaEventKind.choices)
    target = models.CharField(
        _("target"), max_length=20, choices=SlaTarget.choices, blank=True, help_text=_("Empty: every clock.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_paths = {"customer": "service_request__customer", "branch": "service_request__customer__branch"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["service_request", "at", "id"]
        indexes = [models.Index(fields=["service_request", "at"], name="sla_event_request_at")]

    def __str__(self) -> str:
        return f"{self.service_request_id} {self.kind} {self.target} {self.at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """An SLA target about to breach or breached, escalated once per (request, target, level)."""

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("service request"), on_delete=models.CASCADE, related_name="escalations"
    )
    target = models.CharField(_("target"), max_length=20, choices=SlaTarget.choices)
    level = models.CharField(_("escalated to"), max_length=20, choices=EscalationLevel.choices)
    at = models.DateTimeField(_("at"))
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    breached = models.BooleanField(_("breached"), default=False)

    scope_paths = {"customer": "service_request__customer", "branch": "service_request__customer__branch"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["service_request", "target", "level"], name="uniq_escalation_request_target_level"),
        ]

    def __str__(self) -> str:
        return f"{self.service_request_id} {self.target} -> {self.level}"
