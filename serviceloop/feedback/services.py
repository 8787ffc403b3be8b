"""Writes of the feedback loop: follow-ups (回访), service complaints (服务投诉), closing unanswered requests.

Service requests move only through serviceloop.service.services (request_close, request_reopen).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from serviceloop.core.concurrency import save_versioned
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
    ComplaintStatus,
    FollowUpChannel,
    FollowUpOutcome,
    UnsatisfiedAction,
)
from .models import TRANSITIONS, FollowUp, ServiceComplaint

log = logging.getLogger(__name__)

# The departments answer a service complaint within 24 hours (seed 003 §5.5.3).
COMPLAINT_ANALYSIS_HOURS = 24
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
            _complaint_open(actor=actor, service_request=service_request, follow_up=follow_up, description=comments, now=now)
        follow_up.service_request = request_close(actor=actor, service_request=service_request, follow_up=follow_up, note=comments, now=now)
    return follow_up


# ---------------------------------------------------------------- service complaints

def _complaint_open(
    *, actor: Any, service_request: ServiceRequest, follow_up: FollowUp | None, description: str, now: datetime
) -> ServiceComplaint:
    complaint = ServiceComplaint(
        number=next_number("SC", at=now), service_request=service_request, follow_up=follow_up, description=description,
        status=ComplaintStatus.OPEN, due_at=now + timedelta(hours=COMPLAINT_ANALYSIS_HOURS),
    )
    complaint.full_clean(exclude=["number"])
    save_versioned(complaint, expected_version=None, user=actor)
    record_event(complaint, actor=actor, verb="created", to_state=complaint.status, note=description,
                 data={"request": service_request.pk, "follow_up": follow_up.pk if follow_up else None})
    record_event(service_request, actor=actor, verb="complaint_opened", note=complaint.number,
                 data={"complaint": complaint.pk})
    _notify_complaint(complaint, service_request)
    return complaint


def _notify_complaint(complaint: ServiceComplaint, service_request: ServiceRequest) -> None:
    """The service managers of the request's branch (and headquarters); major requests also the GM office
    (seed 003 §5.5.2: major complaints go to the general manager at once)."""
    from serviceloop.accounts.roles import GM_OFFICE, SERVICE_MANAGER
    from serviceloop.core.notifications import notify, users_with_role

    recipients = users_with_role(SERVICE_MANAGER, branch=service_request.customer.branch)
    if service_request.severity == Severity.MAJOR:
        recipients += users_with_role(GM_OFFICE)
    # stored messages (core/messages.py): each manager reads them in their own language
    subject = message(gettext_noop("Service complaint %(number)s on request %(request)s"),
                      number=complaint.number, request=service_request.number)
    body = message(gettext_noop("%(customer)s: %(description)s\nAnalysis due %(due)s."),
                   customer=service_request.customer.name, description=complaint.description,
                   due=timezone.localtime(complaint.due_at).strftime("%Y-%m-%d %H:%M"))
    notify(recipients=recipients, kind="service_complaint", subject=subject, body=body,
           url=reverse("feedback:complaint_detail", args=[complaint.pk]), obj=complaint)


@transaction.atomic
def complaint_handle(
    *, actor: Any, complaint: ServiceComplaint, note: str, expected_version: int | None = None
) -> ServiceComplaint:
    """The service manager records how the complaint was handled: open -> handled."""
    complaint = ServiceComplaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)
    allowed, target = TRANSITIONS["handle"]
    if complaint.status not in allowed:
        raise ValidationError(
            _("A complaint that is “%(status)s” cannot move to “%(target)s”.")
            % {"status": ComplaintStatus(complaint.status).label, "target": ComplaintStatus(target).label},
            code="illegal_transition",
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Describe how the complaint was handled.")]})
    source = complaint.status
    complaint.status = target
    complaint.handled_by = _user_or_none(actor)
    complaint.handled_at = timezone.now()
    complaint.handling_note = note
    save_versioned(complaint, expected_version=expected_version, user=actor)
    record_event(complaint, actor=actor, verb="handle", from_state=source, to_state=target, note=note)
    return complaint


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
