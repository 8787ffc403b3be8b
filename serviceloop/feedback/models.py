"""Follow-ups (回访记录) after a resolution, and complaints about the service itself (服务投诉)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from serviceloop.core.models import TimestampedModel

from .choices import SCORE_MAX, SCORE_MIN, ComplaintStatus, FollowUpChannel, FollowUpOutcome

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


# The one table of allowed status moves: service name -> (allowed from-states, to-state).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "handle": (frozenset({ComplaintStatus.OPEN}), ComplaintStatus.HANDLED),
}


class ServiceComplaint(TimestampedModel):
    """服务投诉: a complaint about the service itself (timeliness, attitude), seed 003 §5.5.

    Registered from an unsatisfied follow-up; the departments analyse it within 24 hours; the
    service manager records how it was handled.
    """

    number = models.CharField(_("complaint number"), max_length=20, unique=True, editable=False)
    service_request = models.ForeignKey(
        "service.ServiceRequest", verbose_name=_("service request"), on_delete=models.PROTECT,
        related_name="service_complaints",
    )
    follow_up = models.OneToOneField(
        FollowUp, verbose_name=_("follow-up"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaint",
    )
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=10, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.OPEN)
    due_at = models.DateTimeField(_("analysis due"), help_text=_("The departments answer within 24 hours."))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handling_note = models.TextField(_("handling note"), blank=True)

    scope_paths = {"customer": "service_request__customer", "branch": "service_request__customer__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service complaint")
        verbose_name_plural = _("service complaints")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="complaint_status_due")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("feedback:complaint_detail", args=[self.pk])

    def can(self, move: str) -> bool:
        allowed, _target = TRANSITIONS[move]
        return self.status in allowed
