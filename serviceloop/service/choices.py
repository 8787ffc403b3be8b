"""Choices of service requests (CSI). Names follow /work/shared/GLOSSARY.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestChannel(models.TextChoices):
    """How the request reached us (SPEC §2: intake from every channel)."""

    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Customer portal")
    QR = "qr", _("QR code on the unit")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring alarm")
    WALK_IN = "walk_in", _("Walk-in")
    OTHER_DEPT = "other_dept", _("Handed over by another department")


class RequestType(models.TextChoices):
    FAULT_REPAIR = "fault_repair", _("Fault repair")
    COMPLAINT = "complaint", _("Quality complaint")
    CONSULTATION = "consultation", _("Technical consultation")
    TRAINING = "training", _("Training")
    INSTALLATION = "installation", _("Installation / acceptance")
    RETURN_EXCHANGE = "return_exchange", _("Return / exchange")
    PARTS_ONLY = "parts_only", _("Parts only")
    MAINTENANCE = "maintenance", _("Maintenance")


class Severity(models.TextChoices):
    """Fault grading of seed 004 §4.2: 轻微 / 一般 / 严重 / 重大."""

    MINOR = "minor", _("Minor")
    GENERAL = "general", _("General")
    SEVERE = "severe", _("Severe")
    MAJOR = "major", _("Major")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 · urgent")
    P2 = "P2", _("P2 · high")
    P3 = "P3", _("P3 · normal")
    P4 = "P4", _("P4 · low")


class RequestStatus(models.TextChoices):
    """The life of a request. Allowed moves: ``TRANSITIONS`` in models.py.

    new -> under_review (quality complaints must be reviewed, seed 001 §4.2) -> plan_proposed
    (the decided plan is answered to the customer, seed 001 §4.6) -> plan_confirmed (the
    customer agrees, by portal or phone) -> in_progress -> resolved -> closed (the customer
    confirms the resolution). Cancelled ends a request that needs no service. Resolved or
    closed requests can be reopened (back to in progress).
    """

    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLAN_PROPOSED = "plan_proposed", _("Plan proposed")
    PLAN_CONFIRMED = "plan_confirmed", _("Plan confirmed")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (
    RequestStatus.NEW,
    RequestStatus.UNDER_REVIEW,
    RequestStatus.PLAN_PROPOSED,
    RequestStatus.PLAN_CONFIRMED,
    RequestStatus.IN_PROGRESS,
)


class ServicePlan(models.TextChoices):
    """服务方案 (seed 001 §4.6, §5)."""

    REMOTE_SUPPORT = "remote_support", _("Remote support")
    ONSITE = "onsite", _("On-site service")
    RETURN_TO_FACTORY = "return_to_factory", _("Return to factory")
    PARTS_ONLY = "parts_only", _("Parts only")
    RETURN_EXCHANGE = "return_exchange", _("Return / exchange / refund")


class ConfirmationChannel(models.TextChoices):
    PORTAL = "portal", _("Customer portal")
    PHONE = "phone", _("Phone")


class ResolutionConfirmation(models.TextChoices):
    """How the customer confirmed the resolution (SPEC §3: portal or signature)."""

    PORTAL = "portal", _("Customer portal")
    SIGNATURE = "signature", _("Signed service report")
    PHONE = "phone", _("Phone")


class PauseReason(models.TextChoices):
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for the customer")
    WAITING_PARTS = "waiting_parts", _("Waiting for parts")


class SlaTarget(models.TextChoices):
    """The clocks of one request. The first three run from receipt; the other two from dispatch."""

    FIRST_RESPONSE = "first_response", _("First response")
    ENGINEER_CONTACT = "engineer_contact", _("Engineer contacts the customer")
    PLAN_DECIDED = "plan_decided", _("Service plan decided")
    ONSITE_ARRIVAL = "onsite_arrival", _("On-site arrival")
    RESOLUTION = "resolution", _("Resolution")


# Targets whose clock starts with the request itself; the others start with an explicit
# "started" event for that target (written when the request is dispatched to an engineer).
TARGETS_FROM_RECEIPT = (SlaTarget.FIRST_RESPONSE, SlaTarget.PLAN_DECIDED, SlaTarget.RESOLUTION)
TARGETS_FROM_DISPATCH = (SlaTarget.ENGINEER_CONTACT, SlaTarget.ONSITE_ARRIVAL)


class SlaEventKind(models.TextChoices):
    """One entry of the SLA event log; deadlines are recomputed from this log alone.

    started: the request's clocks (target blank) or one target's clock start.
    paused / resumed: every running clock stops / continues (waiting for the customer or parts).
    stopped: every clock stops (resolved, closed, cancelled).
    reopened: the clocks continue after a stop and the resolution target is open again.
    target_met: one target is met.
    """

    STARTED = "started", _("Started")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    STOPPED = "stopped", _("Stopped")
    REOPENED = "reopened", _("Reopened")
    TARGET_MET = "target_met", _("Target met")


class EscalationLevel(models.TextChoices):
    SERVICE_MANAGER = "service_manager", _("Service manager")
    GM_OFFICE = "gm_office", _("General manager's office")
