"""Who may take which step of a work order now: the blockers of the declared steps (steps.py).

Each blocker is ``(user, work_order) -> Blocked | None``: ``forbidden`` for the role or the assignment
(403), ``not_now`` for the work order's state (400). The services check again inside their transaction.

What the blockers need to know about the user and the job (their assignment, an open visit, a pending
help request, the work report) is read once per page into ``facts`` (the page can hand over what it
read already with ``prime``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import Blocked, forbidden, not_now

from .choices import ESCALATED_RESULTS, FIELD_STATUSES, AssignmentRole, HelpRequestStatus, WorkOrderStatus
from .models import (
    TRANSITIONS,
    FeeLine,
    HelpRequest,
    ServiceReport,
    Visit,
    WorkOrder,
    WorkOrderAssignment,
    WorkReport,
)

S = WorkOrderStatus
PERM_ADD = "workorders.add_workorder"
PERM_CHANGE = "workorders.change_workorder"
PERM_DISPATCH = "workorders.dispatch_workorder"
PERM_APPROVE = "workorders.approve_workorder"
PERM_CLOSE = "workorders.close_workorder"
PERM_PLAN = "workorders.plan_escalation"
PERM_APPROVE_HELP = "workorders.approve_helprequest"
MAJOR = "major"
WAITING = (S.DISPATCHED, S.ACCEPTED, S.ON_SITE)
ILLEGAL_MOVE = gettext_lazy("A work order that is “%(status)s” cannot move to “%(target)s”.")


@dataclass
class Facts:
    mine: WorkOrderAssignment | None
    my_open_visit: bool
    pending_help: bool
    has_work_report: bool


def prime(user: Any, wo: WorkOrder, facts_: Facts) -> None:
    wo.__dict__.setdefault("_rule_facts", {})[user.pk] = facts_


def facts(user: Any, wo: WorkOrder) -> Facts:
    cache = wo.__dict__.setdefault("_rule_facts", {})
    if user.pk not in cache:
        mine = WorkOrderAssignment.objects.filter(work_order=wo, engineer_id=user.pk, released_at__isnull=True).first()
        cache[user.pk] = Facts(
            mine=mine,
            my_open_visit=mine is not None and Visit.objects.filter(
                work_order=wo, engineer_id=user.pk, check_out_at__isnull=True).exists(),
            pending_help=HelpRequest.objects.filter(work_order=wo, status=HelpRequestStatus.PENDING).exists(),
            has_work_report=WorkReport.objects.filter(work_order=wo).exists(),
        )
    return cache[user.pk]


def _illegal(wo: WorkOrder, move: str) -> Blocked | None:
    sources, target = TRANSITIONS[move]
    if wo.status in sources:
        return None
    return not_now(ILLEGAL_MOVE % {"status": S(wo.status).label, "target": S(target).label})


def _state(wo: WorkOrder, statuses: tuple | frozenset) -> Blocked | None:
    if wo.status in statuses:
        return None
    return not_now(_("Not while the work order is “%(status)s”.") % {"status": S(wo.status).label})


def _role(user: Any, *perms: str) -> Blocked | None:
    if is_customer(user):
        return forbidden(_("Your role does not allow this."))
    if not any(user.has_perm(p) for p in perms):
        return forbidden(_("Your role does not allow this."))
    return None


def _on_team(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _role(user, PERM_CHANGE):
        return found
    if facts(user, wo).mine is None:
        return forbidden(_("Only the engineers assigned to this work order may do this."))
    return None


def _lead(user: Any, wo: WorkOrder) -> bool:
    mine = facts(user, wo).mine
    return mine is not None and mine.role == AssignmentRole.LEAD


# ---------------------------------------------------------------- dispatch and approval

def assign_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _role(user, PERM_DISPATCH) or _illegal(wo, "assign")


def approve_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _role(user, PERM_APPROVE) or _illegal(wo, "approve")


def reject_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _role(user, PERM_APPROVE) or _illegal(wo, "reject")


# ---------------------------------------------------------------- the engineers on the job

def accept_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _on_team(user, wo):
        return found
    mine = facts(user, wo).mine
    if mine.accepted_at is not None:
        return not_now(_("You have already accepted this job."))
    allowed = (S.DISPATCHED,) if _lead(user, wo) else WAITING
    return _state(wo, allowed)


def decline_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _on_team(user, wo):
        return found
    if facts(user, wo).my_open_visit:
        return not_now(_("Check out before you decline the job."))
    return _illegal(wo, "decline") if _lead(user, wo) else _state(wo, WAITING)


def contacted_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _on_team(user, wo) or _state(wo, WAITING):
        return found
    if wo.contacted_at is not None:
        return not_now(_("The customer contact is already recorded."))
    return None


def check_in_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _on_team(user, wo) or _illegal(wo, "check_in"):
        return found
    if facts(user, wo).my_open_visit:
        return not_now(_("You are already checked in."))
    return None


def check_out_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _on_team(user, wo):
        return found
    if not facts(user, wo).my_open_visit:
        return not_now(_("You are not checked in."))
    return None


def on_team_in(*statuses: str):
    """A field record of the engineers on the job, in these states."""
    def blocker(user: Any, wo: WorkOrder) -> Blocked | None:
        return _on_team(user, wo) or _state(wo, statuses)
    return blocker


def result_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _on_team(user, wo) or _illegal(wo, "complete")


# ---------------------------------------------------------------- reports and help

def may_write_work_report(user: Any, wo: WorkOrder) -> Blocked | None:
    """The engineers on the job or a service manager, on site or after (the work report page's rule)."""
    if is_customer(user):
        return forbidden(_("The engineers on the job or a service manager write the work report."))
    on_team = facts(user, wo).mine is not None
    if not ((on_team and user.has_perm(PERM_CHANGE)) or user.has_perm(PERM_APPROVE)):
        return forbidden(_("The engineers on the job or a service manager write the work report."))
    return _state(wo, (S.ON_SITE, S.COMPLETED))


def work_report_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    """Offered for major faults (where it is required), once one exists, and to service managers."""
    if found := may_write_work_report(user, wo):
        return found
    if wo.service_request.severity == MAJOR or facts(user, wo).has_work_report or user.has_perm(PERM_APPROVE):
        return None
    return not_now(_("A service work report is needed for major faults."))


def help_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _role(user, "workorders.add_helprequest"):
        return found
    branch = wo.branch
    if branch is None or branch.is_headquarters:
        return not_now(_("Headquarters' own work orders need no help request."))
    if facts(user, wo).mine is None and getattr(user, "branch_id", None) != wo.branch_id:
        return forbidden(_("The branch or the engineers on the job ask headquarters for help."))
    if facts(user, wo).pending_help:
        return not_now(_("A help request for this work order is waiting for its decision."))
    return _state(wo, WAITING)


def report_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _on_team(user, wo) or _state(wo, (S.ON_SITE, S.COMPLETED))


# ---------------------------------------------------------------- office

def escalation_plan_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _role(user, PERM_PLAN, PERM_APPROVE):
        return found
    if wo.result not in ESCALATED_RESULTS or wo.status == S.CANCELLED:
        return not_now(_("Only an escalated work order gets an escalation plan."))
    return None


def close_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _role(user, PERM_CLOSE) or _state(wo, (S.COMPLETED,))


EDITABLE = (S.DRAFT, S.DECLINED, S.PENDING_APPROVAL, S.DISPATCHED, S.ACCEPTED, S.ON_SITE)


def edit_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _role(user, PERM_ADD, PERM_DISPATCH) or _state(wo, EDITABLE)


def cancel_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    return _role(user, PERM_DISPATCH, PERM_CLOSE) or _illegal(wo, "cancel")


def link_sales_order_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    if found := _role(user, PERM_CLOSE, PERM_DISPATCH):
        return found
    if not wo.chargeable:
        return not_now(_("Only a chargeable work order is billed on a sales order."))
    if wo.status == S.CANCELLED:
        return not_now(_("Not while the work order is “%(status)s”.") % {"status": S(wo.status).label})
    return None


def may_write_fees(user: Any, wo: WorkOrder) -> bool:
    return (not is_customer(user) and wo.chargeable and wo.status not in (S.CLOSED, S.CANCELLED)
            and user.has_perm("workorders.add_feeline")
            and (user.has_perm(PERM_DISPATCH) or user.has_perm(PERM_CLOSE) or facts(user, wo).mine is not None))


PHOTO_STATUSES = tuple(FIELD_STATUSES)
PROGRESS_STATUSES = (S.ACCEPTED, S.ON_SITE, S.COMPLETED)
ONSITE_STATUSES = (S.ON_SITE, S.COMPLETED)


# ---------------------------------------------------------------- help requests (协作申请单)

def _help_pending(h: HelpRequest) -> Blocked | None:
    if h.status != HelpRequestStatus.PENDING:
        return not_now(_("This help request has already been decided."))
    return None


def _help_decider(user: Any) -> Blocked | None:
    if is_customer(user) or not user.has_perm(PERM_APPROVE_HELP):
        return forbidden(_("Only a service manager may decide help requests."))
    return None


def help_approve_blocker(user: Any, h: HelpRequest) -> Blocked | None:
    if found := _help_decider(user) or _help_pending(h):
        return found
    if h.work_order.status not in WAITING:
        return not_now(_("The work order is no longer waiting for help."))
    return None


def help_reject_blocker(user: Any, h: HelpRequest) -> Blocked | None:
    return _help_decider(user) or _help_pending(h)


def help_charge_blocker(user: Any, h: HelpRequest) -> Blocked | None:
    """The headquarters service department (the service manager) records the internal charge once the branch
    confirmed the support."""
    if is_customer(user) or not user.has_perm(PERM_APPROVE_HELP):
        return forbidden(_("Only the headquarters service department records internal charges."))
    if h.status != HelpRequestStatus.CONFIRMED:
        return not_now(_("The internal charge is recorded once the branch has confirmed the support."))
    return None


def help_confirm_blocker(user: Any, h: HelpRequest) -> Blocked | None:
    """技术支持确认单: whoever asked, or the branch's staff; never the headquarters engineer who helped."""
    allowed = not is_customer(user) and user.pk != h.hq_engineer_id and (
        user.pk == h.requested_by_id
        or (user.has_perm("workorders.change_helprequest") and getattr(user, "branch_id", None)
            and user.branch_id == h.work_order.branch_id))
    if not allowed:
        return forbidden(_("The branch that asked for help confirms the support."))
    if h.status != HelpRequestStatus.APPROVED:
        return not_now(_("Only an approved help request can be confirmed, once."))
    return None


# ---------------------------------------------------------------- service reports (售后服务记录单)

def _report_writer(user: Any, report: ServiceReport) -> Blocked | None:
    wo = report.work_order
    if is_customer(user) or not user.has_perm(PERM_CHANGE) or facts(user, wo).mine is None:
        return forbidden(_("Only the engineers on this job write its service report, before it is signed."))
    if report.is_signed:
        return not_now(_("The service report is already signed."))
    return None


def report_edit_blocker(user: Any, report: ServiceReport) -> Blocked | None:
    return _report_writer(user, report) or _state(report.work_order, ONSITE_STATUSES)


def report_sign_blocker(user: Any, report: ServiceReport) -> Blocked | None:
    if found := _report_writer(user, report):
        return found
    if report.work_order.status != S.COMPLETED:
        return not_now(_("Record the result of the work before the customer signs."))
    return None


def create_sales_order_blocker(user: Any, wo: WorkOrder) -> Blocked | None:
    """The fee SO is made by whoever may create sales orders (service desk, service manager, sales), once per
    chargeable job with fees."""
    if found := _role(user, "assets.add_salesorder"):
        return found
    if not wo.chargeable:
        return not_now(_("Only a chargeable work order is billed on a sales order."))
    if wo.status == S.CANCELLED:
        return not_now(_("Not while the work order is “%(status)s”.") % {"status": S(wo.status).label})
    if wo.billing_sales_order_id is not None:
        return not_now(_("This work order is already billed on a sales order."))
    if not FeeLine.objects.filter(work_order=wo).exists():
        return not_now(_("Add the fees of the job before its sales order is made."))
    return None
