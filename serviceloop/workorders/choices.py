"""Choices of work orders (派工单), help requests (协作申请单), service reports (售后服务记录单) and fees.

Names follow /work/shared/GLOSSARY.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkOrderStatus(models.TextChoices):
    """The life of a work order. Allowed moves: ``TRANSITIONS`` in models.py.

    draft -> pending_approval (the dispatcher assigned a lead engineer and helpers) -> dispatched
    (the service manager approved: the contact and arrival clocks start) -> accepted (the lead
    engineer accepts; a decline sends it to "declined" for re-dispatch) -> on_site (first
    check-in) -> completed (result recorded) -> closed (report signed, paperwork complete).
    Cancelled ends a work order before work on site started.
    """

    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    DISPATCHED = "dispatched", _("Dispatched")
    DECLINED = "declined", _("Declined, to re-dispatch")
    ACCEPTED = "accepted", _("Accepted")
    ON_SITE = "on_site", _("On site")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


S = WorkOrderStatus
OPEN_STATUSES = (S.DRAFT, S.PENDING_APPROVAL, S.DISPATCHED, S.DECLINED, S.ACCEPTED, S.ON_SITE, S.COMPLETED)
# waiting for the dispatcher (the dispatch board)
NEEDS_DISPATCH = (S.DRAFT, S.DECLINED)
# the engineer's jobs: dispatched to them and not yet closed
ENGINEER_STATUSES = (S.DISPATCHED, S.ACCEPTED, S.ON_SITE, S.COMPLETED)
# engineers record contact, visits, notes, tests and hours while the job is theirs
FIELD_STATUSES = (S.DISPATCHED, S.ACCEPTED, S.ON_SITE, S.COMPLETED)
# engineer load in the dispatch ranking: everything assigned and not finished
LOAD_STATUSES = (S.PENDING_APPROVAL, S.DISPATCHED, S.ACCEPTED, S.ON_SITE)


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead engineer")
    HELPER = "helper", _("Helper")


class WorkResult(models.TextChoices):
    """What came of the work on site (seed 000 §3.4.3, seed 003 §5.3)."""

    FIXED = "fixed", _("Fixed")
    ESCALATE_TECHNICAL = "escalate_technical", _("Escalated to the technical department")
    ESCALATE_PROCESS = "escalate_process", _("Escalated to the process department")
    RETURN_TO_FACTORY = "return_to_factory", _("Return to factory")
    NEEDS_PARTS = "needs_parts", _("Needs parts")
    ANOTHER_VISIT = "another_visit", _("Another visit needed")


ESCALATED_RESULTS = (WorkResult.ESCALATE_TECHNICAL, WorkResult.ESCALATE_PROCESS)


class HelpRequestStatus(models.TextChoices):
    """协作申请单: pending -> approved (an HQ engineer joins as helper) -> confirmed (技术支持确认单); or rejected."""

    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CONFIRMED = "confirmed", _("Support confirmed")


class ChargePayer(models.TextChoices):
    """Who pays whom for the support headquarters gave a branch (seed 003 §5.2.2: the sales company's fee
    standard, reconciled monthly between the customer service department and the branch)."""

    BRANCH_PAYS_HQ = "branch_pays_hq", _("The branch pays headquarters")
    HQ_PAYS_BRANCH = "hq_pays_branch", _("Headquarters pays the branch")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed by the customer")


class FeeKind(models.TextChoices):
    LABOUR = "labour", _("Labour")
    TRAVEL = "travel", _("Travel")
    PARTS = "parts", _("Parts")


VERB_LABELS = {
    "assign": _("engineers assigned"),
    "reject": _("dispatch returned"),
    "approve": _("dispatch approved"),
    "accept": _("accepted"),
    "decline": _("declined"),
    "helper_accepted": _("helper accepted"),
    "helper_declined": _("helper declined"),
    "contacted": _("customer contacted"),
    "check_in": _("checked in on site"),
    "checked_out": _("checked out"),
    "progress": _("progress reported"),
    "test_recorded": _("test recorded"),
    "hours_logged": _("labour hours logged"),
    "parts_recorded": _("parts used recorded"),
    "complete": _("result recorded"),
    "escalation_plan": _("escalation plan recorded"),
    "close": _("closed"),
    "cancel": _("cancelled"),
    "sales_order_linked": _("billing sales order linked"),
    "sales_order_created": _("billing sales order created"),
    "help_charged": _("internal charge recorded"),
    "help_requested": _("help requested from headquarters"),
    "help_approved": _("help request approved"),
    "help_rejected": _("help request rejected"),
    "support_confirmed": _("support confirmed"),
    "report_prepared": _("service report prepared"),
    "report_signed": _("service report signed"),
    "work_report_saved": _("service work report written"),
    "fee_added": _("fee added"),
    "fee_changed": _("fee changed"),
    "fee_removed": _("fee removed"),
    "work_order_created": _("work order created"),
}
