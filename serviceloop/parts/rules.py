"""Who may take which spare-parts step now: the blockers of the declared steps (steps.py).

``forbidden`` for the role or the person (403), ``not_now`` for the record's state (400). The services
check again inside their transaction with the row locked."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import Blocked, forbidden, not_now
from serviceloop.workorders.choices import FIELD_STATUSES
from serviceloop.workorders.rules import facts as wo_facts

from .choices import OldPartStatus, RequisitionStatus
from .models import OldPartReturn, Requisition
from .services import PERM_APPROVE, PERM_ISSUE, PERM_STOCK

RS = RequisitionStatus


def _status(requisition: Requisition, wanted: str, message: str) -> Blocked | None:
    if requisition.status == wanted:
        return None
    return not_now(message % {"status": RS(requisition.status).label})


def _perm(user: Any, perm: str, message: str) -> Blocked | None:
    if is_customer(user) or not user.has_perm(perm):
        return forbidden(message)
    return None


def request_parts_blocker(user: Any, work_order: Any) -> Blocked | None:
    """On the work order: an engineer on the job asks for parts."""
    if found := _perm(user, "parts.add_requisition", _("Your role does not allow this.")):
        return found
    if wo_facts(user, work_order).mine is None:
        return forbidden(_("Only the engineers assigned to this work order may ask for its parts."))
    if work_order.status not in FIELD_STATUSES:
        return not_now(_("Parts are asked for while the job is open."))
    return None


def approve_blocker(user: Any, requisition: Requisition) -> Blocked | None:
    return (_perm(user, PERM_APPROVE, _("Only the parts department approves requisitions."))
            or _status(requisition, RS.SUBMITTED, _("Only a submitted requisition is decided; this one is “%(status)s”.")))


def issue_blocker(user: Any, requisition: Requisition) -> Blocked | None:
    return (_perm(user, PERM_ISSUE, _("Only the warehouse issues spare parts."))
            or _status(requisition, RS.APPROVED, _("Only an approved requisition is issued; this one is “%(status)s”.")))


def confirm_blocker(user: Any, requisition: Requisition) -> Blocked | None:
    if is_customer(user) or user.pk != requisition.requested_by_id:
        return forbidden(_("Only the engineer who asked for the parts confirms their receipt."))
    return _status(requisition, RS.ISSUED, _("Only issued parts are confirmed; this requisition is “%(status)s”."))


def fit_blocker(user: Any, requisition: Requisition) -> Blocked | None:
    if is_customer(user) or not user.has_perm("parts.change_requisition"):
        return forbidden(_("Your role does not allow this."))
    if wo_facts(user, requisition.work_order).mine is None:
        return forbidden(_("Only the engineers assigned to this work order fit its parts."))
    return _status(requisition, RS.RECEIVED,
                   _("Parts are fitted after the engineer confirmed their receipt; this requisition is “%(status)s”."))


def old_part_receive_blocker(user: Any, old_part: OldPartReturn) -> Blocked | None:
    if found := _perm(user, PERM_STOCK, _("Only the warehouse receives old parts.")):
        return found
    if old_part.status != OldPartStatus.DUE:
        return not_now(_("This old part has already been received."))
    return None
