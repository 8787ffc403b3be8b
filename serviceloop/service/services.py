"""Writes for service requests: intake, hand-over, review, plan, work, resolution, SLA clocks, escalation.

Every workflow step locks the request row, checks ``models.TRANSITIONS``, writes the change,
a timeline event (from -> to) and the SLA events that drive the clocks (see sla/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from serviceloop.assets.models import ServiceContract
from serviceloop.assets.warranty import warranty_state
from serviceloop.core import registry
from serviceloop.core.concurrency import check_version, save_versioned
from serviceloop.core.fastpaths.compiled import CompiledQuery, int_param, prefetch_rows
from serviceloop.core.gcpause import gc_paused
from serviceloop.core.messages import Message, as_stored, as_text, message
from serviceloop.core.models import TimelineEvent
from serviceloop.core.notifications import mark_done
from serviceloop.core.numbering import next_number
from serviceloop.core.scoping import is_customer
from serviceloop.core.timeline import record_event
from serviceloop.core.workflow import apply_move, check_move

from . import notify
from .choices import (
    OPEN_STATUSES,
    TARGETS_FROM_DISPATCH,
    ConfirmationChannel,
    EscalationLevel,
    PauseReason,
    RequestChannel,
    RequestStatus,
    RequestType,
    ResolutionConfirmation,
    ServicePlan,
    Severity,
    SlaEventKind,
    SlaTarget,
)
from .classification import priority_for
from .models import TRANSITIONS, Escalation, Review, ServiceRequest, SlaEvent
from .sla.deadlines import Deadline, deadlines, summary
from .sla.fastpath import DEFERRED_TEXTS, AtRisk, evaluate_open_rows
from .sla.policies import match_policy, spec_for_request

# A request logged a little ahead of the server clock (a phone's clock) is accepted.
CLOCK_SKEW = timedelta(minutes=5)
# Escalate when less than this share of a target's working time is left.
ESCALATE_BELOW = 0.2


@dataclass
class IntakeResult:
    """The new request, and what the desk should know about it (not errors)."""

    service_request: ServiceRequest
    open_requests: list[ServiceRequest] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _lock(service_request: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update(of=("self",))  # PostgreSQL: lock the request row only
        .select_related("contract", "sla_policy")
        .get(pk=service_request.pk)
    )


ILLEGAL_MOVE = gettext_lazy("A request that is “%(status)s” cannot move to “%(target)s”.")
WORKFLOW = {"transitions": TRANSITIONS, "statuses": RequestStatus, "message": ILLEGAL_MOVE}


def _check_move(service_request: ServiceRequest, move: str) -> str:
    return check_move(service_request, move, **WORKFLOW)


def _move(service_request: ServiceRequest, move: str, **kwargs: Any) -> ServiceRequest:
    """Apply a move whose fields the caller has already set on ``request`` (a locked row)."""
    return apply_move(service_request, move, **WORKFLOW, **kwargs)


def _confirmation_channel(actor: Any, how: str | None, portal: str, staff_default: str) -> str:
    """Customers confirm for themselves in the portal; staff record how the customer confirmed."""
    if is_customer(actor):
        if how not in (None, "", portal):
            raise PermissionDenied(_("Customers confirm in the portal."))
        return portal
    if how == portal:
        raise PermissionDenied(_("Only the customer confirms in the portal; record how the customer confirmed instead."))
    return how or staff_default


def _own_customer(actor: Any, service_request: ServiceRequest) -> None:
    if is_customer(actor) and actor.customer_id != service_request.customer_id:
        raise ValidationError(_("This request belongs to another customer."), code="forbidden")


def _sla_event(
    service_request: ServiceRequest, kind: str, *, actor: Any = None, target: str = "", reason: str = "",
    at: datetime | None = None,
) -> SlaEvent:
    return SlaEvent.objects.create(
        service_request=service_request, kind=kind, target=target, reason=reason[:200], at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _target_met(service_request: ServiceRequest, target: str, *, actor: Any, at: datetime | None = None) -> bool:
    """Mark a target met unless it already is (a reopened resolution counts anew)."""
    events = SlaEvent.objects.filter(service_request=service_request)
    if target == SlaTarget.RESOLUTION:
        reopened = events.filter(kind=SlaEventKind.REOPENED).order_by("-at", "-id").first()
        if reopened is not None:
            events = events.filter(at__gte=reopened.at)
    if events.filter(kind=SlaEventKind.TARGET_MET, target=target).exists():
        return False
    _sla_event(service_request, SlaEventKind.TARGET_MET, actor=actor, target=target, at=at)
    return True


# intake's reads, compiled once (core/fastpaths/compiled.py): a unit's contracts, a unit's other open requests
_CONTRACTS_OF_UNIT = CompiledQuery(lambda unit: ServiceContract.objects.filter(units=unit), int_param(0))
_OPEN_FOR_UNIT = CompiledQuery(
    lambda unit, pk: ServiceRequest.objects.filter(unit=unit, status__in=OPEN_STATUSES).exclude(pk=pk).order_by("received_at"),
    int_param(0), int_param(1),
)


def _with_contracts(unit: Any) -> None:
    """Read the unit's contracts (what ``unit.contracts.all()`` reads) into its prefetch cache, as
    ``prefetch_related("contracts")`` would: warranty_state reads them from there."""
    prefetch_rows(unit, "contracts", _CONTRACTS_OF_UNIT, unit.pk)


def _sla_columns(service_request: ServiceRequest, found: dict[str, Deadline]) -> tuple[datetime | None, bool]:
    due, breached = summary(found)
    return (due if service_request.is_open else None), breached


def refresh_sla(service_request: ServiceRequest, *, now: datetime | None = None, events: list[SlaEvent] | None = None) -> None:
    """Store the earliest open deadline and the breach flag (list columns; the log stays the truth).

    ``events``: the request's whole SLA log when the caller knows it, so it is not read back."""
    log = service_request.sla_events.all() if events is None else events
    due, breached = _sla_columns(service_request, deadlines(service_request, log, spec_for_request(service_request), now=now))
    ServiceRequest.objects.filter(pk=service_request.pk).update(sla_due_at=due, sla_breached=breached)
    service_request.sla_due_at, service_request.sla_breached = due, breached


# ---------------------------------------------------------------- intake

@transaction.atomic
def request_create(
    *, actor: Any, channel: str, request_type: str, customer: Any, title: str, description: str = "",
    severity: str = Severity.GENERAL, site: Any = None, contact_name: str = "", contact_phone: str = "",
    unit: Any = None, sales_order: Any = None, received_at: datetime | None = None,
    handed_over_from: Any = None, priority: str | None = None, caller_company: str = "",
) -> IntakeResult:
    """Log a request from any channel. Takes the warranty snapshot, the SO (a quality complaint
    must carry one, seed 001 §4.2), the priority and the SLA policy, and starts the clocks.

    A caller who is not in the system yet (staff only): no ``customer``, the ``caller_company`` and the
    caller's name or phone instead; ``request_link_customer`` attaches the customer record later."""
    now = timezone.now()
    if is_customer(actor):
        # what only staff set: a customer's request is logged from the portal (or the unit's QR code), now,
        # with the derived priority, and not as handed over
        if channel != RequestChannel.QR:
            channel = RequestChannel.PORTAL
        priority, received_at, handed_over_from = None, None, None
        caller_company = ""
        if customer is None:
            customer = actor.customer
    received_at = received_at or now
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if channel not in RequestChannel.values:
        err("channel", _("Choose a valid channel."))
    if request_type not in RequestType.values:
        err("request_type", _("Choose a valid request type."))
    if severity not in Severity.values:
        err("severity", _("Choose a valid severity."))
    title = (title or "").strip()
    if not title:
        err("title", _("Describe the request in a short title."))
    caller_company = (caller_company or "").strip()
    if customer is None and unit is not None and unit.customer_id:
        customer = unit.customer
    if customer is None and not caller_company:
        err("customer", _("Choose the customer."))
    elif customer is None and not ((contact_name or "").strip() or (contact_phone or "").strip()):
        err("contact_phone", _("Write down the caller's name or phone, so the desk can call back."))
    elif customer is not None and is_customer(actor) and actor.customer_id != customer.pk:
        err("customer", _("You can log requests for your own company only."))
    if received_at > now + CLOCK_SKEW:
        err("received_at", _("The time received cannot be in the future."))
    if customer is not None:
        if site is not None and site.customer_id != customer.pk:
            err("site", _("This site belongs to another customer."))
        if unit is not None and unit.customer_id and unit.customer_id != customer.pk:
            err("unit", _("This unit belongs to another customer."))
        if sales_order is not None and sales_order.customer_id != customer.pk:
            err("sales_order", _("This sales order belongs to another customer."))
    unit_order = unit.so_line.order if unit is not None and unit.so_line_id else None
    if unit_order is not None:
        if sales_order is not None and sales_order.pk != unit_order.pk:
            err("sales_order", _("The unit was sold on sales order %(number)s.") % {"number": unit_order.number})
        sales_order = unit_order
    if request_type == RequestType.COMPLAINT and sales_order is None:
        err("sales_order", _("A quality complaint needs the sales order (SO#) to verify the sale date."))
    if handed_over_from is not None and channel != RequestChannel.OTHER_DEPT:
        channel = RequestChannel.OTHER_DEPT
    if errors:
        raise ValidationError(errors)

    if unit is not None:
        _with_contracts(unit)
    verdict = warranty_state(unit, timezone.localdate(received_at)) if unit is not None else None
    contract = verdict.contract if verdict is not None else None
    sla_level = contract.sla_level if contract is not None else ""
    customer_level = customer.level if customer is not None else ""
    policy = match_policy(
        request_type=request_type, severity=severity, customer_level=customer_level, contract_sla_level=sla_level
    )
    service_request = ServiceRequest(
        number=next_number("CSI"),
        channel=channel,
        request_type=request_type,
        severity=severity,
        priority=priority or priority_for(severity, customer_level, sla_level),
        customer=customer,
        caller_company=caller_company[:200] if customer is None else "",
        site=site or (unit.site if unit is not None else None),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        unit=unit,
        sales_order=sales_order,
        contract=contract,
        warranty_state=verdict.state if verdict is not None else "",
        warranty_reason=as_text(verdict.message) if verdict is not None else "",  # in the site's language
        warranty_reason_message=as_stored(verdict.message) if verdict is not None else None,
        title=title,
        description=description.strip(),
        received_at=received_at,
        received_by=actor if getattr(actor, "is_authenticated", False) else None,
        handed_over_from=handed_over_from,
        handed_over_at=now if handed_over_from is not None else None,
        sla_policy=policy,
    )
    # Related records passed in were read from the database for this request: validating each again
    # costs a query apiece (five or six per intake); the database's foreign keys still guard them.
    read = [f.name for f in service_request._meta.concrete_fields if f.is_relation and f.is_cached(service_request)
            and getattr(service_request, f.name) is not None and not getattr(service_request, f.name)._state.adding]
    service_request.full_clean(exclude=["number", *read])
    # the clocks start at receipt: the SLA columns from that one event, stored with the new row
    started = SlaEvent(kind=SlaEventKind.STARTED, at=received_at,
                       actor=actor if getattr(actor, "is_authenticated", False) else None)
    service_request.sla_due_at, service_request.sla_breached = _sla_columns(
        service_request, deadlines(service_request, [started], spec_for_request(service_request), now=now))
    save_versioned(service_request, expected_version=None, user=actor)
    record_event(service_request, actor=actor, verb="created", to_state=service_request.status, data={"channel": channel})
    if handed_over_from is not None:
        record_event(service_request, actor=actor, verb="handed_over", note=str(handed_over_from),
                     data={"department": handed_over_from.pk})
    started.service_request = service_request
    started.save()
    notify.request_received(service_request)

    result = IntakeResult(service_request=service_request)
    if unit is not None:
        result.open_requests = _OPEN_FOR_UNIT.all(unit.pk, service_request.pk)
        for other in result.open_requests:
            result.warnings.append(
                _("Request %(number)s for this unit is still open (%(status)s).")
                % {"number": other.number, "status": RequestStatus(other.status).label}
            )
    return result


@transaction.atomic
def request_hand_over(
    *, actor: Any, service_request: ServiceRequest, from_department: Any, note: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """Another department received the request and hands it to the service desk (seed 001 §4.1).
    The clocks keep counting from the original receipt."""
    service_request = _lock(service_request)
    if not service_request.is_open:
        raise ValidationError(_("Only an open request can be handed over."), code="closed")
    if service_request.handed_over_from_id:
        raise ValidationError(_("This request has already been handed over to the service desk."), code="twice")
    service_request.handed_over_from = from_department
    service_request.handed_over_at = timezone.now()
    service_request.channel = RequestChannel.OTHER_DEPT
    save_versioned(service_request, expected_version=expected_version, user=actor)
    record_event(service_request, actor=actor, verb="handed_over", note=note or str(from_department),
                 data={"department": from_department.pk})
    return service_request


# ---------------------------------------------------------------- review and plan

def _first_response(service_request: ServiceRequest, actor: Any, now: datetime) -> None:
    if service_request.first_responded_at is None:
        service_request.first_responded_at = now
    _target_met(service_request, SlaTarget.FIRST_RESPONSE, actor=actor, at=now)


@transaction.atomic
def request_start_review(
    *, actor: Any, service_request: ServiceRequest, note: str = "", expected_version: int | None = None
) -> ServiceRequest:
    """Analysis and review begin (seed 001 §4.2), once, from a new request (a plan the customer rejects
    goes back under review by ``request_reject_plan``, not by a second review start)."""
    service_request = _lock(service_request)
    _check_move(service_request, "start_review")
    now = timezone.now()
    _first_response(service_request, actor, now)
    _move(service_request, "start_review", actor=actor, note=note, expected_version=expected_version)
    refresh_sla(service_request, now=now)
    return service_request


@transaction.atomic
def review_record(
    *, actor: Any, service_request: ServiceRequest, analysis: str, opinion: str, decided_plan: str,
    review_form: str = "", customer_feedback: list[Any] | None = None, shown_to_customer: bool = False,
    expected_version: int | None = None,
) -> Review:
    """The written review opinion (seed 001 §4.4), with the customer's written feedback attached (§4.3)."""
    from serviceloop.core.attachments import attachment_add

    service_request = _lock(service_request)
    check_version(service_request, expected_version)
    if service_request.status != RequestStatus.UNDER_REVIEW:
        raise ValidationError(_("Start the review of this request first."), code="not_under_review")
    errors: dict[str, list[str]] = {}
    if not (analysis or "").strip():
        errors["analysis"] = [_("Write the cause analysis.")]
    if not (opinion or "").strip():
        errors["opinion"] = [_("Write the review opinion.")]
    if decided_plan not in ServicePlan.values:
        errors["decided_plan"] = [_("Choose the decided service plan.")]
    if errors:
        raise ValidationError(errors)
    review = Review(
        service_request=service_request, analysis=analysis.strip(), opinion=opinion.strip(), decided_plan=decided_plan,
        review_form=review_form.strip(), reviewer=actor if getattr(actor, "is_authenticated", False) else None,
        reviewed_at=timezone.now(), shown_to_customer=bool(shown_to_customer),
    )
    save_versioned(review, expected_version=None, user=actor)
    for upload in customer_feedback or []:
        attachment_add(subject=review, upload=upload, user=actor, description=_("Customer's written feedback"))
    record_event(service_request, actor=actor, verb="reviewed", note=review.opinion, data={"review": review.pk,
                                                                                  "plan": decided_plan})
    return review


@transaction.atomic
def request_propose_plan(
    *, actor: Any, service_request: ServiceRequest, plan: str = "", note: str = "", expected_version: int | None = None
) -> ServiceRequest:
    """Answer the customer with the decided service plan (seed 001 §4.6): stops the plan clock."""
    service_request = _lock(service_request)
    _check_move(service_request, "propose_plan")
    if not service_request.customer_id:
        raise ValidationError(_("Link the caller to a customer record before proposing a plan."), code="no_customer")
    latest = service_request.reviews.order_by("-reviewed_at", "-id").first()
    if service_request.request_type == RequestType.COMPLAINT and (
        service_request.status != RequestStatus.UNDER_REVIEW or latest is None
    ):
        raise ValidationError(
            _("A quality complaint must be analysed and reviewed before a plan is proposed."), code="review_needed"
        )
    plan = plan or (latest.decided_plan if latest is not None else "")
    if plan not in ServicePlan.values:
        raise ValidationError({"plan": [_("Choose the service plan.")]})
    now = timezone.now()
    _first_response(service_request, actor, now)
    service_request.plan, service_request.plan_note = plan, note.strip()
    service_request.plan_decided_at = now
    _target_met(service_request, SlaTarget.PLAN_DECIDED, actor=actor, at=now)
    _move(service_request, "propose_plan", actor=actor, note=note, expected_version=expected_version, data={"plan": plan})
    refresh_sla(service_request, now=now)
    notify.plan_decided(service_request)
    return service_request


@transaction.atomic
def request_confirm_plan(
    *, actor: Any, service_request: ServiceRequest, how: str | None = None, confirmed_by_name: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """The customer agrees to the plan: in the portal themselves, or by phone as the desk records
    (``how`` left out: the portal for a customer, the phone for staff)."""
    service_request = _lock(service_request)
    _own_customer(actor, service_request)
    how = _confirmation_channel(actor, how, ConfirmationChannel.PORTAL, ConfirmationChannel.PHONE)
    _check_move(service_request, "confirm_plan")
    if how not in ConfirmationChannel.values:
        raise ValidationError({"how": [_("Choose how the customer confirmed.")]})
    if how == ConfirmationChannel.PORTAL:
        if not is_customer(actor):
            raise ValidationError(
                {"how": [_("Only the customer confirms in the portal; record a phone confirmation instead.")]}
            )
        service_request.customer_confirmed_by = actor
        service_request.customer_confirmed_name = str(actor)
    else:
        name = (confirmed_by_name or "").strip()
        if not name:
            raise ValidationError({"confirmed_by_name": [_("Who at the customer confirmed on the phone?")]})
        service_request.customer_confirmed_by = None
        service_request.customer_confirmed_name = name[:100]
    service_request.customer_confirmed_at = timezone.now()
    service_request.customer_confirmed_via = how
    moved = _move(service_request, "confirm_plan", actor=actor, expected_version=expected_version,
                  note=service_request.customer_confirmed_name, data={"how": how})
    mark_done(moved, "plan_decided")  # the plan that asked the customer to confirm it is answered
    return moved


@transaction.atomic
def request_reject_plan(
    *, actor: Any, service_request: ServiceRequest, comment: str, expected_version: int | None = None,
) -> ServiceRequest:
    """The customer does not agree to the proposed plan and says why: in the portal, or as the desk records
    from the phone. The request goes back under review (the desk reviews again and proposes another plan);
    the desk hears of it in this transaction (the outbox)."""
    service_request = _lock(service_request)
    _own_customer(actor, service_request)
    _check_move(service_request, "reject_plan")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": [_("Say why the plan does not suit you.")]})
    rejected_plan = service_request.plan
    service_request.customer_confirmed_at = None
    service_request.customer_confirmed_via = ""
    service_request.customer_confirmed_by = None
    service_request.customer_confirmed_name = ""
    _move(service_request, "reject_plan", actor=actor, note=comment[:2000], expected_version=expected_version,
          data={"plan": rejected_plan, "by_customer": is_customer(actor)})
    notify.plan_rejected(service_request, actor=actor, comment=comment)
    return service_request


@transaction.atomic
def request_link_customer(
    *, actor: Any, service_request: ServiceRequest, customer: Any, unit: Any = None, site: Any = None,
    expected_version: int | None = None,
) -> ServiceRequest:
    """A request logged for a caller who was not in the system gets its customer record (and the unit,
    when found): the warranty snapshot, the priority and the SLA policy are taken as at intake."""
    service_request = _lock(service_request)
    check_version(service_request, expected_version)
    if is_customer(actor):
        raise PermissionDenied(_("The service desk links the customer record."))
    if service_request.customer_id:
        raise ValidationError(_("This request already has its customer."), code="linked")
    if not service_request.is_open:
        raise ValidationError(_("Only an open request can be linked to a customer."), code="closed")
    errors: dict[str, list[str]] = {}
    if customer is None:
        errors["customer"] = [_("Choose the customer.")]
    else:
        if unit is not None and unit.customer_id and unit.customer_id != customer.pk:
            errors.setdefault("unit", []).append(_("This unit belongs to another customer."))
        if site is not None and site.customer_id != customer.pk:
            errors.setdefault("site", []).append(_("This site belongs to another customer."))
    if errors:
        raise ValidationError(errors)
    service_request.customer = customer
    if unit is not None:
        service_request.unit = unit
        if unit.so_line_id and service_request.sales_order_id is None:
            service_request.sales_order = unit.so_line.order
        _with_contracts(unit)
        verdict = warranty_state(unit, timezone.localdate(service_request.received_at))
        service_request.contract = verdict.contract
        service_request.warranty_state, service_request.warranty_reason = verdict.state, verdict.reason
        service_request.warranty_reason_message = as_stored(verdict.message)
    service_request.site = site or service_request.site or (unit.site if unit is not None else None)
    sla_level = service_request.contract.sla_level if service_request.contract_id else ""
    service_request.priority = priority_for(service_request.severity, customer.level, sla_level)
    service_request.sla_policy = match_policy(
        request_type=service_request.request_type, severity=service_request.severity, customer_level=customer.level,
        contract_sla_level=sla_level)
    save_versioned(service_request, expected_version=None, user=actor)
    record_event(service_request, actor=actor, verb="customer_linked", note=customer.name,
                 data={"customer": customer.pk, "unit": getattr(unit, "pk", None),
                       "caller_company": service_request.caller_company})
    refresh_sla(service_request)
    return service_request


# ---------------------------------------------------------------- work and outcome

@transaction.atomic
def request_start_work(
    *, actor: Any, service_request: ServiceRequest, note: str = "", expected_version: int | None = None
) -> ServiceRequest:
    service_request = _lock(service_request)
    return _move(service_request, "start_work", actor=actor, note=note, expected_version=expected_version)


@transaction.atomic
def request_resolve(
    *, actor: Any, service_request: ServiceRequest, resolution: str, expected_version: int | None = None
) -> ServiceRequest:
    service_request = _lock(service_request)
    _check_move(service_request, "resolve")
    if not (resolution or "").strip():
        raise ValidationError({"resolution": [_("Describe how the request was resolved.")]})
    now = timezone.now()
    service_request.resolution = resolution.strip()
    service_request.resolved_at = now
    service_request.sla_paused, service_request.sla_pause_reason = False, ""
    _target_met(service_request, SlaTarget.RESOLUTION, actor=actor, at=now)
    _sla_event(service_request, SlaEventKind.STOPPED, actor=actor, reason=RequestStatus.RESOLVED, at=now)
    _move(service_request, "resolve", actor=actor, note=service_request.resolution, expected_version=expected_version)
    refresh_sla(service_request, now=now)
    notify.request_resolved(service_request)
    return service_request


@transaction.atomic
def request_confirm_resolution(
    *, actor: Any, service_request: ServiceRequest, how: str | None = None, confirmed_by_name: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """The customer confirms the resolution: in the portal, by signing the service report, or by phone
    (``how`` left out: the portal for a customer, the phone for staff)."""
    service_request = _lock(service_request)
    _own_customer(actor, service_request)
    how = _confirmation_channel(actor, how, ResolutionConfirmation.PORTAL, ResolutionConfirmation.PHONE)
    if service_request.status != RequestStatus.RESOLVED:
        raise ValidationError(_("Only a resolved request can be confirmed as resolved."), code="not_resolved")
    if service_request.resolution_confirmed_at is not None:
        raise ValidationError(_("The customer has already confirmed the resolution."), code="twice")
    if how not in ResolutionConfirmation.values:
        raise ValidationError({"how": [_("Choose how the customer confirmed.")]})
    if how == ResolutionConfirmation.PORTAL:
        if not is_customer(actor):
            raise ValidationError({"how": [_("Only the customer confirms in the portal.")]})
        name = str(actor)
    else:
        name = (confirmed_by_name or "").strip()
        if not name:
            raise ValidationError({"confirmed_by_name": [_("Who at the customer confirmed?")]})
    service_request.resolution_confirmed_at = timezone.now()
    service_request.resolution_confirmed_via = how
    service_request.resolution_confirmed_name = name[:100]
    save_versioned(service_request, expected_version=expected_version, user=actor)
    record_event(service_request, actor=actor, verb="resolution_confirmed", note=service_request.resolution_confirmed_name,
                 data={"how": how})
    return service_request


def follow_up_wait_days() -> int:
    return int(getattr(settings, "FOLLOWUP_WAIT_DAYS", 7))


@transaction.atomic
def request_close(
    *, actor: Any, service_request: ServiceRequest, follow_up: Any = None, no_answer: bool = False, note: str = "",
    expected_version: int | None = None, now: datetime | None = None,
) -> ServiceRequest:
    """Close a resolved request: after its follow-up call (回访), or when the customer has not answered
    for ``FOLLOWUP_WAIT_DAYS`` days after the resolution."""
    service_request = _lock(service_request)
    _check_move(service_request, "close")
    now = now or timezone.now()
    data: dict[str, Any] = {}
    if follow_up is not None:
        data["follow_up"] = getattr(follow_up, "pk", None)
    elif no_answer:
        days = follow_up_wait_days()
        if service_request.resolved_at is None or service_request.resolved_at + timedelta(days=days) > now:
            raise ValidationError(
                _("Without an answer a request closes %(days)d days after its resolution.") % {"days": days},
                code="too_early",
            )
        data["no_answer_days"] = days
    else:
        raise ValidationError(
            _("A request closes after its follow-up call, or after %(days)d days without an answer.")
            % {"days": follow_up_wait_days()},
            code="follow_up_needed",
        )
    service_request.closed_at = now
    return _move(service_request, "close", actor=actor, note=note, expected_version=expected_version, data=data)


@transaction.atomic
def request_cancel(
    *, actor: Any, service_request: ServiceRequest, reason: str, expected_version: int | None = None
) -> ServiceRequest:
    service_request = _lock(service_request)
    _check_move(service_request, "cancel")
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the request is cancelled.")]})
    now = timezone.now()
    service_request.cancel_reason = reason.strip()
    service_request.sla_paused, service_request.sla_pause_reason = False, ""
    _sla_event(service_request, SlaEventKind.STOPPED, actor=actor, reason=RequestStatus.CANCELLED, at=now)
    _move(service_request, "cancel", actor=actor, note=service_request.cancel_reason, expected_version=expected_version)
    refresh_sla(service_request, now=now)
    return service_request


@transaction.atomic
def request_reopen(
    *, actor: Any, service_request: ServiceRequest, reason: str, expected_version: int | None = None
) -> ServiceRequest:
    """Not solved after all: back to in progress; the clocks continue where they stopped."""
    service_request = _lock(service_request)
    _own_customer(actor, service_request)
    _check_move(service_request, "reopen")
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the request is reopened.")]})
    now = timezone.now()
    service_request.resolved_at = None
    service_request.closed_at = None
    service_request.resolution_confirmed_at = None
    service_request.resolution_confirmed_via = ""
    service_request.resolution_confirmed_name = ""
    _sla_event(service_request, SlaEventKind.REOPENED, actor=actor, reason=reason, at=now)
    _move(service_request, "reopen", actor=actor, note=reason.strip(), expected_version=expected_version)
    refresh_sla(service_request, now=now)
    return service_request


# ---------------------------------------------------------------- SLA clocks

@transaction.atomic
def sla_pause(
    *, service_request: ServiceRequest, reason: str, actor: Any = None, note: str = "", expected_version: int | None = None
) -> ServiceRequest:
    """Stop the clocks while waiting for the customer or for parts."""
    service_request = _lock(service_request)
    check_version(service_request, expected_version)
    if not service_request.is_open:
        raise ValidationError(_("The clocks of a finished request cannot be paused."), code="closed")
    if service_request.sla_paused:
        raise ValidationError(_("The clocks are already paused."), code="paused")
    if reason not in PauseReason.values:
        raise ValidationError({"reason": [_("Choose why the clocks are paused.")]})
    now = timezone.now()
    _sla_event(service_request, SlaEventKind.PAUSED, actor=actor, reason=reason, at=now)
    service_request.sla_paused, service_request.sla_pause_reason = True, reason
    save_versioned(service_request, expected_version=None, user=actor)  # a move: the version goes up
    record_event(service_request, actor=actor, verb="sla_paused", note=note, data={"reason": reason})
    refresh_sla(service_request, now=now)
    return service_request


@transaction.atomic
def sla_resume(
    *, service_request: ServiceRequest, actor: Any = None, note: str = "", expected_version: int | None = None
) -> ServiceRequest:
    service_request = _lock(service_request)
    check_version(service_request, expected_version)
    if not service_request.sla_paused:
        raise ValidationError(_("The clocks are not paused."), code="not_paused")
    now = timezone.now()
    reason = service_request.sla_pause_reason
    _sla_event(service_request, SlaEventKind.RESUMED, actor=actor, reason=reason, at=now)
    service_request.sla_paused, service_request.sla_pause_reason = False, ""
    save_versioned(service_request, expected_version=None, user=actor)
    record_event(service_request, actor=actor, verb="sla_resumed", note=note, data={"reason": reason})
    refresh_sla(service_request, now=now)
    return service_request


@transaction.atomic
def sla_start_target(
    *, service_request: ServiceRequest, target: str, actor: Any = None, at: datetime | None = None
) -> SlaEvent:
    """Start a clock that runs from dispatch (engineer contact, on-site arrival): called by work orders."""
    service_request = _lock(service_request)
    if target not in TARGETS_FROM_DISPATCH:
        raise ValidationError(_("This clock starts with the request itself."), code="target")
    if not service_request.is_open:
        raise ValidationError(_("The request is no longer open."), code="closed")
    event = _sla_event(service_request, SlaEventKind.STARTED, actor=actor, target=target, at=at)
    refresh_sla(service_request)
    return event


@transaction.atomic
def sla_meet_target(
    *, service_request: ServiceRequest, target: str, actor: Any = None, at: datetime | None = None
) -> bool:
    """Record that a target is met (e.g. the engineer called the customer); False if it already was."""
    service_request = _lock(service_request)
    if target not in SlaTarget.values:
        raise ValidationError(_("Unknown SLA target."), code="target")
    met = _target_met(service_request, target, actor=actor, at=at)
    refresh_sla(service_request)
    return met


# ---------------------------------------------------------------- escalation

def _notify(escalation: Escalation) -> None:
    """The hooks other apps registered (core.registry.on_escalation: the feedback app's notifications)."""
    registry.run_escalation_hooks(escalation)


def _escalation_levels(service_request: ServiceRequest) -> list[str]:
    levels = [EscalationLevel.SERVICE_MANAGER]
    if service_request.severity == Severity.MAJOR:
        levels.append(EscalationLevel.GM_OFFICE)
    return levels


def sla_escalate(*, now: datetime | None = None, threshold: float = ESCALATE_BELOW) -> list[Escalation]:
    """Escalate every open target that has breached or has less than ``threshold`` of its time left.

    Each (request, target, level) is recorded once (its own small transaction, so one batch never
    holds locks for long); the stored deadline columns are refreshed on the way. Open requests are
    read as rows in chunks (sla.fastpath.evaluate_open_rows); per chunk one query reads the escalations already
    recorded for its requests at risk, and one loads the requests that get a new escalation.
    """
    now = now or timezone.now()
    created: list[Escalation] = []
    stale: list[ServiceRequest] = []
    with gc_paused():  # some 100,000 short-lived rows and tuples: the cyclic collector only slows this down
        for chunk in evaluate_open_rows(now, threshold=threshold):
            risky: list[tuple[Any, list[Any]]] = []
            for verdict in chunk:
                row, breached, at_risk = verdict.row, verdict.breached, verdict.at_risk
                if row.sla_due_us != verdict.due_us or row.sla_breached != breached:
                    stale.append(ServiceRequest(pk=row.pk, sla_due_at=verdict.due_at, sla_breached=breached))
                    if len(stale) >= 1000:
                        ServiceRequest.objects.bulk_update(stale, ["sla_due_at", "sla_breached"])
                        stale.clear()
                if at_risk:
                    risky.append((row, at_risk))
            if not risky:
                continue
            recorded: dict[int, set[tuple[str, str]]] = {row.pk: set() for row, _at_risk in risky}
            for service_request_id, target, level in Escalation.objects.filter(service_request_id__in=list(recorded)).values_list(
                "service_request_id", "target", "level"
            ):
                recorded[service_request_id].add((target, level))
            todo = [
                (row, risk, level)
                for row, at_risk in risky
                for risk in at_risk
                for level in _escalation_levels(row)
                if (risk.target, level) not in recorded[row.pk]
            ]
            if not todo:
                continue
            requests = ServiceRequest.objects.defer(*DEFERRED_TEXTS).in_bulk({row.pk for row, _r, _l in todo})
            todo = [(requests[row.pk], risk, level) for row, risk, level in todo if row.pk in requests]  # not deleted
            created.extend(_escalations_record(todo, now))
        if stale:
            ServiceRequest.objects.bulk_update(stale, ["sla_due_at", "sla_breached"])
    return created


def _escalations_record(todo: list[tuple[ServiceRequest, AtRisk, str]], now: datetime) -> list[Escalation]:
    """A chunk's escalations in one transaction: one INSERT for the escalations, one for their timeline
    entries, the hooks once with the whole batch (one notification per recipient). Another worker that
    recorded one of them first makes the batch fall back to one transaction per escalation."""
    if not todo:
        return []
    try:
        with transaction.atomic():
            escalations = Escalation.objects.bulk_create([
                Escalation(service_request=service_request, target=risk.target, level=level, at=now,
                           due_at=risk.due_at, breached=risk.breached)
                for service_request, risk, level in todo
            ])
            request_type = ContentType.objects.get_for_model(ServiceRequest)
            notes: dict[tuple[str, str], tuple[str, Any]] = {}  # (target, level) -> (text, stored message)
            for _request, risk, level in todo:
                if (risk.target, level) not in notes:
                    note = _escalation_note(risk, level)
                    notes[(risk.target, level)] = (as_text(note), as_stored(note))
            TimelineEvent.objects.bulk_create([
                TimelineEvent(content_type=request_type, object_id=service_request.pk, actor=None, at=now,
                              verb="escalated", note=notes[(risk.target, level)][0],
                              note_message=notes[(risk.target, level)][1], data=_escalation_data(risk, level))
                for service_request, risk, level in todo
            ])
            registry.run_escalation_hooks(escalations)  # the notifications' outbox rows commit with them
    except IntegrityError:  # another worker recorded some of them meanwhile: each on its own
        escalations = [e for e in (_escalation_record(r, risk, level, now) for r, risk, level in todo) if e]
    return escalations


def _escalation_note(deadline: AtRisk, level: str) -> Message:
    """The timeline entry's text, kept as a message: each reader sees the target and level in their language."""
    return message(gettext_noop("%(target)s → %(level)s"), target=SlaTarget(deadline.target).label,
                   level=EscalationLevel(level).label)


def _escalation_data(deadline: AtRisk, level: str) -> dict[str, Any]:
    return {"target": deadline.target, "level": level, "breached": deadline.breached,
            "due_at": deadline.due_at.isoformat() if deadline.due_at else None}


def _escalation_record(service_request: ServiceRequest, deadline: AtRisk, level: str, now: datetime) -> Escalation | None:
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                service_request=service_request, target=deadline.target, level=level, at=now, due_at=deadline.due_at,
                breached=deadline.breached,
            )
            record_event(service_request, actor=None, verb="escalated", note=_escalation_note(deadline, level),
                         data=_escalation_data(deadline, level))
            _notify(escalation)  # in this transaction: the notification's outbox rows commit with the escalation
    except IntegrityError:  # another worker recorded it first
        return None
    return escalation
