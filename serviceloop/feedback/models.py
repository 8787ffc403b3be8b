"""Follow-ups (回访记录) after a resolution, and complaints about the service itself (服务投诉)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from serviceloop.core.models import TimestampedModel

from .choices import (
    SCORE_MAX,
    SCORE_MIN,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    FollowUpChannel,
    FollowUpOutcome,
    RevisitChannel,
)

SCORE_VALIDATORS = [MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]


def _score_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, validators=SCORE_VALIDATORS, help_text=_("1 (poor) to 5 (excellent)."))


class FollowUp(TimestampedModel):
    """回访记录: the customer's answer after a resolution, by the desk's phone call or a portal rating.

    One per resolution: ``resolved_at`` is the resolution it answers (a reopened and resolved again
    request gets a new follow-up).
    """

    service_request = models.ForeignKey(
        "service.ServiceRequest", verbose_name=_("service request"), on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    resolved_at = models.DateTimeField(_("resolution of"), help_text=_("When the request was resolved."))
    channel = models.CharField(_("channel"), max_length=10, choices=FollowUpChannel.choices)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    called_at = models.DateTimeField(_("called at"))
    person = models.CharField(_("person reached"), max_length=100, blank=True)
    attitude = _score_field(_("service attitude"))
    skill = _score_field(_("technical skill"))
    timeliness = _score_field(_("timeliness"))
    satisfied = models.BooleanField(_("satisfied"))
    comments = models.TextField(_("comments"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=FollowUpOutcome.choices)

    scope_paths = {"customer": "service_request__customer", "branch": "service_request__customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-called_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["service_request", "resolved_at"], name="uniq_followup_request_resolution"),
            models.CheckConstraint(
                condition=Q(attitude__gte=SCORE_MIN, attitude__lte=SCORE_MAX)
                & Q(skill__gte=SCORE_MIN, skill__lte=SCORE_MAX)
                & Q(timeliness__gte=SCORE_MIN, timeliness__lte=SCORE_MAX),
                name="followup_scores_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["-called_at"], name="followup_called_at")]

    def __str__(self) -> str:
        return f"{self.service_request} {self.called_at:%Y-%m-%d}"

    @property
    def average_score(self) -> float:
        return round((self.attitude + self.skill + self.timeliness) / 3, 1)


# The one table of allowed status moves: step -> (allowed from-states, to-state). Two steps have a
# second outcome: "analyse" stays in "analysing" until the last department's analysis is in, and
# "revisit" goes back to "handling" when the customer is not satisfied.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "send": (frozenset({ComplaintStatus.OPEN, ComplaintStatus.HANDLING}), ComplaintStatus.ANALYSING),
    "analyse": (frozenset({ComplaintStatus.ANALYSING}), ComplaintStatus.HANDLING),
    "handle": (frozenset({ComplaintStatus.HANDLING}), ComplaintStatus.HANDLED),
    "revisit": (frozenset({ComplaintStatus.HANDLED}), ComplaintStatus.SATISFIED),
    "close": (frozenset({ComplaintStatus.SATISFIED}), ComplaintStatus.CLOSED),
}
# escalating to the general manager's office is no move: open to a complaint that is not major yet
ESCALATE_STATUSES = frozenset({ComplaintStatus.OPEN, ComplaintStatus.ANALYSING, ComplaintStatus.HANDLING,
                               ComplaintStatus.HANDLED})


class ServiceComplaint(TimestampedModel):
    """服务投诉 (客户投诉登记、处理表): a complaint about the service itself (timeliness, attitude), seed 003 §5.5.

    Registered by the desk (from a request or on its own), from an unsatisfied follow-up, or by the
    customer in the portal; sent to the departments responsible, each of which answers with its analysis
    within 24 hours (an overdue one escalates); a major one goes to the general manager's office at once;
    the measures are recorded, the customer is called back (回访) until satisfied, then it closes.
    """

    number = models.CharField(_("complaint number"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="service_complaints",
    )
    service_request = models.ForeignKey(
        "service.ServiceRequest", verbose_name=_("service request"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="service_complaints",
    )
    follow_up = models.OneToOneField(
        FollowUp, verbose_name=_("follow-up"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaint",
    )
    channel = models.CharField(pgettext_lazy("complaint", "received by"), max_length=10, choices=ComplaintChannel.choices,
                               default=ComplaintChannel.PHONE)
    category = models.CharField(pgettext_lazy("complaint", "about"), max_length=12, choices=ComplaintCategory.choices,
                                default=ComplaintCategory.OTHER)
    contact_name = models.CharField(pgettext_lazy("complaint", "complainant"), max_length=100, blank=True)
    contact_phone = models.CharField(pgettext_lazy("complaint", "complainant's phone"), max_length=30, blank=True)
    description = models.TextField(_("description"))
    major = models.BooleanField(pgettext_lazy("complaint", "major complaint"), default=False,
                                help_text=_("A key account or a serious incident: the general manager's office is "
                                            "told at once."))
    escalated_at = models.DateTimeField(_("escalated to the GM office at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("complaint", "registered by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.OPEN)
    due_at = models.DateTimeField(_("analysis due"), null=True, blank=True,
                                  help_text=_("The departments answer within 24 hours of receiving the complaint."))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("measures recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    handled_at = models.DateTimeField(_("measures recorded at"), null=True, blank=True)
    handling_note = models.TextField(pgettext_lazy("complaint", "handling measures"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("complaint", "closed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope_paths = {"customer": "customer", "branch": "customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service complaint")
        verbose_name_plural = _("service complaints")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="complaint_status_due")]
        permissions = [
            ("analyse_servicecomplaint", "Can answer a service complaint for one's department"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("feedback:complaint_detail", args=[self.pk])

    def can(self, move: str) -> bool:
        allowed, _target = TRANSITIONS[move]
        return self.status in allowed


class ComplaintAnalysis(TimestampedModel):
    """One department's part of a complaint (seed 003 §5.5.3): sent by the GM office or the service manager,
    answered with the cause and the improvement within 24 hours; an unanswered one past its due time is
    flagged overdue (``overdue_at``) and escalated by the periodic task."""

    complaint = models.ForeignKey(ServiceComplaint, verbose_name=_("service complaint"), on_delete=models.CASCADE,
                                  related_name="analyses")
    department = models.ForeignKey("accounts.Department", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="+")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("complaint", "sent by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(pgettext_lazy("complaint", "sent at"))
    due_at = models.DateTimeField(_("analysis due"))
    cause = models.TextField(pgettext_lazy("complaint", "cause analysis"), blank=True)
    improvement = models.TextField(pgettext_lazy("complaint", "improvement"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("complaint", "answered by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(pgettext_lazy("complaint", "answered at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("escalated as overdue at"), null=True, blank=True)

    scope_paths = {"customer": "complaint__customer", "branch": "complaint__customer__branch"}

    class Meta:
        verbose_name = pgettext_lazy("complaint", "department analysis")
        verbose_name_plural = pgettext_lazy("complaint", "department analyses")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "department"], name="uniq_complaint_department"),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="complaint_analysis_pending",
                         condition=Q(submitted_at__isnull=True, overdue_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.complaint} {self.department}"

    def is_overdue(self, now=None) -> bool:
        from django.utils import timezone

        if self.submitted_at is not None:
            return self.submitted_at > self.due_at
        return (now or timezone.now()) > self.due_at


class ComplaintRevisit(TimestampedModel):
    """回访 of a complaint: the customer called back after the measures; not satisfied sends it back to handling."""

    complaint = models.ForeignKey(ServiceComplaint, verbose_name=_("service complaint"), on_delete=models.CASCADE,
                                  related_name="revisits")
    channel = models.CharField(_("channel"), max_length=10, choices=RevisitChannel.choices)
    called_at = models.DateTimeField(_("called at"))
    person = models.CharField(_("person reached"), max_length=100, blank=True)
    satisfied = models.BooleanField(_("satisfied"))
    comments = models.TextField(_("comments"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_paths = {"customer": "complaint__customer", "branch": "complaint__customer__branch"}

    class Meta:
        verbose_name = pgettext_lazy("complaint", "complaint revisit")
        verbose_name_plural = pgettext_lazy("complaint", "complaint revisits")
        ordering = ["called_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint} {self.called_at:%Y-%m-%d}"
