"""Who may take which step of the feedback loop now: the blockers of the declared steps (steps.py).

Each blocker is ``(user, record) -> Blocked | None``: ``forbidden`` for the role or the department (403),
``not_now`` for the record's state (400). The services check again inside their transaction.

Service complaints (seed 003 §5.5): the general manager's office and the service manager coordinate them
(send to the departments, escalate, record the measures, revisit, close: ``change_servicecomplaint``);
a department answers its own part (``analyse_servicecomplaint`` and the user's department); the desk and
the customer register them (``add_servicecomplaint``); the customer may answer the revisit in the portal.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import Blocked, forbidden, not_now
from serviceloop.service.choices import RequestStatus

from .choices import ComplaintStatus
from .models import ESCALATE_STATUSES, TRANSITIONS, ComplaintAnalysis, ServiceComplaint

PERM_REGISTER = "feedback.add_servicecomplaint"
PERM_COORDINATE = "feedback.change_servicecomplaint"
PERM_ANALYSE = "feedback.analyse_servicecomplaint"


# ---------------------------------------------------------------- follow-ups on a request

def _resolved(r: Any) -> Blocked | None:
    if r.status != RequestStatus.RESOLVED:
        return not_now(_("Only a resolved request can be followed up; this one is “%(status)s”.")
                       % {"status": RequestStatus(r.status).label})
    return None


def follow_up_call_blocker(user: Any, r: Any) -> Blocked | None:
    if is_customer(user):
        return forbidden(_("Customers rate the service themselves; the service desk records follow-up calls."))
    if not user.has_perm("feedback.add_followup"):
        return forbidden(_("Your role does not allow this."))
    return _resolved(r)


def rate_blocker(user: Any, r: Any) -> Blocked | None:
    if not is_customer(user):
        return forbidden(_("The customer rates the service; record a follow-up call instead."))
    if not user.has_perm("feedback.add_followup"):
        return forbidden(_("Your role does not allow this."))
    return _resolved(r)


def complaint_on_request_blocker(user: Any, r: Any) -> Blocked | None:
    """Register a service complaint about this request (the desk, or the customer in the portal)."""
    if not user.has_perm(PERM_REGISTER):
        return forbidden(_("Your role does not allow this."))
    if is_customer(user) and user.customer_id != r.customer_id:
        return forbidden(_("This request belongs to another customer."))
    return None


# ---------------------------------------------------------------- service complaints

def illegal_move(complaint: ServiceComplaint, move: str) -> Blocked | None:
    allowed, target = TRANSITIONS[move]
    if complaint.status in allowed:
        return None
    return not_now(_("A complaint that is “%(status)s” cannot move to “%(target)s”.") % {
        "status": ComplaintStatus(complaint.status).label, "target": ComplaintStatus(target).label})


def _coordinator(user: Any) -> Blocked | None:
    if is_customer(user) or not user.has_perm(PERM_COORDINATE):
        return forbidden(_("Only the general manager's office or a service manager does this."))
    return None


def pending_analysis_of(user: Any, complaint: ServiceComplaint) -> ComplaintAnalysis | None:
    """The user's department's unanswered part of the complaint (read once per record and user)."""
    cache = complaint.__dict__.setdefault("_pending_analysis", {})
    if user.pk not in cache:
        department_id = getattr(user, "department_id", None)
        cache[user.pk] = None if department_id is None else ComplaintAnalysis.objects.filter(
            complaint=complaint, department_id=department_id, submitted_at__isnull=True).first()
    return cache[user.pk]


def send_blocker(user: Any, complaint: ServiceComplaint) -> Blocked | None:
    return _coordinator(user) or illegal_move(complaint, "send")


def analyse_blocker(user: Any, complaint: ServiceComplaint) -> Blocked | None:
    if is_customer(user) or not user.has_perm(PERM_ANALYSE):
        return forbidden(_("Your role does not allow this."))
    if found := illegal_move(complaint, "analyse"):
        return found
    if pending_analysis_of(user, complaint) is None:
        return forbidden(_("Only a department the complaint was sent to answers it, once."))
    return None


def escalate_blocker(user: Any, complaint: ServiceComplaint) -> Blocked | None:
    if found := _coordinator(user):
        return found
    if complaint.major:
        return not_now(_("This complaint is major already: the general manager's office has it."))
    if complaint.status not in ESCALATE_STATUSES:
        return not_now(_("Not while the complaint is “%(status)s”.") % {
            "status": ComplaintStatus(complaint.status).label})
    return None


def handle_blocker(user: Any, complaint: ServiceComplaint) -> Blocked | None:
    return _coordinator(user) or illegal_move(complaint, "handle")


def revisit_blocker(user: Any, complaint: ServiceComplaint) -> Blocked | None:
    """The coordinators call the customer back; the customer may answer in the portal."""
    if is_customer(user):
        if user.customer_id != complaint.customer_id or not user.has_perm(PERM_REGISTER):
            return forbidden(_("Your role does not allow this."))
    elif found := _coordinator(user):
        return found
    return illegal_move(complaint, "revisit")


def close_blocker(user: Any, complaint: ServiceComplaint) -> Blocked | None:
    return _coordinator(user) or illegal_move(complaint, "close")
