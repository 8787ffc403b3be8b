"""Writes for work orders (派工单): creation from a request, dispatch, approval, the engineers' field
records, help requests to headquarters, the signed service report, the major-fault work report and fees.

Every workflow step locks the work order row, checks ``models.TRANSITIONS``, writes the change and a
timeline event (from -> to). Who may act is decided here too:
- dispatching needs ``workorders.dispatch_workorder`` (dispatcher, service manager);
- approving needs ``workorders.approve_workorder`` (service manager);
- engineer actions are for the engineers assigned to that work order only;
- closing needs ``workorders.close_workorder`` (service desk, dispatcher, service manager).
A refusal by role or assignment is ``PermissionDenied`` (403); a wrong state or bad input is a
``ValidationError`` (400) with a message for the person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.concurrency import save_versioned
from serviceloop.core.notifications import customer_users, notify, users_with_role
from serviceloop.core.numbering import next_number
from serviceloop.core.timeline import record_event
from serviceloop.core.workflow import apply_move, check_move
from serviceloop.service.choices import RequestStatus, ServicePlan, SlaTarget
from serviceloop.service.models import ServiceRequest
from serviceloop.service.services import (
    request_confirm_resolution,
    request_resolve,
    request_start_work,
    sla_meet_target,
    sla_start_target,
)

from .choices import (
    ESCALATED_RESULTS,
    FIELD_STATUSES,
    OPEN_STATUSES,
    AssignmentRole,
    HelpRequestStatus,
    ReportStatus,
    WorkOrderStatus,
    WorkResult,
)
from .models import (
    TRANSITIONS,
    FeeLine,
    HelpRequest,
    LabourEntry,
    ProgressNote,
    ServiceReport,
    SupportConfirmation,
    TestRecord,
    Visit,
    WorkOrder,
    WorkOrderAssignment,
    WorkReport,
)
from .signatures import png_data_url, signature_png

S = WorkOrderStatus
# a time typed on a phone a little ahead of the server clock is accepted
CLOCK_SKEW = timedelta(minutes=5)
UNSET: Any = object()

PERM_ADD = "workorders.add_workorder"
PERM_CHANGE = "workorders.change_workorder"
PERM_DISPATCH = "workorders.dispatch_workorder"
PERM_APPROVE = "workorders.approve_workorder"
PERM_CLOSE = "workorders.close_workorder"
PERM_PLAN = "workorders.plan_escalation"


# ---------------------------------------------------------------- helpers

def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and bool(getattr(actor, "is_active", False))


def _user(actor: Any) -> Any:
    return actor if _authenticated(actor) else None


def _has(actor: Any, *perms: str) -> bool:
    """True when the actor holds any of ``perms``."""
    return _authenticated(actor) and any(actor.has_perm(p) for p in perms)


def _require(actor: Any, *perms: str, message: str | None = None) -> None:
    if not _has(actor, *perms):
        raise PermissionDenied(message or _("Your role does not allow this."))


def _lock(work_order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))  # PostgreSQL: lock the work order row only
        .select_related("request", "customer", "site", "unit", "unit__product_model", "branch")
        .get(pk=work_order.pk)
    )


ILLEGAL_MOVE = gettext_lazy("A work order that is “%(status)s” cannot move to “%(target)s”.")
WORKFLOW = {"transitions": TRANSITIONS, "statuses": WorkOrderStatus, "message": ILLEGAL_MOVE}


def _check_move(work_order: WorkOrder, move: str) -> str:
    return check_move(work_order, move, **WORKFLOW)


def _move(work_order: WorkOrder, move: str, **kwargs: Any) -> WorkOrder:
    """Apply a move whose fields the caller has already set on ``work_order`` (a locked row)."""
    return apply_move(work_order, move, **WORKFLOW, **kwargs)


def _require_status(work_order: WorkOrder, statuses: Iterable[str], message: str) -> None:
    if work_order.status not in set(statuses):
        raise ValidationError(message, code="wrong_status")


def _text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()


def active_assignments(work_order: WorkOrder):
    """The current team: lead first, then helpers in the order they joined."""
    return (
        WorkOrderAssignment.objects.filter(work_order=work_order, released_at__isnull=True)
        .select_related("engineer", "engineer__engineer")
        .order_by("role", "assigned_at", "id")  # "helper" < "lead" alphabetically; sorted below
    )


def team(work_order: WorkOrder) -> list[WorkOrderAssignment]:
    rows = list(active_assignments(work_order))
    return sorted(rows, key=lambda a: (a.role != AssignmentRole.LEAD, a.assigned_at, a.pk))


def lead_of(work_order: WorkOrder) -> Any:
    row = (
        WorkOrderAssignment.objects.filter(work_order=work_order, released_at__isnull=True, role=AssignmentRole.LEAD)
        .select_related("engineer", "engineer__engineer")
        .first()
    )
    return row.engineer if row is not None else None


def is_assigned(user: Any, work_order: WorkOrder) -> bool:
    return _authenticated(user) and WorkOrderAssignment.objects.filter(
        work_order=work_order, engineer=user, released_at__isnull=True
    ).exists()


def _require_assignee(actor: Any, work_order: WorkOrder) -> WorkOrderAssignment:
    assignment = None
    if _has(actor, PERM_CHANGE):
        assignment = WorkOrderAssignment.objects.filter(
            work_order=work_order, engineer=actor, released_at__isnull=True
        ).first()
    if assignment is None:
        raise PermissionDenied(_("Only the engineers assigned to this work order may do this."))
    return assignment


def engineer_phone(user: Any) -> str:
    profile = getattr(user, "engineer", None) if user is not None else None  # None without a profile row
    phone = profile.phone if profile is not None else ""
    return phone or getattr(user, "phone", "") or ""


def _profile(user: Any) -> Any:
    from serviceloop.accounts.models import EngineerProfile

    return EngineerProfile.objects.filter(user=user).select_related("user", "user__branch").first()


def engineer_may_serve(user: Any, work_order: WorkOrder) -> bool:
    """A branch engineer serves the branch's customers; a headquarters engineer serves every branch."""
    branch = getattr(user, "branch", None)
    return branch is None or branch.is_headquarters or user.branch_id == work_order.branch_id


def _check_engineer(user: Any, work_order: WorkOrder) -> str | None:
    """Why ``user`` cannot be sent on ``work_order``, or None."""
    if user is None or not getattr(user, "is_active", False) or getattr(user, "customer_id", None):
        return _("%(name)s is not an active engineer.") % {"name": user}
    profile = _profile(user)
    if profile is None:
        return _("%(name)s has no engineer profile.") % {"name": user}
    if not profile.active:
        return _("%(name)s is not available for dispatch.") % {"name": user}
    if not engineer_may_serve(user, work_order):
        return _("%(name)s works for another branch; ask headquarters for help instead.") % {"name": user}
    return None


def _time(value: datetime | None, *, field: str, now: datetime, not_before: datetime | None = None) -> datetime:
    at = value or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SKEW:
        raise ValidationError({field: [_("The time cannot be in the future.")]})
    if not_before is not None and at < not_before:
        raise ValidationError({field: [_("The time cannot be before %(time)s.")
                                       % {"time": timezone.localtime(not_before).strftime("%Y-%m-%d %H:%M")}]})
    return at


def _coordinates(latitude: Any, longitude: Any, prefix: str) -> tuple[Decimal | None, Decimal | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        raise ValidationError({f"{prefix}_latitude": [_("Give both latitude and longitude, or neither.")]})
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lng = Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError({f"{prefix}_latitude": [_("Enter the position as decimal degrees.")]}) from None
    errors = {}
    if not Decimal(-90) <= lat <= Decimal(90):
        errors[f"{prefix}_latitude"] = [_("Latitude is between -90 and 90.")]
    if not Decimal(-180) <= lng <= Decimal(180):
        errors[f"{prefix}_longitude"] = [_("Longitude is between -180 and 180.")]
    if errors:
        raise ValidationError(errors)
    return lat, lng


def _dispatchers(work_order: WorkOrder) -> list[Any]:
    people = users_with_role("dispatcher", branch=work_order.branch)
    if work_order.dispatched_by_id and work_order.dispatched_by not in people:
        people.append(work_order.dispatched_by)
    return people


def _managers(work_order: WorkOrder | None = None) -> list[Any]:
    return users_with_role("service_manager", branch=work_order.branch if work_order is not None else None)


# ---------------------------------------------------------------- creation and planning

@transaction.atomic
def work_order_create(
    *, actor: Any, request: ServiceRequest, description: str = "", work_instruction: str = "",
    planned_date: date | None = None, required_skill: Any = None,
) -> WorkOrder:
    """A work order for a request whose on-site plan the customer confirmed (the request starts work),
    or for a request already in progress (another visit)."""
    _require(actor, PERM_ADD, PERM_DISPATCH)
    request = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("customer", "customer__branch", "site", "unit", "unit__site")
        .get(pk=request.pk)
    )
    if request.status == RequestStatus.PLAN_CONFIRMED:
        if request.plan != ServicePlan.ONSITE:
            raise ValidationError(
                _("The service plan the customer agreed to is not on-site service."), code="not_onsite"
            )
    elif request.status == RequestStatus.IN_PROGRESS:
        busy = (
            WorkOrder.objects.filter(request=request, status__in=OPEN_STATUSES)
            .exclude(status=S.COMPLETED).order_by("created_at").first()
        )
        if busy is not None:
            raise ValidationError(
                _("Work order %(number)s of this request is still open.") % {"number": busy.number}, code="open_wo"
            )
    else:
        raise ValidationError(
            _("A work order needs a request whose on-site plan the customer confirmed, or a request in progress "
              "(request %(number)s is “%(status)s”).")
            % {"number": request.number, "status": RequestStatus(request.status).label},
            code="request_state",
        )
    if planned_date is not None and planned_date < timezone.localdate():
        raise ValidationError({"planned_date": [_("The planned date cannot be in the past.")]})
    first = request.status == RequestStatus.PLAN_CONFIRMED
    work_order = WorkOrder(
        number=next_number("WO"),
        request=request,
        customer=request.customer,
        site=request.site or (request.unit.site if request.unit is not None else None),
        unit=request.unit,
        branch=request.customer.branch,
        description=_text(description) or request.title,
        work_instruction=_text(work_instruction),
        required_skill=required_skill,
        planned_date=planned_date,
        chargeable=request.warranty_state == "chargeable",
    )
    save_versioned(work_order, expected_version=None, user=actor)
    record_event(work_order, actor=actor, verb="created", to_state=work_order.status,
                 data={"request": request.number, "another_visit": not first})
    record_event(request, actor=actor, verb="work_order_created", note=work_order.number,
                 data={"work_order": work_order.pk})
    if first:
        work_order.request = request_start_work(actor=actor, request=request, note=work_order.number)
    notify(
        recipients=_dispatchers(work_order), kind="work_order_to_dispatch", obj=work_order,
        subject=_("Work order %(number)s waits for dispatch") % {"number": work_order.number},
        body=_("%(customer)s: %(title)s") % {"customer": request.customer.name, "title": request.title},
    )
    return work_order


@transaction.atomic
def work_order_update(
    *, actor: Any, work_order: WorkOrder, description: Any = UNSET, work_instruction: Any = UNSET,
    planned_date: Any = UNSET, required_skill: Any = UNSET, chargeable: Any = UNSET,
    expected_version: int | None = None,
) -> WorkOrder:
    """Change the planning data (task, work instruction, planned date, skill, chargeable) before the work is done."""
    _require(actor, PERM_ADD, PERM_DISPATCH)
    work_order = _lock(work_order)
    _require_status(work_order, (S.DRAFT, S.DECLINED, S.PENDING_APPROVAL, S.DISPATCHED, S.ACCEPTED, S.ON_SITE),
                    _("Only a work order not yet completed can be changed."))
    changed = []
    if description is not UNSET:
        work_order.description = _text(description)
        changed.append("description")
    if work_instruction is not UNSET:
        work_order.work_instruction = _text(work_instruction)
        changed.append("work_instruction")
    if planned_date is not UNSET:
        if planned_date is not None and planned_date < timezone.localdate() and planned_date != work_order.planned_date:
            raise ValidationError({"planned_date": [_("The planned date cannot be in the past.")]})
        work_order.planned_date = planned_date
        changed.append("planned_date")
    if required_skill is not UNSET:
        work_order.required_skill = required_skill
        changed.append("required_skill")
    if chargeable is not UNSET:
        work_order.chargeable = bool(chargeable)
        changed.append("chargeable")
    save_versioned(work_order, expected_version=expected_version, user=actor)
    record_event(work_order, actor=actor, verb="updated", data={"fields": changed})
    return work_order


# ---------------------------------------------------------------- dispatch and approval

@transaction.atomic
def work_order_assign(
    *, actor: Any, work_order: WorkOrder, lead: Any, helpers: Sequence[Any] = (), planned_date: Any = UNSET,
    work_instruction: Any = UNSET, required_skill: Any = UNSET, note: str = "", expected_version: int | None = None,
) -> WorkOrder:
    """The dispatcher assigns the lead engineer and helpers; the work order waits for the manager's approval.
    A new assignment replaces the previous team (declined or not yet approved)."""
    _require(actor, PERM_DISPATCH, message=_("Only a dispatcher may assign engineers."))
    work_order = _lock(work_order)
    _check_move(work_order, "assign")
    errors: dict[str, list[str]] = {}
    if lead is None:
        errors["lead"] = [_("Choose the lead engineer.")]
    else:
        problem = _check_engineer(lead, work_order)
        if problem:
            errors["lead"] = [problem]
    seen = {lead.pk} if lead is not None else set()
    helper_list = []
    for helper in helpers or ():
        if helper is None or helper.pk in seen:
            errors.setdefault("helpers", []).append(
                _("Each engineer is assigned once; the lead is not also a helper.")
            )
            continue
        seen.add(helper.pk)
        problem = _check_engineer(helper, work_order)
        if problem:
            errors.setdefault("helpers", []).append(problem)
        helper_list.append(helper)
    if planned_date is not UNSET:
        if planned_date is not None and planned_date < timezone.localdate():
            errors["planned_date"] = [_("The planned date cannot be in the past.")]
        else:
            work_order.planned_date = planned_date
    if work_order.planned_date is None and "planned_date" not in errors:
        errors["planned_date"] = [_("Set the planned date of the visit.")]
    if errors:
        raise ValidationError(errors)
    if work_instruction is not UNSET:
        work_order.work_instruction = _text(work_instruction)
    if required_skill is not UNSET:
        work_order.required_skill = required_skill
    now = timezone.now()
    WorkOrderAssignment.objects.filter(work_order=work_order, released_at__isnull=True).update(released_at=now)
    rows = [WorkOrderAssignment(work_order=work_order, engineer=lead, role=AssignmentRole.LEAD, assigned_at=now,
                                assigned_by=_user(actor))]
    rows += [WorkOrderAssignment(work_order=work_order, engineer=h, role=AssignmentRole.HELPER, assigned_at=now,
                                 assigned_by=_user(actor)) for h in helper_list]
    WorkOrderAssignment.objects.bulk_create(rows)
    work_order.dispatched_by = _user(actor)
    work_order.dispatched_at = now
    work_order.accepted_at = None
    _move(work_order, "assign", actor=actor, note=_text(note), expected_version=expected_version,
          data={"lead": lead.pk, "helpers": [h.pk for h in helper_list]})
    notify(
        recipients=[m for m in _managers(work_order) if m.pk != getattr(actor, "pk", None)],
        kind="work_order_to_approve", obj=work_order,
        subject=_("Work order %(number)s waits for your approval") % {"number": work_order.number},
        body=_("Lead engineer: %(lead)s") % {"lead": lead},
    )
    return work_order


@transaction.atomic
def work_order_reject(*, actor: Any, work_order: WorkOrder, reason: str) -> WorkOrder:
    """The service manager does not approve the dispatch: back to the dispatcher (draft) with the reason."""
    _require(actor, PERM_APPROVE, message=_("Only a service manager may approve or return a dispatch."))
    work_order = _lock(work_order)
    _check_move(work_order, "reject")
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why the dispatch is returned.")]})
    WorkOrderAssignment.objects.filter(work_order=work_order, released_at__isnull=True).update(
        released_at=timezone.now()
    )
    _move(work_order, "reject", actor=actor, note=reason)
    notify(recipients=_dispatchers(work_order), kind="work_order_returned", obj=work_order,
           subject=_("Dispatch of %(number)s returned") % {"number": work_order.number}, body=reason)
    return work_order


@transaction.atomic
def work_order_approve(*, actor: Any, work_order: WorkOrder, note: str = "") -> WorkOrder:
    """The service manager approves the dispatch (派工单审批): the contact and arrival clocks start; the
    engineers and the customer are told who comes and how to reach them."""
    _require(actor, PERM_APPROVE, message=_("Only a service manager may approve or return a dispatch."))
    work_order = _lock(work_order)
    _check_move(work_order, "approve")
    members = team(work_order)
    lead = next((a.engineer for a in members if a.role == AssignmentRole.LEAD), None)
    if lead is None:
        raise ValidationError(_("Assign a lead engineer before approving."), code="no_lead")
    now = timezone.now()
    work_order.approved_by = _user(actor)
    work_order.approved_at = now
    _move(work_order, "approve", actor=actor, note=_text(note))
    for target in (SlaTarget.ENGINEER_CONTACT, SlaTarget.ONSITE_ARRIVAL):
        sla_start_target(request=work_order.request, target=target, actor=actor, at=now)
    when = work_order.planned_date.isoformat() if work_order.planned_date else ""
    notify(
        recipients=[a.engineer for a in members], kind="work_order_dispatched", obj=work_order,
        subject=_("Work order %(number)s is dispatched to you") % {"number": work_order.number},
        body=_("%(customer)s, planned %(date)s. Contact the customer within the hour.")
        % {"customer": work_order.customer.name, "date": when},
    )
    notify(
        recipients=customer_users(work_order.customer), kind="engineer_dispatched", obj=work_order,
        subject=_("An engineer is on the way for request %(number)s") % {"number": work_order.request.number},
        body=_("Engineer %(name)s (phone %(phone)s) will contact you. Planned date: %(date)s.")
        % {"name": lead, "phone": engineer_phone(lead) or "-", "date": when or "-"},
    )
    return work_order


# ---------------------------------------------------------------- the engineers

@transaction.atomic
def work_order_accept(*, actor: Any, work_order: WorkOrder) -> WorkOrder:
    """An assigned engineer accepts the job; the lead's acceptance moves the work order to accepted."""
    work_order = _lock(work_order)
    assignment = _require_assignee(actor, work_order)
    if assignment.accepted_at is not None:
        raise ValidationError(_("You have already accepted this work order."), code="twice")
    now = timezone.now()
    if assignment.role == AssignmentRole.LEAD:
        _check_move(work_order, "accept")
        assignment.accepted_at = now
        assignment.save(update_fields=["accepted_at"])
        work_order.accepted_at = now
        _move(work_order, "accept", actor=actor)
    else:
        _require_status(work_order, (S.DISPATCHED, S.ACCEPTED, S.ON_SITE),
                        _("This work order is not waiting for its engineers."))
        assignment.accepted_at = now
        assignment.save(update_fields=["accepted_at"])
        record_event(work_order, actor=actor, verb="helper_accepted", note=str(actor))
    return work_order


@transaction.atomic
def work_order_decline(*, actor: Any, work_order: WorkOrder, reason: str) -> WorkOrder:
    """An assigned engineer declines with a reason. The lead's decline sends the work order back to the
    dispatcher for re-dispatch; a helper's decline only takes them off the team."""
    work_order = _lock(work_order)
    assignment = _require_assignee(actor, work_order)
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why you decline.")]})
    now = timezone.now()
    if assignment.role == AssignmentRole.LEAD:
        _check_move(work_order, "decline")
    else:
        _require_status(work_order, (S.DISPATCHED, S.ACCEPTED, S.ON_SITE),
                        _("This work order is not waiting for its engineers."))
    if Visit.objects.filter(work_order=work_order, engineer=actor, check_out_at__isnull=True).exists():
        raise ValidationError(_("Check out before declining."), code="checked_in")
    assignment.declined_at = now
    assignment.decline_reason = reason
    assignment.released_at = now
    assignment.save(update_fields=["declined_at", "decline_reason", "released_at"])
    if assignment.role == AssignmentRole.LEAD:
        work_order.accepted_at = None
        _move(work_order, "decline", actor=actor, note=reason)
        subject = _("%(name)s declined work order %(number)s: re-dispatch") % {"name": actor,
                                                                              "number": work_order.number}
    else:
        record_event(work_order, actor=actor, verb="helper_declined", note=reason)
        subject = _("Helper %(name)s declined work order %(number)s") % {"name": actor, "number": work_order.number}
    notify(recipients=_dispatchers(work_order), kind="work_order_declined", obj=work_order, subject=subject,
           body=reason)
    return work_order


@transaction.atomic
def work_order_contacted(
    *, actor: Any, work_order: WorkOrder, note: str = "", at: datetime | None = None
) -> WorkOrder:
    """The engineer called the customer (seed 003 §5.2.1: within 1 hour of dispatch): meets that SLA target."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _require_status(work_order, (S.DISPATCHED, S.ACCEPTED, S.ON_SITE),
                    _("The customer contact is recorded after dispatch and before the work is done."))
    if work_order.contacted_at is not None:
        raise ValidationError(_("The customer contact is already recorded."), code="twice")
    at = _time(at, field="at", now=timezone.now(), not_before=work_order.approved_at)
    work_order.contacted_at = at
    save_versioned(work_order, expected_version=None, user=actor)
    sla_meet_target(request=work_order.request, target=SlaTarget.ENGINEER_CONTACT, actor=actor, at=at)
    record_event(work_order, actor=actor, verb="contacted", note=_text(note), data={"at": at.isoformat()})
    return work_order


@transaction.atomic
def work_order_check_in(
    *, actor: Any, work_order: WorkOrder, latitude: Any = None, longitude: Any = None,
    at: datetime | None = None, note: str = "",
) -> Visit:
    """Arrival on site: opens a visit. The first arrival meets the on-site arrival target (and the contact
    target, if the call was not recorded) and tells the customer that the engineer has arrived."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _check_move(work_order, "check_in")
    if Visit.objects.filter(work_order=work_order, engineer=actor, check_out_at__isnull=True).exists():
        raise ValidationError(_("You are already checked in on this work order."), code="checked_in")
    lat, lng = _coordinates(latitude, longitude, "check_in")
    at = _time(at, field="at", now=timezone.now(), not_before=work_order.approved_at)
    someone_there = Visit.objects.filter(work_order=work_order, check_out_at__isnull=True).exists()
    visit = Visit.objects.create(work_order=work_order, engineer=actor, check_in_at=at, check_in_latitude=lat,
                                 check_in_longitude=lng, note=_text(note))
    request = work_order.request
    if work_order.arrived_at is None:
        work_order.arrived_at = at
        sla_meet_target(request=request, target=SlaTarget.ONSITE_ARRIVAL, actor=actor, at=at)
    if work_order.contacted_at is None:
        work_order.contacted_at = at
        sla_meet_target(request=request, target=SlaTarget.ENGINEER_CONTACT, actor=actor, at=at)
    data = {"visit": visit.pk}
    if lat is not None:
        data.update(latitude=str(lat), longitude=str(lng))
    _move(work_order, "check_in", actor=actor, note=_text(note), data=data)
    if not someone_there:
        notify(
            recipients=customer_users(work_order.customer), kind="engineer_arrived", obj=work_order,
            subject=_("The engineer has arrived for request %(number)s") % {"number": request.number},
            body=_("Engineer %(name)s (phone %(phone)s) arrived on site at %(time)s.")
            % {"name": actor, "phone": engineer_phone(actor) or "-",
               "time": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")},
        )
    return visit


@transaction.atomic
def work_order_check_out(
    *, actor: Any, work_order: WorkOrder, latitude: Any = None, longitude: Any = None,
    at: datetime | None = None, note: str = "",
) -> Visit:
    """Leaving the site: closes the engineer's open visit."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    visit = Visit.objects.select_for_update().filter(
        work_order=work_order, engineer=actor, check_out_at__isnull=True
    ).first()
    if visit is None:
        raise ValidationError(_("You are not checked in on this work order."), code="not_checked_in")
    lat, lng = _coordinates(latitude, longitude, "check_out")
    at = _time(at, field="at", now=timezone.now(), not_before=visit.check_in_at)
    visit.check_out_at = at
    visit.check_out_latitude, visit.check_out_longitude = lat, lng
    if _text(note):
        visit.note = "\n".join(filter(None, [visit.note, _text(note)]))
    visit.save()
    record_event(work_order, actor=actor, verb="checked_out", note=_text(note), data={"visit": visit.pk})
    return visit


@transaction.atomic
def work_order_add_progress(
    *, actor: Any, work_order: WorkOrder, note: str, day: date | None = None
) -> ProgressNote:
    """The daily progress report (seed 003 §5.3.1 b)."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _require_status(work_order, (S.ACCEPTED, S.ON_SITE, S.COMPLETED),
                    _("Progress is reported once the work order is accepted and until it closes."))
    note = _text(note)
    if not note:
        raise ValidationError({"note": [_("Write what was done today.")]})
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValidationError({"day": [_("The day cannot be in the future.")]})
    entry = ProgressNote.objects.create(work_order=work_order, author=_user(actor), day=day, note=note,
                                        created_at=timezone.now())
    record_event(work_order, actor=actor, verb="progress", note=note, data={"day": day.isoformat()})
    return entry


@transaction.atomic
def work_order_add_test(
    *, actor: Any, work_order: WorkOrder, item: str, passed: bool, result: str = ""
) -> TestRecord:
    """A test done per the work instruction (作业指导书): item, measured result, passed."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _require_status(work_order, (S.ON_SITE, S.COMPLETED), _("Tests are recorded on site."))
    item, result = _text(item), _text(result)
    errors = {}
    if not item:
        errors["item"] = [_("Name the test item.")]
    elif len(item) > 200:
        errors["item"] = [_("At most 200 characters.")]
    if len(result) > 500:
        errors["result"] = [_("At most 500 characters.")]
    if not isinstance(passed, bool):
        errors["passed"] = [_("Say whether the test passed.")]
    if errors:
        raise ValidationError(errors)
    record = TestRecord.objects.create(work_order=work_order, item=item, result=result, passed=passed,
                                       recorded_by=_user(actor), recorded_at=timezone.now())
    record_event(work_order, actor=actor, verb="test_recorded", note=f"{item}: {result}",
                 data={"test": record.pk, "passed": passed})
    return record


@transaction.atomic
def work_order_log_hours(
    *, actor: Any, work_order: WorkOrder, day: date, hours: Any, engineer: Any = None, note: str = ""
) -> LabourEntry:
    """Labour hours of one engineer on one day (one entry per engineer and day; logging again replaces it).
    Engineers log their own hours; the lead may log the helpers' hours too."""
    work_order = _lock(work_order)
    assignment = _require_assignee(actor, work_order)
    _require_status(work_order, (S.ACCEPTED, S.ON_SITE, S.COMPLETED),
                    _("Hours are logged once the work order is accepted and until it closes."))
    engineer = engineer or actor
    errors: dict[str, list[str]] = {}
    if engineer.pk != actor.pk:
        if assignment.role != AssignmentRole.LEAD:
            raise PermissionDenied(_("Only the lead engineer may log hours for others."))
        if not WorkOrderAssignment.objects.filter(work_order=work_order, engineer=engineer).exists():
            errors["engineer"] = [_("This engineer is not on this work order.")]
    try:
        amount = Decimal(str(hours)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount > 24:
        errors["hours"] = [_("Hours are more than 0 and at most 24.")]
    if day is None:
        errors["day"] = [_("Give the day.")]
    elif day > timezone.localdate():
        errors["day"] = [_("The day cannot be in the future.")]
    note = _text(note)
    if len(note) > 200:
        errors["note"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    elsewhere = (
        LabourEntry.objects.filter(engineer=engineer, day=day).exclude(work_order=work_order)
        .aggregate(total=Sum("hours"))["total"] or Decimal("0")
    )
    if elsewhere + amount > 24:
        raise ValidationError({"hours": [_("%(name)s already has %(hours)s hours on other work orders that day.")
                                         % {"name": engineer, "hours": elsewhere}]})
    entry, _created = LabourEntry.objects.update_or_create(
        work_order=work_order, engineer=engineer, day=day,
        defaults={"hours": amount, "note": note, "recorded_by": _user(actor), "recorded_at": timezone.now()},
    )
    record_event(work_order, actor=actor, verb="hours_logged", note=f"{engineer} {day.isoformat()} {amount}",
                 data={"engineer": engineer.pk, "day": day.isoformat(), "hours": str(amount)})
    return entry


@transaction.atomic
def work_order_record_parts(*, actor: Any, work_order: WorkOrder, parts_used: str) -> WorkOrder:
    """The parts used on site, as the engineer writes them (replaces the previous text)."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _require_status(work_order, (S.ON_SITE, S.COMPLETED), _("Parts used are recorded on site."))
    work_order.parts_used = _text(parts_used)
    save_versioned(work_order, expected_version=None, user=actor)
    record_event(work_order, actor=actor, verb="parts_recorded", note=work_order.parts_used)
    return work_order


PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "webp")


@transaction.atomic
def work_order_add_photo(*, actor: Any, work_order: WorkOrder, upload: Any, description: str = "") -> Any:
    """A photo taken on site, attached to the work order (core attachments: sniffed, re-encoded)."""
    from serviceloop.core.attachments import attachment_add

    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _require_status(work_order, FIELD_STATUSES, _("Photos are added while the job is in the field."))
    name = (getattr(upload, "name", "") or "").lower()
    if name.rsplit(".", 1)[-1] not in PHOTO_EXTENSIONS:
        raise ValidationError({"file": [_("A photo is a JPEG, PNG or WebP image.")]})
    return attachment_add(subject=work_order, upload=upload, user=actor, description=_text(description)[:200])


@transaction.atomic
def work_order_record_result(
    *, actor: Any, work_order: WorkOrder, result: str, work_done: str, escalation_plan: str = "",
    parts_used: str | None = None,
) -> WorkOrder:
    """The outcome of the work on site: fixed, escalated to the technical or process department, return
    to factory, needs parts or another visit. The work order is completed; the customer signs the report next."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _check_move(work_order, "complete")
    errors = {}
    if result not in WorkResult.values:
        errors["result"] = [_("Choose the result.")]
    work_done = _text(work_done)
    if not work_done:
        errors["work_done"] = [_("Describe the work done.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    work_order.result = result
    work_order.work_done = work_done
    if parts_used is not None:
        work_order.parts_used = _text(parts_used)
    if _text(escalation_plan):
        work_order.escalation_plan = _text(escalation_plan)
        work_order.escalation_planned_by = _user(actor)
        work_order.escalation_planned_at = now
    work_order.completed_at = now
    _move(work_order, "complete", actor=actor, note=work_done, data={"result": result})
    label = WorkResult(result).label
    if result in ESCALATED_RESULTS:
        role = "tech_support" if result == WorkResult.ESCALATE_TECHNICAL else "process_tech"
        notify(recipients=users_with_role(role) + _managers(work_order), kind="work_order_escalated", obj=work_order,
               subject=_("Work order %(number)s: %(result)s") % {"number": work_order.number, "result": label},
               body=work_done)
    elif result != WorkResult.FIXED:
        notify(recipients=_dispatchers(work_order) + _managers(work_order), kind="work_order_follow_up",
               obj=work_order,
               subject=_("Work order %(number)s: %(result)s") % {"number": work_order.number, "result": label},
               body=work_done)
    return work_order


@transaction.atomic
def work_order_record_escalation_plan(*, actor: Any, work_order: WorkOrder, plan: str) -> WorkOrder:
    """The technical or process department records its plan for a problem not solved on site
    (seed 000 §3.4.3: made with QA and the departments involved)."""
    _require(actor, PERM_PLAN, PERM_APPROVE, message=_("Only the technical or process department records the plan."))
    work_order = _lock(work_order)
    if work_order.result not in ESCALATED_RESULTS:
        raise ValidationError(_("This work order was not escalated."), code="not_escalated")
    if work_order.status == S.CANCELLED:
        raise ValidationError(_("This work order is cancelled."), code="wrong_status")
    plan = _text(plan)
    if not plan:
        raise ValidationError({"plan": [_("Write the plan.")]})
    work_order.escalation_plan = plan
    work_order.escalation_planned_by = _user(actor)
    work_order.escalation_planned_at = timezone.now()
    save_versioned(work_order, expected_version=None, user=actor)
    record_event(work_order, actor=actor, verb="escalation_plan", note=plan)
    notify(recipients=[a.engineer for a in team(work_order)] + _dispatchers(work_order), kind="escalation_plan",
           obj=work_order, subject=_("Plan for work order %(number)s") % {"number": work_order.number}, body=plan)
    return work_order


def close_blockers(work_order: WorkOrder) -> list[str]:
    """Why the work order cannot close yet (empty when it can); the screen shows these before the button."""
    problems = []
    if work_order.status != S.COMPLETED:
        problems.append(_("Record the result of the work first."))
    open_visit = (
        Visit.objects.filter(work_order=work_order, check_out_at__isnull=True).select_related("engineer").first()
    )
    if open_visit is not None:
        problems.append(_("%(name)s is still checked in on site.") % {"name": open_visit.engineer})
    report = ServiceReport.objects.filter(work_order=work_order).first()
    if report is None or not report.is_signed:
        problems.append(_("The customer has not signed the service report yet."))
    if work_order.request.severity == "major" and not WorkReport.objects.filter(work_order=work_order).exists():
        problems.append(_("A major fault needs the detailed service work report before the work order can close."))
    if work_order.chargeable and work_order.billing_sales_order_id is None and \
            FeeLine.objects.filter(work_order=work_order).exists():
        problems.append(_("Link the sales order that bills the fees of this chargeable job."))
    return problems


@transaction.atomic
def work_order_close(*, actor: Any, work_order: WorkOrder, note: str = "") -> WorkOrder:
    """Close a completed work order: signed service report, nobody still on site, the work report of a
    major fault, and the billing SO of a chargeable job with fees."""
    _require(actor, PERM_CLOSE, message=_("Your role may not close work orders."))
    work_order = _lock(work_order)
    _check_move(work_order, "close")
    problems = close_blockers(work_order)
    if problems:
        raise ValidationError(problems, code="cannot_close")
    work_order.closed_at = timezone.now()
    return _move(work_order, "close", actor=actor, note=_text(note))


@transaction.atomic
def work_order_cancel(*, actor: Any, work_order: WorkOrder, reason: str) -> WorkOrder:
    """Cancel a work order before the work on site started; the team is released."""
    _require(actor, PERM_DISPATCH, PERM_CLOSE, message=_("Your role may not cancel work orders."))
    work_order = _lock(work_order)
    _check_move(work_order, "cancel")
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why the work order is cancelled.")]})
    members = [a.engineer for a in team(work_order)]
    WorkOrderAssignment.objects.filter(work_order=work_order, released_at__isnull=True).update(
        released_at=timezone.now()
    )
    work_order.cancel_reason = reason
    _move(work_order, "cancel", actor=actor, note=reason)
    notify(recipients=members, kind="work_order_cancelled", obj=work_order,
           subject=_("Work order %(number)s is cancelled") % {"number": work_order.number}, body=reason)
    return work_order


@transaction.atomic
def work_order_link_sales_order(*, actor: Any, work_order: WorkOrder, sales_order: Any) -> WorkOrder:
    """Link the sales order (SO) that bills the fees of a chargeable job (seed 001 §5.4); None unlinks."""
    _require(actor, PERM_CLOSE, PERM_DISPATCH, message=_("Your role may not link billing sales orders."))
    work_order = _lock(work_order)
    if work_order.status == S.CANCELLED:
        raise ValidationError(_("This work order is cancelled."), code="wrong_status")
    if sales_order is not None:
        if not work_order.chargeable:
            raise ValidationError({"sales_order": [_("This work order is not chargeable.")]})
        if sales_order.customer_id != work_order.customer_id:
            raise ValidationError({"sales_order": [_("This sales order belongs to another customer.")]})
    work_order.billing_sales_order = sales_order
    save_versioned(work_order, expected_version=None, user=actor)
    record_event(work_order, actor=actor, verb="sales_order_linked",
                 note=sales_order.number if sales_order is not None else "")
    return work_order


# ---------------------------------------------------------------- help requests to headquarters

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
           subject=_("Help request %(number)s from %(branch)s") % {"number": help_request.number, "branch": branch},
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
    record_event(help_request, actor=actor, verb="approve", from_state=source, to_state=help_request.status,
                 note=str(hq_engineer), data={"hq_engineer": hq_engineer.pk})
    record_event(work_order, actor=actor, verb="help_approved", note=f"{help_request.number}: {hq_engineer}",
                 data={"help_request": help_request.pk, "engineer": hq_engineer.pk})
    notify(recipients=[hq_engineer], kind="help_assigned", obj=work_order,
           subject=_("You support work order %(number)s") % {"number": work_order.number},
           body=_("%(customer)s. Help request %(request)s: %(reason)s")
           % {"customer": work_order.customer.name, "request": help_request.number, "reason": help_request.reason})
    notify(recipients=[help_request.requested_by], kind="help_approved", obj=help_request,
           subject=_("Help request %(number)s approved") % {"number": help_request.number},
           body=_("Headquarters engineer %(name)s (phone %(phone)s) joins the job.")
           % {"name": hq_engineer, "phone": engineer_phone(hq_engineer) or "-"})
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
    record_event(help_request, actor=actor, verb="reject", from_state=source, to_state=help_request.status,
                 note=reason)
    record_event(help_request.work_order, actor=actor, verb="help_rejected", note=f"{help_request.number}: {reason}")
    notify(recipients=[help_request.requested_by], kind="help_rejected", obj=help_request,
           subject=_("Help request %(number)s rejected") % {"number": help_request.number}, body=reason)
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


# ---------------------------------------------------------------- service report (售后服务记录单)

def _tests_snapshot(work_order: WorkOrder) -> list[dict[str, Any]]:
    return [
        {"item": t.item, "result": t.result, "passed": t.passed}
        for t in TestRecord.objects.filter(work_order=work_order).order_by("recorded_at", "id")
    ]


def _fault_text(work_order: WorkOrder) -> str:
    request = work_order.request
    return "\n".join(filter(None, [request.title, request.description]))


def _refresh_from_work_order(report: ServiceReport, work_order: WorkOrder) -> None:
    report.tests = _tests_snapshot(work_order)
    report.labour_hours = (
        LabourEntry.objects.filter(work_order=work_order).aggregate(total=Sum("hours"))["total"] or Decimal("0")
    )
    report.engineers = "、".join(str(a.engineer) for a in team(work_order))[:300]
    report.result = work_order.result


@transaction.atomic
def service_report_prepare(
    *, actor: Any, work_order: WorkOrder, fault_description: str | None = None, work_done: str | None = None,
    parts_used: str | None = None,
) -> ServiceReport:
    """Fill the service report from the work order (fault, work done, tests, parts, hours, result); calling
    it again refreshes the draft. Text the engineer edited is kept unless given anew."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _require_status(work_order, (S.ON_SITE, S.COMPLETED), _("The service report is written on site."))
    report = ServiceReport.objects.select_for_update().filter(work_order=work_order).first()
    creating = report is None
    if report is None:
        report = ServiceReport(number=next_number("PSR"), work_order=work_order)
    elif report.is_signed:
        raise ValidationError(_("The service report is already signed."), code="signed")
    for name, given, default in (
        ("fault_description", fault_description, _fault_text(work_order)),
        ("work_done", work_done, work_order.work_done),
        ("parts_used", parts_used, work_order.parts_used),
    ):
        if given is not None:
            setattr(report, name, _text(given))
        elif creating or not getattr(report, name):
            setattr(report, name, default)
    _refresh_from_work_order(report, work_order)
    save_versioned(report, expected_version=None, user=actor)
    if creating:
        record_event(report, actor=actor, verb="created", to_state=report.status)
    record_event(work_order, actor=actor, verb="report_prepared", note=report.number)
    return report


@transaction.atomic
def service_report_update(
    *, actor: Any, report: ServiceReport, fault_description: str | None = None, work_done: str | None = None,
    parts_used: str | None = None, expected_version: int | None = None,
) -> ServiceReport:
    """Edit the text of a draft report before the customer signs."""
    report = ServiceReport.objects.select_for_update(of=("self",)).select_related("work_order").get(pk=report.pk)
    _require_assignee(actor, report.work_order)
    if report.is_signed:
        raise ValidationError(_("The service report is already signed."), code="signed")
    for name, value in (("fault_description", fault_description), ("work_done", work_done),
                        ("parts_used", parts_used)):
        if value is not None:
            setattr(report, name, _text(value))
    save_versioned(report, expected_version=expected_version, user=actor)
    record_event(report, actor=actor, verb="updated")
    return report


def report_canonical(report: ServiceReport) -> bytes:
    """The report's content as canonical JSON (sorted keys, UTF-8): what the printed SHA-256 covers."""
    work_order = report.work_order
    unit = work_order.unit
    signed_at = report.signed_at.astimezone(dt.UTC).isoformat() if report.signed_at else None
    content = {
        "report": report.number,
        "work_order": work_order.number,
        "request": work_order.request.number,
        "customer": [work_order.customer.code, work_order.customer.name],
        "unit": unit.serial_number if unit is not None else None,
        "fault": report.fault_description,
        "work_done": report.work_done,
        "tests": report.tests,
        "parts_used": report.parts_used,
        "labour_hours": str(report.labour_hours),
        "engineers": report.engineers,
        "result": report.result,
        "signer_name": report.signer_name,
        "signed_at": signed_at,
        "satisfied": report.satisfied,
        "unsatisfied_reason": report.unsatisfied_reason,
        "signature_sha256": report.signature_sha256,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def report_content_sha256(report: ServiceReport) -> str:
    return hashlib.sha256(report_canonical(report)).hexdigest()


@transaction.atomic
def service_report_sign(
    *, actor: Any, report: ServiceReport, signature_data_url: str, signer_name: str, satisfied: bool,
    unsatisfied_reason: str = "",
) -> ServiceReport:
    """The customer signs the report on the engineer's phone (a PNG data URL from the signature pad).

    The signature is validated strictly and stored; the signed PDF is rendered (company header, the report,
    the signature, signing time and the SHA-256 of the report's content) and stored with the SHA-256 of its
    bytes, which ``service_report_verify`` checks. A "fixed" job resolves the request, and a satisfied
    customer's signature confirms the resolution. The customer and the service desk are told.
    """
    report = ServiceReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    work_order = _lock(report.work_order)
    report.work_order = work_order
    _require_assignee(actor, work_order)
    if report.is_signed:
        raise ValidationError(_("The service report is already signed."), code="signed")
    if work_order.status != S.COMPLETED:
        raise ValidationError(_("Record the result of the work before the customer signs."), code="wrong_status")
    errors: dict[str, list[str]] = {}
    signer_name = _text(signer_name)
    if not signer_name:
        errors["signer_name"] = [_("Write the name of the person who signs.")]
    elif len(signer_name) > 100:
        errors["signer_name"] = [_("At most 100 characters.")]
    if not isinstance(satisfied, bool):
        errors["satisfied"] = [_("Is the customer satisfied?")]
    unsatisfied_reason = _text(unsatisfied_reason)
    if satisfied is False and not unsatisfied_reason:
        errors["unsatisfied_reason"] = [_("The customer is not satisfied: write why.")]
    try:
        png = signature_png(signature_data_url)
    except ValidationError as exc:
        errors["signature"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    _refresh_from_work_order(report, work_order)
    report.signer_name = signer_name
    report.satisfied = satisfied
    report.unsatisfied_reason = unsatisfied_reason if not satisfied else ""
    report.signed_at = now
    report.signed_on_device_of = _user(actor)
    report.signature_sha256 = hashlib.sha256(png).hexdigest()
    report.signature.save("signature.png", ContentFile(png), save=False)
    report.content_sha256 = report_content_sha256(report)
    report.status = ReportStatus.SIGNED
    from .documents import service_report_pdf

    pdf = service_report_pdf(report, signature_png_bytes=png)
    report.pdf.save("report.pdf", ContentFile(pdf), save=False)
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    save_versioned(report, expected_version=None, user=actor)
    record_event(report, actor=actor, verb="report_signed", from_state=ReportStatus.DRAFT, to_state=report.status,
                 note=signer_name, data={"satisfied": satisfied, "pdf_sha256": report.pdf_sha256})
    record_event(work_order, actor=actor, verb="report_signed", note=f"{report.number} {signer_name}",
                 data={"report": report.pk, "satisfied": satisfied})
    request = work_order.request
    if work_order.result == WorkResult.FIXED:
        request.refresh_from_db()
        if request.status == RequestStatus.IN_PROGRESS:
            request = request_resolve(actor=actor, request=request, resolution=report.work_done or work_order.work_done)
        if satisfied and request.status == RequestStatus.RESOLVED and request.resolution_confirmed_at is None:
            request_confirm_resolution(actor=actor, request=request, how="signature", confirmed_by_name=signer_name)
    subject = _("Service report %(number)s signed") % {"number": report.number}
    body = _("%(customer)s, work order %(wo)s, signed by %(name)s.") % {
        "customer": work_order.customer.name, "wo": work_order.number, "name": signer_name}
    if not satisfied:
        body += " " + _("Not satisfied: %(reason)s") % {"reason": unsatisfied_reason}
    notify(recipients=customer_users(work_order.customer) + users_with_role("service_desk"), kind="report_signed",
           obj=report, subject=subject, body=body)
    return report


def service_report_verify(pdf_bytes: bytes) -> ServiceReport | None:
    """The signed report whose stored PDF has exactly these bytes, or None (one changed byte: None)."""
    if not pdf_bytes:
        return None
    digest = hashlib.sha256(bytes(pdf_bytes)).hexdigest()
    return (
        ServiceReport.objects.filter(pdf_sha256=digest, status=ReportStatus.SIGNED)
        .select_related("work_order", "work_order__customer", "work_order__request", "work_order__unit")
        .first()
    )


def signature_data_url(report: ServiceReport) -> str:
    """The stored signature as a data URL (for screens and print-outs)."""
    if not report.signature:
        return ""
    with report.signature.open("rb") as handle:
        return png_data_url(handle.read())


# ---------------------------------------------------------------- work report (售后服务工作报告书)

@transaction.atomic
def work_report_save(
    *, actor: Any, work_order: WorkOrder, fault_phenomenon: str, cause_analysis: str, actions_taken: str,
    preventive_suggestion: str = "", expected_version: int | None = None,
) -> WorkReport:
    """Write (or rewrite) the detailed service work report that a major fault needs (seed 003 §5.3.5)."""
    work_order = _lock(work_order)
    if not (is_assigned(actor, work_order) and _has(actor, PERM_CHANGE)) and not _has(actor, PERM_APPROVE):
        raise PermissionDenied(_("The engineers on the job or a service manager write the work report."))
    _require_status(work_order, (S.ON_SITE, S.COMPLETED), _("The work report is written once the work is done."))
    values = {
        "fault_phenomenon": _text(fault_phenomenon), "cause_analysis": _text(cause_analysis),
        "actions_taken": _text(actions_taken), "preventive_suggestion": _text(preventive_suggestion),
    }
    messages = {
        "fault_phenomenon": _("Describe the fault phenomenon."),
        "cause_analysis": _("Write the cause analysis."),
        "actions_taken": _("Describe the actions taken."),
    }
    errors = {name: [message] for name, message in messages.items() if not values[name]}
    if errors:
        raise ValidationError(errors)
    report = WorkReport.objects.select_for_update().filter(work_order=work_order).first()
    creating = report is None
    if report is None:
        report = WorkReport(work_order=work_order)
    for name, value in values.items():
        setattr(report, name, value)
    report.author = _user(actor)
    report.written_at = timezone.now()
    save_versioned(report, expected_version=None if creating else expected_version, user=actor)
    record_event(work_order, actor=actor, verb="work_report_saved", data={"work_report": report.pk})
    return report


# ---------------------------------------------------------------- fees

def _require_fee_writer(actor: Any, work_order: WorkOrder, action: str) -> None:
    _require(actor, f"workorders.{action}_feeline")
    if not (_has(actor, PERM_DISPATCH, PERM_CLOSE) or is_assigned(actor, work_order)):
        raise PermissionDenied(_("Only the service office or the engineers on the job record fees."))


@transaction.atomic
def fee_line_save(*, user: Any, instance: FeeLine, expected_version: int | None = None, **_ignored: Any) -> FeeLine:
    """Add or change a fee of a chargeable job; the amount is quantity x unit price."""
    creating = instance._state.adding
    if not creating:
        stored_wo = FeeLine.objects.filter(pk=instance.pk).values_list("work_order_id", flat=True).first()
        if stored_wo is not None and stored_wo != instance.work_order_id:
            raise ValidationError({"work_order": [_("A fee stays on its work order.")]})
    work_order = _lock(instance.work_order)
    _require_fee_writer(user, work_order, "add" if creating else "change")
    if not work_order.chargeable:
        raise ValidationError({"work_order": [_("This work order is not chargeable (in warranty or under contract).")]})
    if work_order.status in (S.CLOSED, S.CANCELLED):
        raise ValidationError({"work_order": [_("The fees of a closed or cancelled work order cannot change.")]})
    instance.work_order = work_order
    instance.description = _text(instance.description)
    instance.full_clean(exclude=["amount"])
    instance.amount = instance.compute_amount()
    if instance.amount >= Decimal("1e12"):
        raise ValidationError({"quantity": [_("The amount is too large.")]})
    save_versioned(instance, expected_version=expected_version, user=user)
    record_event(work_order, actor=user, verb="fee_added" if creating else "fee_changed",
                 note=f"{instance.get_kind_display()} {instance.description} {instance.amount}",
                 data={"fee_line": instance.pk, "amount": str(instance.amount)})
    return instance


@transaction.atomic
def fee_line_delete(*, actor: Any, fee_line: FeeLine) -> None:
    work_order = _lock(fee_line.work_order)
    _require_fee_writer(actor, work_order, "delete")
    if work_order.status in (S.CLOSED, S.CANCELLED):
        raise ValidationError(_("The fees of a closed or cancelled work order cannot change."), code="closed")
    note = f"{fee_line.get_kind_display()} {fee_line.description} {fee_line.amount}"
    fee_line.delete()
    record_event(work_order, actor=actor, verb="fee_removed", note=note)


def fee_total(work_order: WorkOrder) -> Decimal:
    return FeeLine.objects.filter(work_order=work_order).aggregate(total=Sum("amount"))["total"] or Decimal("0")
