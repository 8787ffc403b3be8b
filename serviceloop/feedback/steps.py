"""The feedback app's steps (core.steps). On a service request: the desk's follow-up call, the customer's
rating and registering a service complaint about it, buttons on the request page that open their own pages
(the API records follow-ups with ``POST /api/v1/follow-ups/`` and complaints with
``POST /api/v1/service-complaints/``). On a service complaint (seed 003 §5.5): send to the departments, a
department's analysis, escalation to the GM office, the handling measures, the revisit, close."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.steps import StepDef, Workflow
from serviceloop.service.steps import REQUEST_STEPS

from . import forms, inputs, rules, services
from .choices import FollowUpChannel
from .models import ServiceComplaint


def _record(channel: str):
    def run(actor: Any, r: Any, d: dict[str, Any]) -> Any:
        return services.follow_up_record(actor=actor, service_request=r, channel=channel, **d)
    return run


def _register_on_request(actor: Any, r: Any, d: dict[str, Any]) -> Any:
    return services.complaint_register(actor=actor, service_request=r, **d)


REQUEST_STEPS.add(
    StepDef("follow_up", gettext_lazy("Follow-up call"), style="success", icon="telephone", page="feedback:follow_up",
            api=False, blocker=rules.follow_up_call_blocker, run=_record(FollowUpChannel.PHONE)),
    StepDef("rate", gettext_lazy("Rate our service"), style="success", icon="star", page="feedback:rate",
            api=False, blocker=rules.rate_blocker, run=_record(FollowUpChannel.PORTAL)),
    StepDef("complaint", gettext_lazy("Register a service complaint"), style="outline-danger", icon="megaphone",
            page="feedback:complaint_on_request", gate="view", api=False, blocker=rules.complaint_on_request_blocker,
            run=_register_on_request),
)


# ---------------------------------------------------------------- service complaints (服务投诉)

COMPLAINT_STEPS = Workflow(ServiceComplaint, url_name="feedback:complaint_step")


def _step(*args: Any, **kwargs: Any) -> StepDef:
    """A complaint step: the gate lets everyone who sees the complaint through; the blocker decides by role,
    department and state (coordinators, the departments it was sent to, the customer at the revisit)."""
    kwargs.setdefault("gate", "view")
    return StepDef(*args, **kwargs)


def _sent(d: dict[str, Any], complaint: ServiceComplaint) -> str:
    return _("Complaint %(number)s sent to the departments; their analysis is due %(due)s.") % {
        "number": complaint.number, "due": services._local(complaint.due_at)}


def _revisited(d: dict[str, Any], revisit: Any) -> str:
    if revisit.satisfied:
        return _("Revisit recorded: the customer is satisfied.")
    return _("Revisit recorded: the customer is not satisfied, the complaint is back in handling.")


COMPLAINT_STEPS.add(
    _step("send", gettext_lazy("Send to departments"), style="primary", icon="send", form=forms.ComplaintSendForm,
          serializer=inputs.ComplaintSendSerializer, blocker=rules.send_blocker, done=_sent,
          api_summary=gettext_lazy("Send the complaint to the departments responsible (analysis due in 24 hours)"),
          run=lambda actor, c, d: services.complaint_send(
              actor=actor, complaint=c, departments=d["departments"], note=d.get("note", ""),
              expected_version=d.get("version"))),
    _step("analyse", gettext_lazy("Department analysis"), style="primary", icon="search",
          form=forms.ComplaintAnalyseForm, serializer=inputs.ComplaintAnalyseSerializer, blocker=rules.analyse_blocker,
          api_summary=gettext_lazy("Your department's analysis: the cause and the improvement"),
          run=lambda actor, c, d: services.complaint_analyse(
              actor=actor, complaint=c, cause=d["cause"], improvement=d["improvement"],
              expected_version=d.get("version"))),
    _step("escalate", gettext_lazy("Escalate to the GM office"), style="outline-danger", icon="exclamation-octagon",
          form=forms.ComplaintEscalateForm, serializer=inputs.ComplaintEscalateSerializer,
          blocker=rules.escalate_blocker,
          api_summary=gettext_lazy("Mark the complaint major: the general manager's office is told at once"),
          run=lambda actor, c, d: services.complaint_escalate(
              actor=actor, complaint=c, reason=d["reason"], expected_version=d.get("version"))),
    _step("handle", gettext_lazy("Record handling measures"), style="primary", icon="check2-square",
          form=forms.ComplaintHandleForm, serializer=inputs.ComplaintHandleSerializer, blocker=rules.handle_blocker,
          api_summary=gettext_lazy("Record the handling measures (the revisit is due next)"),
          run=lambda actor, c, d: services.complaint_handle(actor=actor, complaint=c, note=d["note"],
                                                            expected_version=d.get("version"))),
    _step("revisit", gettext_lazy("Revisit the customer"), style="success", icon="telephone-outbound",
          form=forms.ComplaintRevisitForm, serializer=inputs.ComplaintRevisitSerializer,
          blocker=rules.revisit_blocker, done=_revisited, api_response=lambda: _api().ComplaintRevisitSerializer,
          api_status=201, form_kwargs=lambda user, c: {"user": user},
          api_summary=gettext_lazy("The customer's answer to the measures (not satisfied: back to handling)"),
          run=lambda actor, c, d: services.complaint_revisit(
              actor=actor, complaint=c, satisfied=d["satisfied"], person=d.get("person", ""),
              comments=d.get("comments", ""), channel=d.get("channel") or None, expected_version=d.get("version"))),
    _step("close", gettext_lazy("Close complaint"), style="success", icon="check2-all", form=forms.ComplaintCloseForm,
          serializer=inputs.ComplaintCloseSerializer, blocker=rules.close_blocker,
          api_summary=gettext_lazy("Close a complaint the customer is satisfied with"),
          run=lambda actor, c, d: services.complaint_close(actor=actor, complaint=c, note=d.get("note", ""),
                                                           expected_version=d.get("version"))),
)


def _api():
    from . import api

    return api
