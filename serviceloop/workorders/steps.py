"""The steps of a work order, declared once (core.steps): the buttons of the work order page and of the
engineer's phone view, the step pages, the API's ``POST work-orders/<id>/<step>/`` actions and its
``allowed_steps`` come from here. Also the work order's step on a service request (a new work order).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import Blocked, StepDef, Workflow, forbidden, not_now
from serviceloop.service.steps import REQUEST_STEPS

from . import forms, inputs, rules, services
from .choices import AssignmentRole, WorkOrderStatus
from .models import HelpRequest, ServiceReport, WorkOrder

WORK_ORDER_STEPS = Workflow(WorkOrder, url_name="workorders:step")


def _user(value: Any) -> Any:
    """An engineer given as a user (the web forms) or as an engineer profile (the API)."""
    return getattr(value, "user", value)


def _hours(actor: Any, wo: WorkOrder, d: dict[str, Any]) -> Any:
    engineer = d.get("engineer")
    if isinstance(engineer, int):  # the web form names a team member by user id
        engineer = next((a.engineer for a in services.team(wo) if a.engineer_id == engineer), None)
        if engineer is None:
            raise ValidationError({"engineer": [_("This engineer is not on this work order.")]})
    return services.work_order_log_hours(actor=actor, work_order=wo, day=d["day"], hours=d["hours"],
                                         engineer=_user(engineer) if engineer else None, note=d.get("note", ""))


def _hours_form(user: Any, wo: WorkOrder) -> dict[str, Any]:
    team = list(services.team(wo))
    lead = any(a.engineer_id == user.pk and a.role == AssignmentRole.LEAD for a in team)
    return {"team": team, "may_log_others": lead}


def _record(actor: Any, wo: WorkOrder, d: dict[str, Any]) -> Any:
    return services.work_order_record(
        actor=actor, work_order=wo, note=d.get("note", ""), test_item=d.get("test_item", ""),
        test_result=d.get("test_result", ""), test_passed=d.get("test_passed"), hours=d.get("hours"),
        parts_used=d.get("parts_used"), photo=d.get("photo"), finish=bool(d.get("finish")),
        result=d.get("result") or "", expected_version=d.get("version"))


def _record_done(d: dict[str, Any], done: dict[str, Any]) -> str:
    if done.get("completed"):
        return _("The work is recorded and the result saved: the customer signs the service report now.")
    return _("The work is recorded.")


def _position_done(label: str):
    def done(d: dict[str, Any], result: Any) -> str:
        if not (d.get("latitude") and d.get("longitude")):
            return _("%(step)s: done, without a position (the browser did not give one).") % {"step": label}
        return _("%(step)s: done, with the position %(lat)s, %(lng)s.") % {
            "step": label, "lat": d["latitude"], "lng": d["longitude"]}
    return done


def _visit(call: Any):
    def run(actor: Any, wo: WorkOrder, d: dict[str, Any]) -> Any:
        return call(actor=actor, work_order=wo, latitude=d.get("latitude"), longitude=d.get("longitude"),
                    note=d.get("note", ""), at=d.get("at"))
    return run


def _assign(actor: Any, wo: WorkOrder, d: dict[str, Any]) -> Any:
    extra = {k: d[k] for k in ("planned_date", "work_instruction") if k in d}
    return services.work_order_assign(actor=actor, work_order=wo, lead=_user(d["lead"]),
                                      helpers=[_user(h) for h in d.get("helpers", [])], note=d.get("note", ""),
                                      expected_version=d.get("version"), **extra)


def _edit(actor: Any, wo: WorkOrder, d: dict[str, Any]) -> Any:
    fields = {k: d[k] for k in ("description", "work_instruction", "planned_date", "required_skill", "chargeable")
              if k in d}
    return services.work_order_update(actor=actor, work_order=wo, expected_version=d.get("version"), **fields)


def _edit_initial(user: Any, wo: WorkOrder) -> dict[str, Any]:
    return {"description": wo.description, "work_instruction": wo.work_instruction,
            "required_skill": wo.required_skill_id, "planned_date": wo.planned_date, "chargeable": wo.chargeable}


def _result(actor: Any, wo: WorkOrder, d: dict[str, Any]) -> Any:
    return services.work_order_record_result(
        actor=actor, work_order=wo, result=d["result"], work_done=d["work_done"],
        escalation_plan=d.get("escalation_plan", ""), parts_used=d.get("parts_used"))


def _results():
    from .api import serializers

    return serializers


def _later(name: str):
    """A read serializer of api/serializers.py (it imports the steps), for the step's answer."""
    return lambda: getattr(_results(), name)


def _attachment_serializer():
    from serviceloop.core.api import AttachmentSerializer

    return AttachmentSerializer


def _step(*args: Any, **kwargs: Any) -> StepDef:
    """A work order step: the gate lets everyone who sees the work order through; the blocker and the
    service decide by role and assignment (engineers, dispatcher, manager, desk, technical dept)."""
    kwargs.setdefault("gate", "view")
    return StepDef(*args, **kwargs)


WORK_ORDER_STEPS.add(
    _step("assign", gettext_lazy("Assign engineers"), style="primary", icon="people", page="workorders:assign",
            serializer=inputs.WorkOrderAssignSerializer, blocker=rules.assign_blocker, run=_assign,
            api_summary=gettext_lazy("Assign the lead engineer and helpers (dispatcher)")),
    _step("approve", gettext_lazy("Approve dispatch"), style="success", icon="check2-circle",
            form=forms.NoteForm, serializer=inputs.WorkOrderNoteSerializer, blocker=rules.approve_blocker,
            api_summary=gettext_lazy("Approve the dispatch (service manager)"),
            run=lambda actor, wo, d: services.work_order_approve(actor=actor, work_order=wo, note=d.get("note", ""))),
    _step("reject", gettext_lazy("Return to dispatcher"), style="outline-warning", icon="arrow-return-left",
            form=forms.ReasonForm, serializer=inputs.WorkOrderReasonSerializer, blocker=rules.reject_blocker,
            api_summary=gettext_lazy("Return the dispatch to the dispatcher (service manager)"),
            run=lambda actor, wo, d: services.work_order_reject(actor=actor, work_order=wo, reason=d["reason"])),
    _step("accept", gettext_lazy("Accept job"), style="success", icon="hand-thumbs-up", posts_at_once=True,
            form=forms.EmptyForm, blocker=rules.accept_blocker,
            api_summary=gettext_lazy("Accept the job (assigned engineer)"),
            run=lambda actor, wo, d: services.work_order_accept(actor=actor, work_order=wo)),
    _step("contacted", gettext_lazy("Customer contacted"), style="primary", icon="telephone", posts_at_once=True,
            form=forms.NoteForm, serializer=inputs.WorkOrderContactedSerializer, blocker=rules.contacted_blocker,
            api_summary=gettext_lazy("The customer was contacted (meets the contact target)"),
            run=lambda actor, wo, d: services.work_order_contacted(actor=actor, work_order=wo, note=d.get("note", ""),
                                                                   at=d.get("at"))),
    _step("check_in", gettext_lazy("Check in on site"), style="primary", icon="geo-alt", posts_at_once=True,
            geolocate=True, form=forms.PositionForm, serializer=inputs.VisitPositionSerializer,
            blocker=rules.check_in_blocker, api_path="check-in", api_response=_later("VisitSerializer"),
            api_status=201, api_summary=gettext_lazy("Check in on site (meets the arrival target)"),
            run=_visit(services.work_order_check_in), done=_position_done(gettext_lazy("Check in on site"))),
    _step("check_out", gettext_lazy("Check out"), style="outline-primary", icon="box-arrow-right",
            posts_at_once=True, geolocate=True, form=forms.PositionForm, serializer=inputs.VisitPositionSerializer,
            blocker=rules.check_out_blocker, api_path="check-out", api_response=_later("VisitSerializer"),
            api_summary=gettext_lazy("Check out"),
            run=_visit(services.work_order_check_out), done=_position_done(gettext_lazy("Check out"))),
    _step("record", gettext_lazy("Record the work"), style="primary", icon="pencil-square", form=forms.RecordForm,
            multipart=True, initial=lambda user, wo: {"parts_used": wo.parts_used},
            serializer=inputs.WorkOrderRecordSerializer, blocker=rules.on_team_in(WorkOrderStatus.ON_SITE),
            api_request={"multipart/form-data": inputs.WorkOrderRecordSerializer,
                         "application/json": inputs.WorkOrderRecordSerializer},
            api_parsers=(JSONParser, MultiPartParser, FormParser), api_file_field="photo",
            api_summary=gettext_lazy("One record on site: progress, a test, hours, parts, a photo; with finish "
                                     "also the result (the service report is then prepared for signing)"),
            run=_record, done=_record_done),
    _step("progress", gettext_lazy("Progress note"), icon="journal-text", form=forms.ProgressForm,
            serializer=inputs.ProgressNoteInputSerializer, blocker=rules.on_team_in(*rules.PROGRESS_STATUSES),
            api_response=_later("ProgressNoteSerializer"), api_status=201,
            api_summary=gettext_lazy("Daily progress report"),
            run=lambda actor, wo, d: services.work_order_add_progress(actor=actor, work_order=wo, note=d["note"],
                                                                      day=d.get("day"))),
    _step("test", gettext_lazy("Test done"), icon="clipboard-check", form=forms.TestForm,
            serializer=inputs.TestRecordInputSerializer, blocker=rules.on_team_in(*rules.ONSITE_STATUSES),
            api_path="tests", api_response=_later("TestRecordSerializer"), api_status=201,
            api_summary=gettext_lazy("A test done per the work instruction"),
            run=lambda actor, wo, d: services.work_order_add_test(actor=actor, work_order=wo, item=d["item"],
                                                                  result=d.get("result", ""), passed=d["passed"])),
    _step("hours", gettext_lazy("Labour hours"), icon="clock", form=forms.HoursForm, form_kwargs=_hours_form,
            serializer=inputs.LabourInputSerializer, blocker=rules.on_team_in(*rules.PROGRESS_STATUSES),
            api_response=_later("LabourEntrySerializer"),
            api_summary=gettext_lazy("Labour hours of one engineer on one day"), run=_hours),
    _step("parts", gettext_lazy("Parts used"), icon="gear", form=forms.PartsForm,
            initial=lambda user, wo: {"parts_used": wo.parts_used},
            serializer=inputs.WorkOrderPartsSerializer, blocker=rules.on_team_in(*rules.ONSITE_STATUSES),
            api_summary=gettext_lazy("Parts used (free text)"),
            run=lambda actor, wo, d: services.work_order_record_parts(actor=actor, work_order=wo,
                                                                      parts_used=d["parts_used"])),
    _step("photo", gettext_lazy("Add photo"), icon="camera", form=forms.PhotoForm, multipart=True,
            serializer=inputs.PhotoUploadSerializer, blocker=rules.on_team_in(*rules.PHOTO_STATUSES),
            api_path="photos", api_request={"multipart/form-data": inputs.PhotoUploadSerializer},
            api_parsers=(MultiPartParser, FormParser), api_response=_attachment_serializer, api_status=201,
            api_summary=gettext_lazy("A photo taken on site"),
            run=lambda actor, wo, d: services.work_order_add_photo(actor=actor, work_order=wo, upload=d["file"],
                                                                   description=d.get("description", ""))),
    _step("result", gettext_lazy("Record result"), style="success", icon="flag", form=forms.ResultForm,
            initial=lambda user, wo: {"parts_used": wo.parts_used, "work_done": wo.work_done},
            serializer=inputs.WorkOrderResultSerializer, blocker=rules.result_blocker,
            api_summary=gettext_lazy("Record the result (completes the work order)"), run=_result),
    _step("report", gettext_lazy("Service report"), style="primary", icon="file-earmark-check",
            page="workorders:report", api=False, blocker=rules.report_blocker,
            run=lambda actor, wo, d: services.service_report_prepare(actor=actor, work_order=wo, **d)),
    _step("decline", gettext_lazy("Decline job"), style="outline-danger", icon="hand-thumbs-down",
            form=forms.ReasonForm, serializer=inputs.WorkOrderReasonSerializer, blocker=rules.decline_blocker,
            api_summary=gettext_lazy("Decline the job with a reason (assigned engineer)"),
            run=lambda actor, wo, d: services.work_order_decline(actor=actor, work_order=wo, reason=d["reason"])),
    _step("work_report", gettext_lazy("Service work report"), icon="file-earmark-text", page="workorders:work_report",
            api=False, blocker=rules.work_report_blocker,
            run=lambda actor, wo, d: services.work_report_save(actor=actor, work_order=wo, **d)),
    _step("help", gettext_lazy("Ask headquarters for help"), style="outline-secondary", icon="life-preserver",
            page="workorders:help_create", api=False, blocker=rules.help_blocker,
            run=lambda actor, wo, d: services.help_request_create(actor=actor, work_order=wo, **d)),
    _step("escalation_plan", gettext_lazy("Record escalation plan"), icon="diagram-3",
            form=forms.EscalationPlanForm, initial=lambda user, wo: {"plan": wo.escalation_plan},
            serializer=inputs.EscalationPlanSerializer, blocker=rules.escalation_plan_blocker,
            api_summary=gettext_lazy("The technical or process department's plan for an escalation"),
            run=lambda actor, wo, d: services.work_order_record_escalation_plan(actor=actor, work_order=wo,
                                                                                plan=d["plan"])),
    _step("close", gettext_lazy("Close work order"), style="success", icon="check2-all", form=forms.NoteForm,
            serializer=inputs.WorkOrderNoteSerializer, blocker=rules.close_blocker,
            api_summary=gettext_lazy("Close a completed work order"),
            run=lambda actor, wo, d: services.work_order_close(actor=actor, work_order=wo, note=d.get("note", ""))),
    _step("edit", gettext_lazy("Edit planning"), style="outline-secondary", icon="pencil", form=forms.PlanForm,
            initial=_edit_initial, api=False, blocker=rules.edit_blocker, run=_edit),
    _step("link_sales_order", gettext_lazy("Billing sales order"), style="outline-secondary", icon="receipt",
            form=forms.SalesOrderForm, form_kwargs=lambda user, wo: {"user": user, "work_order": wo},
            initial=lambda user, wo: {"sales_order": wo.billing_sales_order_id},
            serializer=inputs.LinkSalesOrderSerializer, blocker=rules.link_sales_order_blocker,
            api_summary=gettext_lazy("Link the sales order that bills the fees"),
            run=lambda actor, wo, d: services.work_order_link_sales_order(actor=actor, work_order=wo,
                                                                          sales_order=d["sales_order"])),
    _step("create_sales_order", gettext_lazy("Create the fee sales order"), style="outline-primary",
            icon="receipt-cutoff", form=forms.NoteForm, serializer=inputs.WorkOrderNoteVersionSerializer,
            title=gettext_lazy("Create the sales order that bills the fees"), blocker=rules.create_sales_order_blocker,
            api_summary=gettext_lazy("Create the sales order (SO) that bills the fees and link it"),
            run=lambda actor, wo, d: services.work_order_create_sales_order(
                actor=actor, work_order=wo, note=d.get("note", ""), expected_version=d.get("version")),
            done=lambda d, so: _("Sales order %(number)s bills the fees.") % {"number": so.number}),
    _step("cancel", gettext_lazy("Cancel work order"), style="outline-danger", icon="x-circle", danger=True,
            form=forms.CancelForm, serializer=inputs.WorkOrderReasonSerializer, blocker=rules.cancel_blocker,
            api_summary=gettext_lazy("Cancel the work order"),
            run=lambda actor, wo, d: services.work_order_cancel(actor=actor, work_order=wo, reason=d["reason"])),
)


# ---------------------------------------------------------------- help requests (协作申请单, 技术支持确认单)

HELP_STEPS = Workflow(HelpRequest, url_name="workorders:help_step")


def _help_approve(actor: Any, h: HelpRequest, d: dict[str, Any]) -> Any:
    return services.help_request_approve(actor=actor, help_request=h, hq_engineer=_user(d.get("hq_engineer")),
                                         note=d.get("note", ""))


HELP_STEPS.add(
    StepDef("approve", gettext_lazy("Approve and send an engineer"), style="success", icon="check2-circle",
            page="workorders:help_approve", gate="view", serializer=inputs.HelpApproveSerializer,
            blocker=rules.help_approve_blocker, run=_help_approve,
            api_summary=gettext_lazy("Approve and send a headquarters engineer (service manager)")),
    StepDef("reject", gettext_lazy("Reject"), style="outline-danger", form=forms.ReasonForm, gate="view",
            title=gettext_lazy("Reject help request"), serializer=inputs.WorkOrderReasonSerializer,
            blocker=rules.help_reject_blocker, api_summary=gettext_lazy("Reject with a reason (service manager)"),
            run=lambda actor, h, d: services.help_request_reject(actor=actor, help_request=h, reason=d["reason"]),
            done=lambda d, h: _("Help request %(number)s: %(decision)s.") % {"number": h.number,
                                                                              "decision": _("rejected")}),
    StepDef("confirm", gettext_lazy("Confirm the support"), style="primary", icon="clipboard-check", gate="view",
            form=forms.SupportConfirmForm, title=gettext_lazy("Confirm the support given"),
            serializer=inputs.SupportConfirmSerializer, blocker=rules.help_confirm_blocker,
            api_summary=gettext_lazy("Confirm the support given (技术支持确认单)"),
            run=lambda actor, h, d: services.help_request_confirm(
                actor=actor, help_request=h, support_given=d["support_given"], rating=d["rating"],
                note=d.get("note", "")),
            done=lambda d, c: _("The support of help request %(number)s is confirmed.") % {
                "number": c.help_request.number}),
    StepDef("charge", gettext_lazy("Internal charge"), style="outline-primary", icon="cash-coin", gate="view",
            form=forms.HelpChargeForm, title=gettext_lazy("Internal charge between branch and headquarters"),
            initial=lambda user, h: {"amount": h.charge_amount, "basis": h.charge_basis,
                                     "payer": h.charge_payer or "branch_pays_hq"},
            serializer=inputs.HelpChargeSerializer, blocker=rules.help_charge_blocker,
            api_summary=gettext_lazy("Record the internal charge between the branch and headquarters"),
            run=lambda actor, h, d: services.help_request_charge(
                actor=actor, help_request=h, amount=d.get("amount"), basis=d.get("basis", ""),
                payer=d.get("payer", ""), expected_version=d.get("version")),
            done=lambda d, h: _("The internal charge of help request %(number)s is recorded.") % {
                "number": h.number}),
)


# ---------------------------------------------------------------- service reports (售后服务记录单)

REPORT_STEPS = Workflow(ServiceReport, url_name=None)  # both steps have their own page (on the work order)


def _on_work_order(report: ServiceReport) -> list[Any]:
    return [report.work_order_id]


def _report_edit(actor: Any, report: ServiceReport, d: dict[str, Any]) -> Any:
    fields = {k: d[k] for k in ("fault_description", "work_done", "parts_used") if k in d}
    return services.service_report_update(actor=actor, report=report, expected_version=d.get("version"), **fields)


def _report_sign(actor: Any, report: ServiceReport, d: dict[str, Any]) -> Any:
    return services.service_report_sign(actor=actor, report=report, signature_data_url=d["signature"],
                                        signer_name=d["signer_name"], satisfied=d["satisfied"],
                                        unsatisfied_reason=d.get("unsatisfied_reason", ""))


REPORT_STEPS.add(
    StepDef("edit", gettext_lazy("Save the report"), icon="save", page="workorders:report", page_args=_on_work_order,
            gate="view", api=False, serializer=inputs.ReportEditSerializer, blocker=rules.report_edit_blocker,
            run=_report_edit),  # the API's PATCH of the report runs it
    StepDef("sign", gettext_lazy("Customer signs"), style="success", icon="pen", page="workorders:report_sign",
            page_args=_on_work_order, gate="view", serializer=inputs.ServiceReportSignSerializer,
            blocker=rules.report_sign_blocker, run=_report_sign,
            api_summary=gettext_lazy("The customer signs (PNG data URL from the signature pad)")),
)


# ---------------------------------------------------------------- on a service request: a new work order

def new_work_order_blocker(user: Any, r: Any) -> Blocked | None:
    if is_customer(user) or not user.has_perm(rules.PERM_ADD):
        return forbidden(_("Your role does not allow this."))
    if r.plan != "onsite" or r.status not in ("plan_confirmed", "in_progress"):
        return not_now(_("A work order serves an on-site plan the customer has confirmed."))
    return None


def _create(actor: Any, r: Any, d: dict[str, Any]) -> Any:
    return services.work_order_create(actor=actor, service_request=r, **d)


REQUEST_STEPS.add(
    StepDef("work_order", gettext_lazy("New work order"), style="primary", icon="tools", page="workorders:create",
            api=False, blocker=new_work_order_blocker, run=_create),
)
