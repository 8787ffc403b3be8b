"""The steps of a service request, declared once (core.steps): the request page's buttons and step
forms, the API's ``POST service-requests/<id>/<step>/`` actions and its ``allowed_steps`` come from here.

Other apps add their steps in their ``AppConfig.ready()``: the new work order (workorders), the
follow-up call and the customer's rating (feedback).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.parsers import FormParser, MultiPartParser

from serviceloop.core.parsers import JSONParser
from serviceloop.core.steps import StepDef, Workflow

from . import forms, inputs, rules, services
from .models import ServiceRequest

REQUEST_STEPS = Workflow(ServiceRequest, url_name="service:step")


def _v(d: dict[str, Any]) -> int | None:
    return d.get("version")


def _plan_initial(user: Any, r: ServiceRequest) -> dict[str, Any]:
    latest = r.reviews.order_by("-reviewed_at", "-id").first()
    return {"plan": latest.decided_plan if latest else r.plan}


def _review(actor: Any, r: ServiceRequest, d: dict[str, Any]) -> Any:
    files = d.get("customer_feedback") or []
    if not isinstance(files, list):
        files = [files]
    if files and not actor.has_perm("core.add_attachment"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Your role may not attach files."))
    return services.review_record(
        actor=actor, service_request=r, analysis=d["analysis"], opinion=d["opinion"], decided_plan=d["decided_plan"],
        review_form=d.get("review_form", ""), customer_feedback=files,
        shown_to_customer=bool(d.get("shown_to_customer")), expected_version=_v(d))


def _review_result():
    from .api import ReviewSerializer

    return ReviewSerializer


REQUEST_STEPS.add(
    StepDef(
        "start_review", _("Start review"), style="primary", icon="search", posts_at_once=True,
        form=forms.NoteForm, serializer=inputs.NoteSerializer, blocker=rules.staff_move("start_review"),
        api_summary=_("Start the analysis and review"),
        run=lambda actor, r, d: services.request_start_review(
            actor=actor, service_request=r, note=d.get("note", ""), expected_version=_v(d)),
    ),
    StepDef(
        "review", _("Record review"), style="primary", icon="clipboard-check", page="service:review",
        serializer=inputs.ReviewUploadSerializer, blocker=rules.review_blocker, multipart=True,
        api_request={"multipart/form-data": inputs.ReviewUploadSerializer,
                     "application/json": inputs.ReviewInputSerializer},
        api_parsers=(MultiPartParser, FormParser, JSONParser), api_response=_review_result, api_status=201,
        api_file_field="customer_feedback",
        api_summary=_("Record the written review opinion, with the customer's written feedback attached"),
        run=_review,
    ),
    StepDef(
        "propose_plan", _("Propose plan to customer"), style="primary", icon="send",
        form=forms.PlanForm, serializer=inputs.ProposePlanSerializer, blocker=rules.propose_plan_blocker,
        initial=_plan_initial, api_summary=_("Answer the customer with the decided service plan"),
        run=lambda actor, r, d: services.request_propose_plan(
            actor=actor, service_request=r, plan=d.get("plan", ""), note=d.get("note", ""), expected_version=_v(d)),
    ),
    StepDef(
        "confirm_plan", _("Record phone confirmation"), style="success", icon="telephone-inbound",
        customer_label=_("I agree to this plan"), customer_gate="view",
        form=forms.PhoneConfirmForm, serializer=inputs.ConfirmPlanSerializer, blocker=rules.confirm_plan_blocker,
        api_summary=_("The customer agrees to the plan (portal, or phone as recorded)"),
        run=lambda actor, r, d: services.request_confirm_plan(
            actor=actor, service_request=r, how=d.get("how"), confirmed_by_name=d.get("confirmed_by_name", ""),
            expected_version=_v(d)),
    ),
    StepDef(
        "reject_plan", _("Reject the plan"), style="outline-danger", icon="hand-thumbs-down", customer_gate="view",
        title=_("The plan does not suit the customer"),
        form=forms.RejectPlanForm, serializer=inputs.RejectPlanSerializer, blocker=rules.reject_plan_blocker,
        api_summary=_("The customer rejects the proposed plan with a comment: back to the desk's review"),
        done=lambda d, r: _("The plan was rejected; the service desk reviews the request again."),
        run=lambda actor, r, d: services.request_reject_plan(
            actor=actor, service_request=r, comment=d["comment"], expected_version=_v(d)),
    ),
    StepDef(
        "start_work", _("Start work"), style="primary", icon="play", posts_at_once=True,
        form=forms.NoteForm, serializer=inputs.NoteSerializer, blocker=rules.staff_move("start_work"),
        api_summary=_("Start the work on the confirmed plan"),
        run=lambda actor, r, d: services.request_start_work(
            actor=actor, service_request=r, note=d.get("note", ""), expected_version=_v(d)),
    ),
    StepDef(
        "resolve", _("Resolve"), style="success", icon="check2",
        form=forms.ResolveForm, serializer=inputs.ResolveSerializer, blocker=rules.staff_move("resolve"),
        api_summary=_("Record how the request was resolved"),
        run=lambda actor, r, d: services.request_resolve(
            actor=actor, service_request=r, resolution=d["resolution"], expected_version=_v(d)),
    ),
    StepDef(
        "confirm_resolution", _("Record customer's confirmation"), style="success", icon="patch-check",
        customer_label=_("Confirm it is resolved"), customer_gate="view",
        form=forms.ConfirmResolutionForm, serializer=inputs.ConfirmResolutionSerializer,
        blocker=rules.confirm_resolution_blocker,
        api_summary=_("The customer confirms the resolution (portal, or as recorded by the desk)"),
        run=lambda actor, r, d: services.request_confirm_resolution(
            actor=actor, service_request=r, how=d.get("how"), confirmed_by_name=d.get("confirmed_by_name", ""),
            expected_version=_v(d)),
    ),
    StepDef(
        "link_customer", _("Link the customer record"), style="primary", icon="link-45deg",
        form=forms.LinkCustomerForm, serializer=inputs.LinkCustomerSerializer, blocker=rules.link_customer_blocker,
        form_kwargs=lambda user, r: {"user": user},
        api_summary=_("Attach the customer record (and the unit) to a request logged for an unknown caller"),
        run=lambda actor, r, d: services.request_link_customer(
            actor=actor, service_request=r, customer=d["customer"], unit=d.get("unit"), expected_version=_v(d)),
    ),
    StepDef(
        "hand_over", _("Hand over to the desk"), style="outline-secondary", icon="arrow-left-right",
        form=forms.HandOverForm, serializer=inputs.HandOverSerializer, blocker=rules.hand_over_blocker,
        api_summary=_("Hand over to the service desk (received by another department)"),
        run=lambda actor, r, d: services.request_hand_over(
            actor=actor, service_request=r, from_department=d["from_department"], note=d.get("note", ""),
            expected_version=_v(d)),
    ),
    StepDef(
        "close", _("Close without an answer"), style="outline-secondary", icon="archive",
        form=forms.CloseForm, serializer=inputs.CloseSerializer, blocker=rules.close_blocker,
        api_summary=_("Close a resolved request the customer has not answered about"),
        run=lambda actor, r, d: services.request_close(
            actor=actor, service_request=r, no_answer=d.get("no_answer", True), note=d.get("note", ""),
            expected_version=_v(d)),
    ),
    StepDef(
        "pause", _("Pause clocks"), style="outline-secondary", icon="pause",
        form=forms.PauseForm, serializer=inputs.PauseSerializer, blocker=rules.pause_blocker,
        api_summary=_("Pause the SLA clocks (waiting for the customer or for parts)"),
        run=lambda actor, r, d: services.sla_pause(
            actor=actor, service_request=r, reason=d["reason"], note=d.get("note", ""), expected_version=_v(d)),
    ),
    StepDef(
        "resume", _("Resume clocks"), style="outline-secondary", icon="play", posts_at_once=True,
        form=forms.NoteForm, serializer=inputs.NoteSerializer, blocker=rules.resume_blocker,
        api_summary=_("Resume the SLA clocks"),
        run=lambda actor, r, d: services.sla_resume(
            actor=actor, service_request=r, note=d.get("note", ""), expected_version=_v(d)),
    ),
    StepDef(
        "reopen", _("Reopen"), style="outline-warning", icon="arrow-counterclockwise",
        form=forms.ReasonForm, serializer=inputs.ReasonSerializer, blocker=rules.staff_move("reopen"),
        api_summary=_("Reopen a resolved or closed request (back to in progress)"),
        run=lambda actor, r, d: services.request_reopen(
            actor=actor, service_request=r, reason=d["reason"], expected_version=_v(d)),
    ),
    StepDef(
        "cancel", _("Cancel request"), style="outline-danger", icon="x-circle", danger=True,
        form=forms.ReasonForm, serializer=inputs.ReasonSerializer, blocker=rules.staff_move("cancel"),
        api_summary=_("Cancel a request that needs no service"),
        run=lambda actor, r, d: services.request_cancel(
            actor=actor, service_request=r, reason=d["reason"], expected_version=_v(d)),
    ),
)
