"""Help requests to headquarters (协作申请单): create, approve (a headquarters engineer joins as a
helper), reject, and the branch's confirmation of the support given (技术支持确认单)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from serviceloop.core.concurrency import check_version, save_versioned
from serviceloop.core.messages import message
from serviceloop.core.notifications import mark_done, notify
from serviceloop.core.numbering import next_number
from serviceloop.core.timeline import record_event

from ..choices import AssignmentRole, ChargePayer, HelpRequestStatus
from ..models import HelpRequest, SupportConfirmation, WorkOrder, WorkOrderAssignment
from .common import S, _authenticated, _has, _lock, _require, _require_status, _text, _user
from .work_orders import _check_engineer, _managers, engineer_phone, is_assigned


def _lock_help(help_request: HelpRequest) -> HelpRequest:
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("work_order", "work_order__branch", "work_order__customer", "requested_by", "hq_engineer")
        .get(pk=help_request.pk)
    )


@transaction.atomic
def help_request_create(
    *, actor: Any, work_order: WorkOrder, reason: str, skill: Any = None, skill_note: str = ""
) -> HelpRequest:
    """协作申请单: an engineer on the job, or the branch's staff, asks headquarters for an engineer."""
    _require(actor, "workorders.add_helprequest")
    work_order = _lock(work_order)
    branch = work_order.branch
    if not (is_assigned(actor, work_order) or (getattr(actor, "branch_id", None) and branch is not None
                                               and actor.branch_id == branch.pk)):
        raise PermissionDenied(_("Only the engineers on this job or the branch's staff may ask for help."))
    if branch is None or branch.is_headquarters:
        raise ValidationError(_("Headquarters serves this customer itself; assign an engineer instead."),
                              code="hq_customer")
    _require_status(work_order, (S.DISPATCHED, S.ACCEPTED, S.ON_SITE),
                    _("Help is asked for a work order that is dispatched and not yet completed."))
    if HelpRequest.objects.filter(work_order=work_order, status=HelpRequestStatus.PENDING).exists():
        raise ValidationError(_("A help request for this work order is already waiting for approval."),
                              code="pending")
    reason = _text(reason)
    errors = {}
    if not reason:
        errors["reason"] = [_("Say what help is needed and why.")]
    skill_note = _text(skill_note)
    if len(skill_note) > 200:
        errors["skill_note"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    help_request = HelpRequest(number=next_number("HR"), work_order=work_order, requested_by=_user(actor),
                               reason=reason, skill=skill, skill_note=skill_note)
    save_versioned(help_request, expected_version=None, user=actor)
    record_event(help_request, actor=actor, verb="created", to_state=help_request.status, note=reason)
    record_event(work_order, actor=actor, verb="help_requested", note=help_request.number,
                 data={"help_request": help_request.pk})
    notify(recipients=_managers(), kind="help_request", obj=help_request,
           subject=message(gettext_noop("Help request %(number)s from %(branch)s"),
                           number=help_request.number, branch=branch),
           body=reason)
    return help_request


@transaction.atomic
def help_request_approve(
    *, actor: Any, help_request: HelpRequest, hq_engineer: Any, note: str = ""
) -> HelpRequest:
    """The service manager approves and sends a headquarters engineer, who joins the work order as a helper."""
    _require(actor, "workorders.approve_helprequest", message=_("Only a service manager may decide help requests."))
    help_request = _lock_help(help_request)
    if help_request.status != HelpRequestStatus.PENDING:
        raise ValidationError(_("This help request has already been decided."), code="decided")
    work_order = _lock(help_request.work_order)
    _require_status(work_order, (S.DISPATCHED, S.ACCEPTED, S.ON_SITE),
                    _("The work order is no longer waiting for help."))
    problem = None
    if hq_engineer is None:
        problem = _("Choose the headquarters engineer.")
    else:
        problem = _check_engineer(hq_engineer, work_order)
        if problem is None and hq_engineer.branch_id and not hq_engineer.branch.is_headquarters:
            problem = _("%(name)s is not a headquarters engineer.") % {"name": hq_engineer}
        if problem is None and is_assigned(hq_engineer, work_order):
            problem = _("%(name)s is already on this work order.") % {"name": hq_engineer}
    if problem:
        raise ValidationError({"hq_engineer": [problem]})
    now = timezone.now()
    WorkOrderAssignment.objects.create(work_order=work_order, engineer=hq_engineer, role=AssignmentRole.HELPER,
                                       assigned_at=now, assigned_by=_user(actor), help_request=help_request)
    source = help_request.status
    help_request.status = HelpRequestStatus.APPROVED
    help_request.decided_by, help_request.decided_at = _user(actor), now
    help_request.decision_note = _text(note)
    help_request.hq_engineer = hq_engineer
    save_versioned(help_request, expected_version=None, user=actor)
    record_event(help_request, actor=actor, verb="help_approved", from_state=source, to_state=help_request.status,
                 note=str(hq_engineer), data={"hq_engineer": hq_engineer.pk})
    mark_done(help_request, "help_request")
    record_event(work_order, actor=actor, verb="help_approved", note=f"{help_request.number}: {hq_engineer}",
                 data={"help_request": help_request.pk, "engineer": hq_engineer.pk})
    notify(recipients=[hq_engineer], kind="help_assigned", obj=work_order,
           subject=message(gettext_noop("You support work order %(number)s"), number=work_order.number),
           body=message(gettext_noop("%(customer)s. Help request %(request)s: %(reason)s"),
                        customer=work_order.customer.name, request=help_request.number, reason=help_request.reason))
    notify(recipients=[help_request.requested_by], kind="help_approved", obj=help_request,
           subject=message(gettext_noop("Help request %(number)s approved"), number=help_request.number),
           body=message(gettext_noop("Headquarters engineer %(name)s (phone %(phone)s) joins the job."),
                        name=hq_engineer, phone=engineer_phone(hq_engineer) or "-"))
    return help_request


@transaction.atomic
def help_request_reject(*, actor: Any, help_request: HelpRequest, reason: str) -> HelpRequest:
    _require(actor, "workorders.approve_helprequest", message=_("Only a service manager may decide help requests."))
    help_request = _lock_help(help_request)
    if help_request.status != HelpRequestStatus.PENDING:
        raise ValidationError(_("This help request has already been decided."), code="decided")
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why the help request is rejected.")]})
    source = help_request.status
    help_request.status = HelpRequestStatus.REJECTED
    help_request.decided_by, help_request.decided_at = _user(actor), timezone.now()
    help_request.decision_note = reason
    save_versioned(help_request, expected_version=None, user=actor)
    record_event(help_request, actor=actor, verb="help_rejected", from_state=source, to_state=help_request.status,
                 note=reason)
    mark_done(help_request, "help_request")
    record_event(help_request.work_order, actor=actor, verb="help_rejected", note=f"{help_request.number}: {reason}")
    notify(recipients=[help_request.requested_by], kind="help_rejected", obj=help_request,
           subject=message(gettext_noop("Help request %(number)s rejected"),
                           number=help_request.number), body=reason)
    return help_request


@transaction.atomic
def help_request_confirm(
    *, actor: Any, help_request: HelpRequest, support_given: str, rating: int, note: str = ""
) -> SupportConfirmation:
    """技术支持确认单: the branch confirms the support headquarters gave (basis of the internal charge)."""
    help_request = _lock_help(help_request)
    work_order = help_request.work_order
    allowed = _authenticated(actor) and actor.pk != help_request.hq_engineer_id and (
        actor.pk == help_request.requested_by_id
        or (_has(actor, "workorders.change_helprequest") and getattr(actor, "branch_id", None)
            and actor.branch_id == work_order.branch_id)
    )
    if not allowed:
        raise PermissionDenied(_("The branch that asked for help confirms the support."))
    if help_request.status != HelpRequestStatus.APPROVED:
        raise ValidationError(_("Only an approved help request can be confirmed, once."), code="wrong_status")
    errors = {}
    support_given = _text(support_given)
    if not support_given:
        errors["support_given"] = [_("Describe the support given.")]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = [_("Rate the support from 1 to 5.")]
    if errors:
        raise ValidationError(errors)
    confirmation = SupportConfirmation(help_request=help_request, support_given=support_given, rating=rating,
                                       note=_text(note), confirmed_by=_user(actor), confirmed_at=timezone.now())
    save_versioned(confirmation, expected_version=None, user=actor)
    source = help_request.status
    help_request.status = HelpRequestStatus.CONFIRMED
    save_versioned(help_request, expected_version=None, user=actor)
    record_event(help_request, actor=actor, verb="support_confirmed", from_state=source,
                 to_state=help_request.status, note=support_given, data={"rating": rating})
    record_event(work_order, actor=actor, verb="support_confirmed", note=help_request.number,
                 data={"rating": rating})
    return confirmation


MAX_CHARGE = Decimal("1e10")


@transaction.atomic
def help_request_charge(
    *, actor: Any, help_request: HelpRequest, amount: Any, basis: str, payer: str,
    expected_version: int | None = None,
) -> HelpRequest:
    """The internal charge for the support headquarters gave (seed 003 §5.2.2): after the branch confirmed
    the support (技术支持确认单), the customer service department records the amount by the sales company's
    fee standard, its basis and who pays whom; recording it again corrects it."""
    _require(actor, "workorders.approve_helprequest",
             message=_("Only the headquarters service department records internal charges."))
    help_request = _lock_help(help_request)
    check_version(help_request, expected_version)
    if help_request.status != HelpRequestStatus.CONFIRMED:
        raise ValidationError(_("The internal charge is recorded once the branch has confirmed the support."),
                              code="wrong_status")
    errors: dict[str, list[str]] = {}
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01")) if amount not in (None, "") else None
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value < 0 or value >= MAX_CHARGE:
        errors["amount"] = [_("Enter the amount in CNY, 0 or more.")]
    basis = _text(basis)
    if not basis:
        errors["basis"] = [_("Write the basis of the charge (the fee standard applied).")]
    if payer not in ChargePayer.values:
        errors["payer"] = [_("Say who pays whom.")]
    if errors:
        raise ValidationError(errors)
    again = help_request.is_charged
    help_request.charge_amount, help_request.charge_basis, help_request.charge_payer = value, basis, payer
    help_request.charged_by, help_request.charged_at = _user(actor), timezone.now()
    save_versioned(help_request, expected_version=None, user=actor)
    label = ChargePayer(payer).label
    note = f"{value} CNY · {label} · {basis}"
    record_event(help_request, actor=actor, verb="help_charged", note=note,
                 data={"amount": str(value), "payer": payer, "corrected": again})
    record_event(help_request.work_order, actor=actor, verb="help_charged", note=f"{help_request.number}: {note}",
                 data={"help_request": help_request.pk, "amount": str(value), "payer": payer})
    notify(recipients=[help_request.requested_by], kind="help_charged", obj=help_request,
           subject=message(gettext_noop("Internal charge for help request %(number)s"), **{"number": help_request.number}),
           body=message(gettext_noop("%(amount)s CNY, %(payer)s. Basis: %(basis)s"), **{"amount": value, "payer": label, "basis": basis}))
    return help_request
