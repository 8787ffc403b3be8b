"""Choices of follow-ups (回访) and service complaints (服务投诉). Names follow /work/shared/GLOSSARY.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    """open -> handled (by the service manager, with a handling note). Moves: ``TRANSITIONS`` in models.py."""

    OPEN = "open", _("Open")
    HANDLED = "handled", _("Handled")


SCORE_MIN, SCORE_MAX = 1, 5
SCORE_CHOICES = [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
SCORE_FIELDS = ("attitude", "skill", "timeliness")
