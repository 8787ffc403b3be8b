"""Writes of the feedback loop: follow-ups (回访), service complaints (服务投诉), closing unanswered requests.

Service requests move only through serviceloop.service.services (request_close, request_reopen).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from serviceloop.core.concurrency import check_version, save_versioned
from serviceloop.core.messages import message
from serviceloop.core.numbering import next_number
from serviceloop.core.scoping import is_customer
from serviceloop.core.timeline import record_event
from serviceloop.service.choices import RequestStatus, Severity
from serviceloop.service.models import ServiceRequest
from serviceloop.service.services import follow_up_wait_days, request_close, request_reopen

from .choices import (
    SCORE_FIELDS,
    SCORE_MAX,
    SCORE_MIN,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    FollowUpChannel,
    FollowUpOutcome,
    RevisitChannel,
    UnsatisfiedAction,
)
from .models import (
    ESCALATE_STATUSES,
    TRANSITIONS,
    ComplaintAnalysis,
    ComplaintRevisit,
    FollowUp,
    ServiceComplaint,
)

log = logging.getLogger(__name__)

# The departments answer a service complaint within 24 hours (seed 003 §5.5.3).
COMPLAINT_ANALYSIS_HOURS = 24
TEXT_MAX = 4000
# A follow-up recorded a little ahead of the server clock (a phone's clock) is accepted.
CLOCK_SKEW = timedelta(minutes=5)


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock_request(service_request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update(of=("self",)).select_related("customer").get(pk=service_request.pk)


def _score(value: Any) -> int | None:
    """1..5 as an int, or None for anything else (bools, text, 2.5, out of range)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
        return None
    return value


def already_followed_up(service_request: ServiceRequest) -> bool:
    """Whether the request's current resolution has its follow-up."""
    return service_request.resolved_at is not None and FollowUp.objects.filter(
        service_request=service_request, resolved_at=service_request.resolved_at
    ).exists()


def follow_up_blocker(service_request: ServiceRequest) -> str:
    """Why a follow-up cannot be recorded now ("" when it can): shown on the forms before typing."""
    if already_followed_up(service_request):
        return _("This resolution has already been followed up.")
    if service_request.status != RequestStatus.RESOLVED:
        return _("Only a resolved request can be followed up; this one is “%(status)s”.") % {
            "status": RequestStatus(service_request.status).label
        }
    return ""


@transaction.atomic
def follow_up_record(
    *, actor: Any, service_request: ServiceRequest, channel: str, attitude: Any, skill: Any, timeliness: Any,
    satisfied: Any, comments: str = "", person: str = "", unsatisfied_action: str = UnsatisfiedAction.REOPEN,
    called_at: datetime | None = None,
) -> FollowUp:
    """Record the follow-up (回访) of a resolved request, then close it or act on the dissatisfaction.

    - satisfied: the request closes with this follow-up;
    - unsatisfied + "reopen": the request goes back to in progress, the comments are the reason;
    - unsatisfied + "complaint": a service complaint (服务投诉) is registered and the request closes.
    A customer rates their own company's requests in the portal; the desk records phone calls.
    """
    service_request = _lock_request(service_request)
    now = timezone.now()
    if is_customer(actor) and actor.customer_id != service_request.customer_id:
        raise ValidationError(_("This request belongs to another customer."), code="forbidden")
    blocker = follow_up_blocker(service_request)
    if blocker:
        raise ValidationError(blocker, code="twice" if already_followed_up(service_request) else "not_resolved")

    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if channel not in FollowUpChannel.values:
        err("channel", _("Choose a valid channel."))
    elif is_customer(actor) and channel != FollowUpChannel.PORTAL:
        err("channel", _("Customers rate the service in the portal."))
    elif not is_customer(actor) and channel == FollowUpChannel.PORTAL:
        err("channel", _("Only the customer rates in the portal; record a phone call instead."))
    scores = {}
    for name in SCORE_FIELDS:
        scores[name] = _score({"attitude": attitude, "skill": skill, "timeliness": timeliness}[name])
        if scores[name] is None:
            err(name, _("Give a score from %(min)d to %(max)d.") % {"min": SCORE_MIN, "max": SCORE_MAX})
    if not isinstance(satisfied, bool):
        err("satisfied", _("Was the customer satisfied? Answer yes or no."))
    comments = (comments or "").strip()
    person = (person or "").strip()
    if satisfied is False and not comments:
        err("comments", _("Write down why the customer is not satisfied."))
    if satisfied is False and unsatisfied_action not in UnsatisfiedAction.values:
        err("unsatisfied_action", _("Choose: reopen the request, or register a service complaint."))
    if channel == FollowUpChannel.PHONE and not person:
        err("person", _("Who did you speak to?"))
    if len(person) > 100:
        err("person", _("At most 100 characters."))
    called_at = called_at or now
    if timezone.is_naive(called_at):
        called_at = timezone.make_aware(called_at)
    if called_at > now + CLOCK_SKEW:
        err("called_at", _("The time of the call cannot be in the future."))
    elif service_request.resolved_at is not None and called_at < service_request.resolved_at:
        err("called_at", _("The call cannot be before the resolution."))
    if errors:
        raise ValidationError(errors)

    if satisfied:
        outcome = FollowUpOutcome.CLOSED
    elif unsatisfied_action == UnsatisfiedAction.REOPEN:
        outcome = FollowUpOutcome.REOPENED
    else:
        outcome = FollowUpOutcome.COMPLAINT
    follow_up = FollowUp(
        service_request=service_request, resolved_at=service_request.resolved_at, channel=channel, called_by=_user_or_none(actor),
        called_at=called_at, person=person or (str(actor) if is_customer(actor) else ""),
        attitude=scores["attitude"], skill=scores["skill"], timeliness=scores["timeliness"],
        satisfied=satisfied, comments=comments, outcome=outcome,
    )
    follow_up.full_clean()
    save_versioned(follow_up, expected_version=None, user=actor)
    record_event(
        service_request, actor=actor, verb="followed_up", note=comments,
        data={"follow_up": follow_up.pk, "channel": channel, "satisfied": satisfied, "outcome": outcome,
              **{name: scores[name] for name in SCORE_FIELDS}},
    )

    if outcome == FollowUpOutcome.REOPENED:
        follow_up.service_request = request_reopen(actor=actor, service_request=service_request, reason=comments)
    else:
        if outcome == FollowUpOutcome.COMPLAINT:
            complaint_register(actor=actor, customer=service_request.customer, service_request=service_request,
                               follow_up=follow_up, description=comments, channel=ComplaintChannel.FOLLOW_UP,
                               contact_name=person, contact_phone=service_request.contact_phone, now=now)
        follow_up.service_request = request_close(actor=actor, service_request=service_request, follow_up=follow_up, note=comments, now=now)
    return follow_up


# ---------------------------------------------------------------- service complaints (服务投诉, seed 003 §5.5)

def _department_members(department_ids: list[int]) -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(department_id__in=department_ids, is_active=True,
                                                customer__isnull=True).order_by("pk"))


def _managers(customer: Any) -> list[Any]:
    from serviceloop.accounts.roles import SERVICE_MANAGER
    from serviceloop.core.notifications import users_with_role

    return users_with_role(SERVICE_MANAGER, branch=customer.branch)


def _gm_office(customer: Any) -> list[Any]:
    """The general manager's office, and the staff of the customer's branch (the sales company's manager,
    seed 003 §5.5.2: a major complaint is reported to both at once)."""
    from serviceloop.accounts.roles import BRANCH_STAFF, GM_OFFICE
    from serviceloop.core.notifications import users_with_role

    branch_staff = [u for u in users_with_role(BRANCH_STAFF, branch=customer.branch)
                    if customer.branch_id is not None and u.branch_id == customer.branch_id]
    return users_with_role(GM_OFFICE) + branch_staff


def _notify(recipients: list[Any], kind: str, complaint: ServiceComplaint, subject: Any, body: Any) -> None:
    """One notification per recipient, written in this transaction (the outbox delivers it after the commit).
    Subject and body are stored messages (core/messages.py): each reader sees them in their own language."""
    from serviceloop.core.notifications import notify

    notify(recipients=recipients, kind=kind, subject=subject, body=body,
           url=reverse("feedback:complaint_detail", args=[complaint.pk]), obj=complaint)


def _local(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "-"


def _lock(complaint: ServiceComplaint) -> ServiceComplaint:
    return (ServiceComplaint.objects.select_for_update(of=("self",)).select_related("customer", "customer__branch")
            .get(pk=complaint.pk))


def _refuse_move(complaint: ServiceComplaint, move: str) -> str:
    allowed, target = TRANSITIONS[move]
    if complaint.status not in allowed:
        raise ValidationError(
            _("A complaint that is “%(status)s” cannot move to “%(target)s”.")
            % {"status": ComplaintStatus(complaint.status).label, "target": ComplaintStatus(target).label},
            code="illegal_transition",
        )
    return target


def _check_coordinator(actor: Any) -> None:
    if is_customer(actor) or not actor.has_perm("feedback.change_servicecomplaint"):
        raise PermissionDenied(_("Only the general manager's office or a service manager does this."))


@transaction.atomic
def complaint_register(
    *, actor: Any, description: str, customer: Any = None, service_request: ServiceRequest | None = None,
    follow_up: FollowUp | None = None, channel: str | None = None, category: str = ComplaintCategory.OTHER,
    contact_name: str = "", contact_phone: str = "", major: bool = False, now: datetime | None = None,
) -> ServiceComplaint:
    """Register a service complaint (客户投诉登记): by the desk on the phone (about a request or on its own),
    from an unsatisfied follow-up, or by the customer in the portal.

    A major complaint — marked so, a key account (level A) or a major request — goes to the general
    manager's office at once (notified in this transaction).
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if is_customer(actor) and customer is None and service_request is None:
        customer = actor.customer  # the portal: their own company
    if service_request is not None:
        customer = customer or service_request.customer
        if service_request.customer_id is None:
            err("service_request", _("Link this request to its customer record before registering a complaint."))
            customer = None
        elif service_request.customer_id != customer.pk:
            err("service_request", _("This request belongs to another customer."))
    if customer is None and "service_request" not in errors:
        err("customer", _("Choose the customer who complains."))
    if is_customer(actor):
        if customer is not None and customer.pk != actor.customer_id:
            raise PermissionDenied(_("This request belongs to another customer."))
        channel = ComplaintChannel.FOLLOW_UP if follow_up is not None else ComplaintChannel.PORTAL
        major = False
        contact_name = contact_name or str(actor)
        contact_phone = contact_phone or getattr(actor, "phone", "")
    elif channel is None:
        channel = ComplaintChannel.PHONE
    if channel not in ComplaintChannel.values:
        err("channel", _("Choose a valid channel."))
    elif channel == ComplaintChannel.PORTAL and not is_customer(actor):
        err("channel", _("Only the customer registers in the portal."))
    if category not in ComplaintCategory.values:
        err("category", _("Choose what the complaint is about."))
    description = (description or "").strip()
    if not description:
        err("description", _("Describe the complaint in the customer's words."))
    elif len(description) > TEXT_MAX:
        err("description", pgettext("complaint", "At most %(max)d characters.") % {"max": TEXT_MAX})
    contact_name, contact_phone = (contact_name or "").strip(), (contact_phone or "").strip()
    if len(contact_name) > 100:
        err("contact_name", _("At most 100 characters."))
    if len(contact_phone) > 30:
        err("contact_phone", pgettext("complaint", "At most 30 characters."))
    if not isinstance(major, bool):
        err("major", pgettext("complaint", "Answer yes or no."))
    if errors:
        raise ValidationError(errors)

    reasons = []
    if major:
        reasons.append(str(pgettext("complaint", "registered as major")))
    if customer.level == "A":
        reasons.append(str(pgettext("complaint", "key account")))
    if service_request is not None and service_request.severity == Severity.MAJOR:
        reasons.append(str(pgettext("complaint", "major request")))
    complaint = ServiceComplaint(
        number=next_number("SC", at=now), customer=customer, service_request=service_request, follow_up=follow_up,
        channel=channel, category=category, contact_name=contact_name, contact_phone=contact_phone,
        description=description, major=bool(reasons), registered_by=_user_or_none(actor), status=ComplaintStatus.OPEN,
    )
    complaint.full_clean(exclude=["number"])
    save_versioned(complaint, expected_version=None, user=actor)
    record_event(complaint, actor=actor, verb="created", to_state=complaint.status, note=description,
                 data={"request": service_request.pk if service_request else None,
                       "follow_up": follow_up.pk if follow_up else None, "channel": channel})
    if service_request is not None:
        record_event(service_request, actor=actor, verb="complaint_opened", note=complaint.number,
                     data={"complaint": complaint.pk})
    _notify(_managers(customer), "service_complaint", complaint,
            message(gettext_noop("Service complaint %(number)s from %(customer)s"), **{
                "number": complaint.number, "customer": customer.name}),
            message(gettext_noop("%(customer)s: %(description)s\nSend it to the departments responsible."), **{
                "customer": customer.name, "description": description}))
    if reasons:
        _escalate(actor=actor, complaint=complaint, reason=", ".join(reasons), now=now)
    return complaint


def _escalate(*, actor: Any, complaint: ServiceComplaint, reason: str, now: datetime) -> None:
    """A major complaint to the general manager's office (and the branch's manager) at once."""
    complaint.major = True
    complaint.escalated_at = now
    save_versioned(complaint, expected_version=None, user=actor)
    record_event(complaint, actor=actor, verb="escalated", note=reason, data={"to": "gm_office"})
    customer = complaint.customer
    _notify(_gm_office(customer), "complaint_major", complaint,
            message(gettext_noop("Major service complaint %(number)s from %(customer)s"), **{
                "number": complaint.number, "customer": customer.name}),
            message(gettext_noop("%(customer)s: %(description)s\nWhy major: %(reason)s. The person responsible solves it "
                      "within the time set and reports the result and the measures to the GM office."), **{
                "customer": customer.name, "description": complaint.description, "reason": reason}))


@transaction.atomic
def complaint_escalate(
    *, actor: Any, complaint: ServiceComplaint, reason: str, expected_version: int | None = None,
) -> ServiceComplaint:
    """Mark a complaint major later (what was learnt since): the GM office is told at once."""
    _check_coordinator(actor)
    complaint = _lock(complaint)
    check_version(complaint, expected_version)
    if complaint.major:
        raise ValidationError(_("This complaint is major already: the general manager's office has it."),
                              code="twice")
    if complaint.status not in ESCALATE_STATUSES:
        raise ValidationError(_("Not while the complaint is “%(status)s”.") % {
            "status": ComplaintStatus(complaint.status).label}, code="illegal_transition")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the complaint is major.")]})
    _escalate(actor=actor, complaint=complaint, reason=reason[:TEXT_MAX], now=timezone.now())
    return complaint


@transaction.atomic
def complaint_send(
    *, actor: Any, complaint: ServiceComplaint, departments: Iterable[Any], note: str = "",
    expected_version: int | None = None, now: datetime | None = None,
) -> ServiceComplaint:
    """Send the complaint to the departments responsible (seed 003 §5.5.3): each answers with its analysis
    and improvement within 24 hours. Also from "handling", to ask one more department."""
    from serviceloop.accounts.models import Department

    _check_coordinator(actor)
    complaint = _lock(complaint)
    check_version(complaint, expected_version)
    target = _refuse_move(complaint, "send")
    ids = []
    for d in departments or []:
        pk = getattr(d, "pk", d)
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise ValidationError({"departments": [_("Choose the departments from the list.")]})
        if pk not in ids:
            ids.append(pk)
    found = {d.pk: d for d in Department.objects.filter(pk__in=ids)}
    if not ids or len(found) != len(ids):
        raise ValidationError({"departments": [_("Choose at least one department from the list.")]})
    already = set(ComplaintAnalysis.objects.filter(complaint=complaint, department_id__in=ids)
                  .values_list("department_id", flat=True))
    if already:
        raise ValidationError({"departments": [_("Already sent to: %(names)s.") % {
            "names": ", ".join(str(found[pk]) for pk in ids if pk in already)}]})
    now = now or timezone.now()
    due = now + timedelta(hours=COMPLAINT_ANALYSIS_HOURS)
    ComplaintAnalysis.objects.bulk_create([
        ComplaintAnalysis(complaint=complaint, department=found[pk], sent_by=_user_or_none(actor), sent_at=now,
                          due_at=due, updated_by=_user_or_none(actor))
        for pk in ids
    ])
    source = complaint.status
    complaint.status = target
    complaint.due_at = _earliest_due(complaint) or due
    save_versioned(complaint, expected_version=None, user=actor)
    names = ", ".join(str(found[pk]) for pk in ids)
    note = (note or "").strip()[:TEXT_MAX]
    record_event(complaint, actor=actor, verb="send", from_state=source, to_state=target,
                 note=f"{names}: {note}" if note else names, data={"departments": ids})
    _notify(_department_members(ids), "complaint_analysis", complaint,
            message(gettext_noop("Service complaint %(number)s: your department's analysis is due %(due)s"), **{
                "number": complaint.number, "due": _local(due)}),
            message(gettext_noop("%(customer)s: %(description)s\n%(note)s"), **{
                "customer": complaint.customer.name, "description": complaint.description, "note": note}))
    return complaint


def _earliest_due(complaint: ServiceComplaint) -> datetime | None:
    return (ComplaintAnalysis.objects.filter(complaint=complaint, submitted_at__isnull=True)
            .order_by("due_at").values_list("due_at", flat=True).first())


@transaction.atomic
def complaint_analyse(
    *, actor: Any, complaint: ServiceComplaint, cause: str, improvement: str, expected_version: int | None = None,
) -> ServiceComplaint:
    """One department's answer: the cause and the improvement. The last one in moves the complaint on to
    handling and tells whoever sent it."""
    if is_customer(actor) or not actor.has_perm("feedback.analyse_servicecomplaint"):
        raise PermissionDenied(_("Your role does not allow this."))
    complaint = _lock(complaint)
    check_version(complaint, expected_version)
    target = _refuse_move(complaint, "analyse")
    analysis = (ComplaintAnalysis.objects.select_for_update(of=("self",)).select_related("department")
                .filter(complaint=complaint, department_id=getattr(actor, "department_id", None),
                        submitted_at__isnull=True).first())
    if analysis is None:
        raise PermissionDenied(_("Only a department the complaint was sent to answers it, once."))
    errors: dict[str, list[str]] = {}
    cause, improvement = (cause or "").strip(), (improvement or "").strip()
    if not cause:
        errors["cause"] = [_("Write down the cause your department found.")]
    if not improvement:
        errors["improvement"] = [_("Write down how your department will improve.")]
    for name, value in (("cause", cause), ("improvement", improvement)):
        if len(value) > TEXT_MAX:
            errors.setdefault(name, []).append(pgettext("complaint", "At most %(max)d characters.") % {"max": TEXT_MAX})
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    analysis.cause, analysis.improvement = cause, improvement
    analysis.submitted_by, analysis.submitted_at = _user_or_none(actor), now
    save_versioned(analysis, expected_version=None, user=actor)
    source = complaint.status
    pending = _earliest_due(complaint)
    if pending is None:
        complaint.status = target
    complaint.due_at = pending or complaint.due_at
    save_versioned(complaint, expected_version=None, user=actor)
    record_event(complaint, actor=actor, verb="analyse", from_state=source,
                 to_state=complaint.status if complaint.status != source else "",
                 note=f"{analysis.department}: {cause}", data={"department": analysis.department_id,
                                                               "late": now > analysis.due_at})
    if pending is None:
        senders = list({a.sent_by_id: a.sent_by for a in ComplaintAnalysis.objects.filter(complaint=complaint)
                        .select_related("sent_by") if a.sent_by is not None}.values())
        _notify(senders or _managers(complaint.customer), "complaint_analysed", complaint,
                message(gettext_noop("Service complaint %(number)s: every department has answered"), **{
                    "number": complaint.number}),
                message(gettext_noop("Record the handling measures and call the customer back.")))
    return complaint


@transaction.atomic
def complaint_handle(
    *, actor: Any, complaint: ServiceComplaint, note: str, expected_version: int | None = None
) -> ServiceComplaint:
    """The handling measures (处理措施), from the departments' analyses: handling -> handled (revisit due)."""
    _check_coordinator(actor)
    complaint = _lock(complaint)
    check_version(complaint, expected_version)
    target = _refuse_move(complaint, "handle")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Describe the measures taken.")]})
    if len(note) > TEXT_MAX:
        raise ValidationError({"note": [pgettext("complaint", "At most %(max)d characters.") % {"max": TEXT_MAX}]})
    source = complaint.status
    complaint.status = target
    complaint.handled_by = _user_or_none(actor)
    complaint.handled_at = timezone.now()
    complaint.handling_note = note
    save_versioned(complaint, expected_version=None, user=actor)
    record_event(complaint, actor=actor, verb="handle", from_state=source, to_state=target, note=note)
    return complaint


@transaction.atomic
def complaint_revisit(
    *, actor: Any, complaint: ServiceComplaint, satisfied: Any, person: str = "", comments: str = "",
    channel: str | None = None, expected_version: int | None = None,
) -> ComplaintRevisit:
    """回访: the customer is asked whether the measures satisfy them. Satisfied: the complaint may close;
    not satisfied: back to handling (the comments say why), and the coordinators are told."""
    complaint = _lock(complaint)
    if is_customer(actor):
        if actor.customer_id != complaint.customer_id:
            raise PermissionDenied(_("Your role does not allow this."))
        channel, person = RevisitChannel.PORTAL, str(actor)
    else:
        _check_coordinator(actor)
        channel = channel or RevisitChannel.PHONE
    check_version(complaint, expected_version)
    _refuse_move(complaint, "revisit")
    errors: dict[str, list[str]] = {}
    person, comments = (person or "").strip(), (comments or "").strip()
    if channel not in RevisitChannel.values or (channel == RevisitChannel.PORTAL and not is_customer(actor)):
        errors["channel"] = [_("Choose a valid channel.")]
    if not isinstance(satisfied, bool):
        errors["satisfied"] = [_("Was the customer satisfied? Answer yes or no.")]
    if not person:
        errors["person"] = [_("Who did you speak to?")]
    elif len(person) > 100:
        errors["person"] = [_("At most 100 characters.")]
    if satisfied is False and not comments:
        errors["comments"] = [_("Write down why the customer is not satisfied.")]
    if len(comments) > TEXT_MAX:
        errors.setdefault("comments", []).append(pgettext("complaint", "At most %(max)d characters.") % {"max": TEXT_MAX})
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    revisit = ComplaintRevisit(complaint=complaint, channel=channel, called_at=now, person=person,
                               satisfied=satisfied, comments=comments, recorded_by=_user_or_none(actor))
    save_versioned(revisit, expected_version=None, user=actor)
    source = complaint.status
    complaint.status = ComplaintStatus.SATISFIED if satisfied else ComplaintStatus.HANDLING
    save_versioned(complaint, expected_version=None, user=actor)
    record_event(complaint, actor=actor, verb="revisit", from_state=source, to_state=complaint.status,
                 note=comments, data={"satisfied": satisfied, "channel": channel, "revisit": revisit.pk})
    if not satisfied:
        people = _managers(complaint.customer) + (_gm_office(complaint.customer) if complaint.major else [])
        _notify(people, "complaint_unsatisfied", complaint,
                message(gettext_noop("Service complaint %(number)s: the customer is not satisfied"), **{"number": complaint.number}),
                message(gettext_noop("%(person)s: %(comments)s\nThe complaint is back in handling."), **{
                    "person": person, "comments": comments}))
    return revisit


@transaction.atomic
def complaint_close(
    *, actor: Any, complaint: ServiceComplaint, note: str = "", expected_version: int | None = None
) -> ServiceComplaint:
    """Close a complaint the customer is satisfied with."""
    _check_coordinator(actor)
    complaint = _lock(complaint)
    check_version(complaint, expected_version)
    target = _refuse_move(complaint, "close")
    note = (note or "").strip()[:TEXT_MAX]
    source = complaint.status
    complaint.status = target
    complaint.closed_by, complaint.closed_at = _user_or_none(actor), timezone.now()
    save_versioned(complaint, expected_version=None, user=actor)
    record_event(complaint, actor=actor, verb="close", from_state=source, to_state=target, note=note)
    return complaint


OVERDUE_BATCH = 200


def complaint_escalate_overdue(*, now: datetime | None = None) -> int:
    """The periodic check (every 5 minutes): departments' analyses past their 24 hours and not answered are
    flagged overdue, written on the complaint's timeline and escalated — the department, the service managers
    and the general manager's office get one notification per complaint. Each row is flagged once, by one
    worker (rows locked with SKIP LOCKED on PostgreSQL). Returns how many analyses were flagged."""
    now = now or timezone.now()
    flagged = 0
    while True:
        with transaction.atomic():
            rows = list(
                ComplaintAnalysis.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(submitted_at__isnull=True, overdue_at__isnull=True, due_at__lte=now,
                        complaint__status=ComplaintStatus.ANALYSING)
                .select_related("complaint", "complaint__customer", "complaint__customer__branch", "department")
                .order_by("due_at", "pk")[:OVERDUE_BATCH]
            )
            if not rows:
                return flagged
            ComplaintAnalysis.objects.filter(pk__in=[r.pk for r in rows]).update(overdue_at=now)
            by_complaint: dict[int, list[ComplaintAnalysis]] = {}
            for row in rows:
                by_complaint.setdefault(row.complaint_id, []).append(row)
            for group in by_complaint.values():
                complaint = group[0].complaint
                names = ", ".join(str(r.department) for r in group)
                record_event(complaint, actor=None, verb="analysis_overdue", note=names,
                             data={"departments": [r.department_id for r in group]})
                people = (_department_members([r.department_id for r in group]) + _managers(complaint.customer)
                          + _gm_office(complaint.customer))
                _notify(people, "complaint_overdue", complaint,
                        message(gettext_noop("Service complaint %(number)s: analysis overdue (%(departments)s)"), **{"number": complaint.number, "departments": names}),
                        message(gettext_noop("%(customer)s: %(description)s\nDue %(due)s, no answer yet."), **{"customer": complaint.customer.name, "description": complaint.description, "due": _local(group[0].due_at)}))
            flagged += len(rows)

# ---------------------------------------------------------------- requests nobody answered

def close_unanswered(*, now: datetime | None = None) -> int:
    """Close resolved requests whose follow-up got no answer within ``FOLLOWUP_WAIT_DAYS`` days.

    Each request closes in its own transaction (a request that changed meanwhile is skipped, and
    one batch never holds many locks); returns how many closed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=follow_up_wait_days())
    ids = list(
        ServiceRequest.objects.filter(status=RequestStatus.RESOLVED, resolved_at__lte=cutoff)
        .order_by("resolved_at", "pk").values_list("pk", flat=True)
    )
    closed = 0
    for pk in ids:
        try:
            with transaction.atomic():
                request_close(actor=None, service_request=ServiceRequest(pk=pk), no_answer=True, now=now)
        except ValidationError as exc:  # answered, reopened or closed in the meantime
            log.info("request %s not closed without answer: %s", pk, exc.messages)
            continue
        except ServiceRequest.DoesNotExist:
            continue
        closed += 1
    return closed
