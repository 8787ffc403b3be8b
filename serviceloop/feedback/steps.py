"""The feedback app's steps (core.steps). On a service request: the desk's follow-up call and the
customer's rating, buttons on the request page that open their own pages (the API records both with
``POST /api/v1/follow-ups/``). On a service complaint: the service manager's handling."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import Blocked, StepDef, Workflow, forbidden, not_now
from serviceloop.service.choices import RequestStatus
from serviceloop.service.steps import REQUEST_STEPS

from . import forms, inputs, services
from .choices import ComplaintStatus, FollowUpChannel
from .models import TRANSITIONS, ServiceComplaint


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
        return services.follow_up_record(actor=actor, service_request=r, channel=channel, **d)
    return run


REQUEST_STEPS.add(
    StepDef("follow_up", gettext_lazy("Follow-up call"), style="success", icon="telephone", page="feedback:follow_up",
            api=False, blocker=follow_up_call_blocker, run=_record(FollowUpChannel.PHONE)),
    StepDef("rate", gettext_lazy("Rate our service"), style="success", icon="star", page="feedback:rate",
            api=False, blocker=rate_blocker, run=_record(FollowUpChannel.PORTAL)),
)


# ---------------------------------------------------------------- service complaints (服务投诉)

COMPLAINT_STEPS = Workflow(ServiceComplaint, url_name=None)  # its one step has its own page


def complaint_handle_blocker(user: Any, complaint: ServiceComplaint) -> Blocked | None:
    if is_customer(user) or not user.has_perm("feedback.change_servicecomplaint"):
        return forbidden(_("Only a service manager handles complaints."))
    allowed, target = TRANSITIONS["handle"]
    if complaint.status not in allowed:
        return not_now(_("A complaint that is “%(status)s” cannot move to “%(target)s”.") % {
            "status": ComplaintStatus(complaint.status).label, "target": ComplaintStatus(target).label})
    return None


COMPLAINT_STEPS.add(
    StepDef("handle", gettext_lazy("Handle"), style="primary", icon="check2-square", page="feedback:complaint_handle",
            form=forms.ComplaintHandleForm, serializer=inputs.ComplaintHandleSerializer,
            blocker=complaint_handle_blocker, api_summary=gettext_lazy("Record how the complaint was handled"),
            run=lambda actor, c, d: services.complaint_handle(actor=actor, complaint=c, note=d["note"],
                                                              expected_version=d.get("version"))),
)
