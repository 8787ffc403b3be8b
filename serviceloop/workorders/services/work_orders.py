"""Work orders (派工单): creation from a request, update, dispatch (assign), approval, the engineers'
steps (accept/decline, contacted, check-in/out, progress, tests, hours, parts, photos, the result,
the escalation plan), close, cancel and the sales order link; the permission constants, the
workflow moves and the team, lead and engineer helpers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from serviceloop.core.concurrency import save_versioned
from serviceloop.core.messages import message
from serviceloop.core.notifications import customer_users, mark_done, notify, users_with_role
from serviceloop.core.numbering import next_number
from serviceloop.core.scoping import is_customer
from serviceloop.core.timeline import record_event
from serviceloop.core.workflow import apply_move, check_move
from serviceloop.service.choices import RequestStatus, ServicePlan, SlaTarget
from serviceloop.service.models import ServiceRequest
from serviceloop.service.services import request_start_work, sla_meet_target, sla_start_target

from ..choices import (
    ESCALATED_RESULTS,
    FIELD_STATUSES,
    OPEN_STATUSES,
    AssignmentRole,
    WorkOrderStatus,
    WorkResult,
)
from ..models import (
    TRANSITIONS,
    FeeLine,
    LabourEntry,
    ProgressNote,
    ServiceReport,
    TestRecord,
    Visit,
    WorkOrder,
    WorkOrderAssignment,
    WorkReport,
)
from .common import S, _authenticated, _has, _lock, _require, _require_status, _text, _time, _user

UNSET: Any = object()

PERM_ADD = "workorders.add_workorder"
PERM_CHANGE = "workorders.change_workorder"
PERM_DISPATCH = "workorders.dispatch_workorder"
PERM_APPROVE = "workorders.approve_workorder"
PERM_CLOSE = "workorders.close_workorder"
PERM_PLAN = "workorders.plan_escalation"


# ---------------------------------------------------------------- helpers


ILLEGAL_MOVE = gettext_lazy("A work order that is “%(status)s” cannot move to “%(target)s”.")
WORKFLOW = {"transitions": TRANSITIONS, "statuses": WorkOrderStatus, "message": ILLEGAL_MOVE}


def _check_move(work_order: WorkOrder, move: str) -> str:
    return check_move(work_order, move, **WORKFLOW)


def _move(work_order: WorkOrder, move: str, **kwargs: Any) -> WorkOrder:
    """Apply a move whose fields the caller has already set on ``work_order`` (a locked row)."""
    return apply_move(work_order, move, **WORKFLOW, **kwargs)


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
    if user is None or not getattr(user, "is_active", False) or is_customer(user):
        return _("%(name)s is not an active engineer.") % {"name": user}
    profile = _profile(user)
    if profile is None:
        return _("%(name)s has no engineer profile.") % {"name": user}
    if not profile.active:
        return _("%(name)s is not available for dispatch.") % {"name": user}
    if not engineer_may_serve(user, work_order):
        return _("%(name)s works for another branch; ask headquarters for help instead.") % {"name": user}
    return None


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
    *, actor: Any, service_request: ServiceRequest, description: str = "", work_instruction: str = "",
    planned_date: date | None = None, required_skill: Any = None,
) -> WorkOrder:
    """A work order for a request whose on-site plan the customer confirmed (the request starts work),
    or for a request already in progress (another visit)."""
    _require(actor, PERM_ADD, PERM_DISPATCH)
    service_request = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("customer", "customer__branch", "site", "unit", "unit__site")
        .get(pk=service_request.pk)
    )
    if service_request.status == RequestStatus.PLAN_CONFIRMED:
        if service_request.plan != ServicePlan.ONSITE:
            raise ValidationError(
                _("The service plan the customer agreed to is not on-site service."), code="not_onsite"
            )
    elif service_request.status == RequestStatus.IN_PROGRESS:
        busy = (
            WorkOrder.objects.filter(service_request=service_request, status__in=OPEN_STATUSES)
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
            % {"number": service_request.number, "status": RequestStatus(service_request.status).label},
            code="request_state",
        )
    if planned_date is not None and planned_date < timezone.localdate():
        raise ValidationError({"planned_date": [_("The planned date cannot be in the past.")]})
    first = service_request.status == RequestStatus.PLAN_CONFIRMED
    work_order = WorkOrder(
        number=next_number("WO"),
        service_request=service_request,
        customer=service_request.customer,
        site=service_request.site or (service_request.unit.site if service_request.unit is not None else None),
        unit=service_request.unit,
        branch=service_request.customer.branch,
        description=_text(description) or service_request.title,
        work_instruction=_text(work_instruction),
        required_skill=required_skill,
        planned_date=planned_date,
        chargeable=service_request.warranty_state == "chargeable",
    )
    save_versioned(work_order, expected_version=None, user=actor)
    record_event(work_order, actor=actor, verb="created", to_state=work_order.status,
                 data={"request": service_request.number, "another_visit": not first})
    record_event(service_request, actor=actor, verb="work_order_created", note=work_order.number,
                 data={"work_order": work_order.pk})
    if first:
        work_order.service_request = request_start_work(actor=actor, service_request=service_request, note=work_order.number)
    notify(
        recipients=_dispatchers(work_order), kind="work_order_to_dispatch", obj=work_order,
        subject=message(gettext_noop("Work order %(number)s waits for dispatch"), number=work_order.number),
        body=message(gettext_noop("%(customer)s: %(title)s"),
                     customer=service_request.customer.name, title=service_request.title),
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
    mark_done(work_order, "work_order_to_dispatch", "work_order_returned", "work_order_declined")
    notify(
        recipients=[m for m in _managers(work_order) if m.pk != getattr(actor, "pk", None)],
        kind="work_order_to_approve", obj=work_order,
        subject=message(gettext_noop("Work order %(number)s waits for your approval"),
                        number=work_order.number),
        body=message(gettext_noop("Lead engineer: %(lead)s"), lead=lead),
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
    mark_done(work_order, "work_order_to_approve")
    notify(recipients=_dispatchers(work_order), kind="work_order_returned", obj=work_order,
           subject=message(gettext_noop("Dispatch of %(number)s returned"),
                           number=work_order.number), body=reason)
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
    mark_done(work_order, "work_order_to_approve")
    for target in (SlaTarget.ENGINEER_CONTACT, SlaTarget.ONSITE_ARRIVAL):
        sla_start_target(service_request=work_order.service_request, target=target, actor=actor, at=now)
    when = work_order.planned_date.isoformat() if work_order.planned_date else ""
    notify(
        recipients=[a.engineer for a in members], kind="work_order_dispatched", obj=work_order,
        subject=message(gettext_noop("Work order %(number)s is dispatched to you"), number=work_order.number),
        body=message(gettext_noop("%(customer)s, planned %(date)s. Contact the customer within the hour."),
                     customer=work_order.customer.name, date=when),
    )
    notify(
        recipients=customer_users(work_order.customer), kind="engineer_dispatched", obj=work_order,
        subject=message(gettext_noop("An engineer is on the way for request %(number)s"),
                        number=work_order.service_request.number),
        body=message(gettext_noop("Engineer %(name)s (phone %(phone)s) will contact you. Planned date: %(date)s."),
                     name=lead, phone=engineer_phone(lead) or "-", date=when or "-"),
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
        subject = message(gettext_noop("%(name)s declined work order %(number)s: re-dispatch"), name=actor,
                          number=work_order.number)
    else:
        record_event(work_order, actor=actor, verb="helper_declined", note=reason)
        subject = message(gettext_noop("Helper %(name)s declined work order %(number)s"),
                          name=actor, number=work_order.number)
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
    sla_meet_target(service_request=work_order.service_request, target=SlaTarget.ENGINEER_CONTACT, actor=actor, at=at)
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
    service_request = work_order.service_request
    if work_order.arrived_at is None:
        work_order.arrived_at = at
        sla_meet_target(service_request=service_request, target=SlaTarget.ONSITE_ARRIVAL, actor=actor, at=at)
    if work_order.contacted_at is None:
        work_order.contacted_at = at
        sla_meet_target(service_request=service_request, target=SlaTarget.ENGINEER_CONTACT, actor=actor, at=at)
    data = {"visit": visit.pk}
    if lat is not None:
        data.update(latitude=str(lat), longitude=str(lng))
    _move(work_order, "check_in", actor=actor, note=_text(note), data=data)
    if not someone_there:
        notify(
            recipients=customer_users(work_order.customer), kind="engineer_arrived", obj=work_order,
            subject=message(gettext_noop("The engineer has arrived for request %(number)s"),
                            number=service_request.number),
            body=message(gettext_noop("Engineer %(name)s (phone %(phone)s) arrived on site at %(time)s."),
                         name=actor, phone=engineer_phone(actor) or "-", time=timezone.localtime(at).strftime("%Y-%m-%d %H:%M")),
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
               subject=message(gettext_noop("Work order %(number)s: %(result)s"),
                               number=work_order.number, result=label),
               body=work_done)
    elif result != WorkResult.FIXED:
        notify(recipients=_dispatchers(work_order) + _managers(work_order), kind="work_order_follow_up",
               obj=work_order,
               subject=message(gettext_noop("Work order %(number)s: %(result)s"),
                               number=work_order.number, result=label),
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
           obj=work_order, subject=message(gettext_noop("Plan for work order %(number)s"),
                                           number=work_order.number), body=plan)
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
    if work_order.service_request.severity == "major" and not WorkReport.objects.filter(work_order=work_order).exists():
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
           subject=message(gettext_noop("Work order %(number)s is cancelled"),
                           number=work_order.number), body=reason)
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
