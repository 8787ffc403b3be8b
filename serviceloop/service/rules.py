"""Who may take which step of a service request now: the blockers of the declared steps (steps.py).

Each blocker is ``(user, request) -> Blocked | None``: ``forbidden`` for the role (403), ``not_now``
for the request's state (400). The services check the same rules again inside their transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import Blocked, forbidden, not_now

from .choices import RequestStatus
from .models import TRANSITIONS, ServiceRequest

S = RequestStatus
ILLEGAL_MOVE = gettext_lazy("A request that is “%(status)s” cannot move to “%(target)s”.")


def may_change(user: Any, r: ServiceRequest) -> bool:
    """The role may change requests, and this one is in the user's scope (read once per page)."""
    cache = r.__dict__.setdefault("_may_change", {})
    if user.pk not in cache:
        cache[user.pk] = user.has_perm("service.change_servicerequest") and \
            ServiceRequest.objects.restrict(user, "change").filter(pk=r.pk).exists()
    return cache[user.pk]


def _staff(user: Any, r: ServiceRequest) -> Blocked | None:
    if is_customer(user):
        return forbidden(_("Customers confirm plans and resolutions in the portal; the service desk does the rest."))
    if not may_change(user, r):
        return forbidden(_("Your role does not allow this."))
    return None


def _move(r: ServiceRequest, move: str) -> Blocked | None:
    sources, target = TRANSITIONS[move]
    if r.status in sources:
        return None
    return not_now(ILLEGAL_MOVE % {"status": S(r.status).label, "target": S(target).label})


def staff_move(move: str):
    """A staff step that is one move of the transition table."""
    def blocker(user: Any, r: ServiceRequest) -> Blocked | None:
        return _staff(user, r) or _move(r, move)
    blocker.__name__ = f"{move}_blocker"
    return blocker


def review_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    if found := _staff(user, r):
        return found
    if not user.has_perm("service.add_review"):
        return forbidden(_("Your role does not allow this."))
    if r.status != S.UNDER_REVIEW:
        return not_now(_("Start the review of this request first."))
    return None


def _customer_or_staff(user: Any, r: ServiceRequest) -> Blocked | None:
    if is_customer(user):
        if user.customer_id != r.customer_id:
            return forbidden(_("This request belongs to another customer."))
        return None
    return _staff(user, r)


def confirm_plan_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    return _customer_or_staff(user, r) or _move(r, "confirm_plan")


def reject_plan_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    """The customer (in the portal, or as the desk records from the phone) does not agree to the plan."""
    return _customer_or_staff(user, r) or _move(r, "reject_plan")


def propose_plan_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    if found := _staff(user, r) or _move(r, "propose_plan"):
        return found
    if not r.customer_id:
        return not_now(_("Link the caller to a customer record before proposing a plan."))
    return None


def link_customer_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    """A request logged for a caller who is not in the system yet gets its customer record."""
    if found := _staff(user, r):
        return found
    if r.customer_id:
        return not_now(_("This request already has its customer."))
    if not r.is_open:
        return not_now(_("Only an open request can be linked to a customer."))
    return None


def confirm_resolution_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    if found := _customer_or_staff(user, r):
        return found
    if r.status != S.RESOLVED:
        return not_now(_("Only a resolved request can be confirmed as resolved."))
    if r.resolution_confirmed_at is not None:
        return not_now(_("The customer has already confirmed the resolution."))
    return None


def hand_over_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    if found := _staff(user, r):
        return found
    if not r.is_open:
        return not_now(_("Only an open request can be handed over."))
    if r.handed_over_from_id:
        return not_now(_("This request has already been handed over to the service desk."))
    return None


def pause_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    if found := _staff(user, r):
        return found
    if not r.is_open:
        return not_now(_("The clocks of a finished request cannot be paused."))
    if r.sla_paused:
        return not_now(_("The clocks are already paused."))
    return None


def resume_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    if found := _staff(user, r):
        return found
    if not r.sla_paused:
        return not_now(_("The clocks are not paused."))
    return None


def follow_up_wait_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "FOLLOWUP_WAIT_DAYS", 7))


def close_blocker(user: Any, r: ServiceRequest) -> Blocked | None:
    """Closing by hand: a resolved request the customer has not answered about for the waiting days
    (after a follow-up call the request closes with the call)."""
    if found := _staff(user, r) or _move(r, "close"):
        return found
    days = follow_up_wait_days()
    if r.resolved_at is None or r.resolved_at + timedelta(days=days) > timezone.now():
        return not_now(_("Without an answer a request closes %(days)d days after its resolution.") % {"days": days})
    return None
