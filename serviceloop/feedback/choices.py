"""Choices of follow-ups (回访) and service complaints (服务投诉). Names follow /work/shared/GLOSSARY.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FollowUpChannel(models.TextChoices):
    PHONE = "phone", _("Phone call by the service desk")
    PORTAL = "portal", _("Rating in the customer portal")


class UnsatisfiedAction(models.TextChoices):
    """What an unsatisfied answer leads to."""

    REOPEN = "reopen", _("The problem is not solved: reopen the request")
    COMPLAINT = "complaint", _("Complaint about the service: register it, the request closes")


class FollowUpOutcome(models.TextChoices):
    CLOSED = "closed", _("Request closed")
    REOPENED = "reopened", _("Request reopened")
    COMPLAINT = "complaint", _("Service complaint registered, request closed")


class ComplaintStatus(models.TextChoices):
    """The complaint workflow of seed 003 §5.5 (moves: ``TRANSITIONS`` in models.py).

    open (registered) -> analysing (sent to the departments, each answers within 24 hours) -> handling
    (every analysis in) -> handled (the measures recorded, waiting for the revisit) -> satisfied (the
    customer says so at the revisit; not satisfied: back to handling) -> closed.
    """

    OPEN = "open", pgettext_lazy("complaint", "Registered")
    ANALYSING = "analysing", pgettext_lazy("complaint", "Departments analysing")
    HANDLING = "handling", pgettext_lazy("complaint", "Handling")
    HANDLED = "handled", pgettext_lazy("complaint", "Measures taken, revisit due")
    SATISFIED = "satisfied", pgettext_lazy("complaint", "Customer satisfied")
    CLOSED = "closed", _("Closed")


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("complaint", "Phone call")
    PORTAL = "portal", _("Customer portal")
    FOLLOW_UP = "follow_up", _("Follow-up call")
    EMAIL = "email", pgettext_lazy("complaint", "E-mail or letter")
    VISIT = "visit", pgettext_lazy("complaint", "In person")


class ComplaintCategory(models.TextChoices):
    """What the complaint is about (seed 003 §5.5.1: timeliness of the service, attitude, ...)."""

    TIMELINESS = "timeliness", _("Timeliness")
    ATTITUDE = "attitude", pgettext_lazy("complaint", "Attitude")
    QUALITY = "quality", pgettext_lazy("complaint", "Quality of the work")
    CHARGES = "charges", pgettext_lazy("complaint", "Charges")
    OTHER = "other", pgettext_lazy("complaint", "Other")


class RevisitChannel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("complaint", "Phone call")
    VISIT = "visit", pgettext_lazy("complaint", "Visit")
    PORTAL = "portal", _("Customer portal")


SCORE_MIN, SCORE_MAX = 1, 5
SCORE_CHOICES = [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
SCORE_FIELDS = ("attitude", "skill", "timeliness")
