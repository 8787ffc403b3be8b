"""The spare-parts steps, declared once (core.steps): on a work order, "request parts"; on a requisition
(备件申领单) approve / refuse / issue / confirm receipt / fit; on an old part (旧件) receive into quarantine."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.steps import StepDef, Workflow
from serviceloop.workorders.steps import WORK_ORDER_STEPS

from . import forms, inputs, rules, services
from .models import OldPartReturn, Requisition

WORK_ORDER_STEPS.add(
    StepDef("request_parts", gettext_lazy("Request parts"), icon="box-seam", page="parts:requisition_new",
            gate="view", api=False, blocker=rules.request_parts_blocker,
            run=lambda actor, wo, d: services.requisition_create(actor=actor, work_order=wo, purpose=d["purpose"],
                                                                 lines=d["lines"])),
)

REQUISITION_STEPS = Workflow(Requisition, url_name="parts:requisition_step")


def _with_requisition(user: Any, requisition: Requisition) -> dict[str, Any]:
    return {"requisition": requisition}



REQUISITION_STEPS.add(
    StepDef("approve", gettext_lazy("Approve"), style="success", icon="check2", gate="view",
            form=forms.ApproveForm, form_kwargs=_with_requisition, serializer=inputs.ApproveSerializer,
            blocker=rules.approve_blocker, api_summary=gettext_lazy("Approve all or part of each line; reserves stock"),
            run=lambda actor, r, d: services.requisition_approve(
                actor=actor, requisition=r, source=d["source"], decisions=d["decisions"],
                expected_version=d.get("version"))),
    StepDef("refuse", gettext_lazy("Refuse"), style="outline-danger", icon="x-circle", gate="view",
            form=forms.RefuseForm, serializer=inputs.RefuseSerializer, blocker=rules.approve_blocker, danger=True,
            api_summary=gettext_lazy("Refuse the requisition with a reason"),
            run=lambda actor, r, d: services.requisition_refuse(actor=actor, requisition=r, reason=d["reason"],
                                                                expected_version=d.get("version"))),
    StepDef("issue", gettext_lazy("Issue parts"), style="success", icon="box-arrow-right", gate="view",
            form=forms.IssueForm, form_kwargs=_with_requisition, serializer=inputs.IssueSerializer,
            posts_at_once=False, blocker=rules.issue_blocker,
            api_summary=gettext_lazy("Issue the approved parts to the engineer's van"),
            run=lambda actor, r, d: services.requisition_issue(actor=actor, requisition=r, serials=d.get("serials"),
                                                               expected_version=d.get("version"))),
    StepDef("confirm", gettext_lazy("Confirm receipt"), style="success", icon="check2-all", gate="view",
            serializer=inputs.ConfirmSerializer, blocker=rules.confirm_blocker,
            api_summary=gettext_lazy("The engineer confirms the parts arrived"),
            done=lambda d, r: _("Receipt confirmed: the parts are in your van."),
            run=lambda actor, r, d: services.requisition_confirm(actor=actor, requisition=r,
                                                                 expected_version=d.get("version"))),
    StepDef("fit", gettext_lazy("Fit a part"), style="primary", icon="wrench", gate="view",
            form=forms.FitForm, form_kwargs=_with_requisition, serializer=inputs.FitSerializer,
            blocker=rules.fit_blocker, api_summary=gettext_lazy("Fit a part to the unit and record the old part"),
            api_response=None,
            done=lambda d, move: _("Fitted: %(part)s.") % {"part": move.part.number},
            run=lambda actor, r, d: services.requisition_fit(
                actor=actor, requisition=r, line=d["line"], quantity=d.get("quantity") or 1,
                serial=d.get("serial", ""), old_serial=d.get("old_serial", ""), note=d.get("note", ""),
                expected_version=d.get("version"))),
)

OLD_PART_STEPS = Workflow(OldPartReturn, url_name="parts:old_part_step")
OLD_PART_STEPS.add(
    StepDef("receive", gettext_lazy("Receive into quarantine"), style="success", icon="box-arrow-in-down",
            gate="view", form=forms.OldPartReceiveForm, serializer=inputs.OldPartReceiveSerializer,
            initial=lambda user, o: {"serial": o.serial},
            blocker=rules.old_part_receive_blocker, api_summary=gettext_lazy("Receive the old part into quarantine"),
            run=lambda actor, o, d: services.old_part_receive(actor=actor, old_part=o, serial=d.get("serial", ""),
                                                              expected_version=d.get("version"))),
)
