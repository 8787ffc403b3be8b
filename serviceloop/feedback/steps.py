"""The feedback app's steps on a service request (core.steps): the desk's follow-up call and the
customer's rating, buttons on the request page that open their own pages. The API records both with
``POST /api/v1/follow-ups/``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import Blocked, StepDef, forbidden, not_now
from serviceloop.service.choices import RequestStatus
from serviceloop.service.steps import REQUEST_STEPS

from . import services
from .choices import FollowUpChannel


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


def _record(channel: str):
    def run(actor: Any, r: Any, d: dict[str, Any]) -> Any:
        return services.follow_up_record(actor=actor, request=r, channel=channel, **d)
    return run


REQUEST_STEPS.add(
    StepDef("follow_up", gettext_lazy("Follow-up call"), style="success", icon="telephone", page="feedback:follow_up",
            api=False, blocker=follow_up_call_blocker, run=_record(FollowUpChannel.PHONE)),
    StepDef("rate", gettext_lazy("Rate our service"), style="success", icon="star", page="feedback:rate",
            api=False, blocker=rate_blocker, run=_record(FollowUpChannel.PORTAL)),
)
