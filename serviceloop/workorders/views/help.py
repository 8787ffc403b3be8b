"""Web pages of help requests to headquarters (协作申请单, 技术支持确认单): ask, the list, the request
page, the approval with the ranked headquarters engineers, and its declared steps (reject, confirm).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.access import get_for_user, require_model_perm
from serviceloop.core.generic import record_panels
from serviceloop.core.listing import Column, ListSpec
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.steps import StepView

from .. import documents, forms, selectors, services
from ..choices import HelpRequestStatus
from ..filters import HelpRequestFilter, help_search
from ..models import HelpRequest, WorkOrder, WorkOrderAssignment
from ..steps import HELP_STEPS
from .common import StaffListView, _act, _back_url, _merge, _no_customers, _refuse, _source, _wo_queryset

HELP_COLUMNS = [
    Column("number", gettext_lazy("help request number"), lambda h: h.number, sort="number"),
    Column("status", gettext_lazy("status"), lambda h: h.get_status_display(), sort="status"),
    Column("work_order", gettext_lazy("work order"), lambda h: h.work_order.number),
    Column("branch", gettext_lazy("branch"), lambda h: str(h.work_order.branch or "")),
    Column("customer", gettext_lazy("customer"), lambda h: h.work_order.customer.name),
    Column("skill", gettext_lazy("skill needed"), lambda h: " ".join(filter(None, [str(h.skill or ""),
                                                                                 h.skill_note]))),
    Column("requested_by", gettext_lazy("requested by"), lambda h: str(h.requested_by or "")),
    Column("hq_engineer", gettext_lazy("headquarters engineer"), lambda h: str(h.hq_engineer or "")),
    Column("created", gettext_lazy("created at"),
           lambda h: timezone.localtime(h.created_at).strftime("%Y-%m-%d %H:%M"), sort="created_at"),
]


HELP_LIST = ListSpec(columns=HELP_COLUMNS, default_sort="queue", search=help_search,
                     filterset_class=HelpRequestFilter.for_list, extra_sorts={"queue": "pending_first"})


class HelpListView(StaffListView):
    """协作申请单 from the branches: pending first (oldest first), then the decided ones."""

    model = HelpRequest
    spec = HELP_LIST
    title = gettext_lazy("Help requests")
    template_name = "workorders/list.html"
    export_name = "help-requests"
    search_hint = gettext_lazy("Help request or work order number, customer")
    audit_target = "workorders.HelpRequest:list"

    def get_queryset(self) -> QuerySet[HelpRequest]:
        return selectors.help_requests_visible_to(self.request.user).annotate(pending_first=Case(
            When(status=HelpRequestStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()))


# ---------------------------------------------------------------- help requests (协作申请单, 技术支持确认单)

@login_required
def help_create(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    _no_customers(request, f"workorders.WorkOrder:{wo.pk}")
    require_model_perm(request, HelpRequest, "add")
    form = forms.HelpRequestForm(request.POST or None, initial={"skill": wo.required_skill_id})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            created = _act(request, lambda: services.help_request_create(
                actor=request.user, work_order=wo, reason=d["reason"], skill=d["skill"], skill_note=d["skill_note"]))
        except ValidationError as exc:
            _merge(form, exc)
        else:
            messages.success(request, _("Help request %(number)s was sent to headquarters.")
                             % {"number": created.number})
            return redirect("workorders:help_detail", pk=created.pk)
    return render(request, "workorders/step.html", {
        "object": wo, "form": form, "title": _("Ask headquarters for help"), "back_url": _back_url(request, wo),
        "next": _source(request),
    }, status=400 if form.is_bound else 200)


def _help_queryset() -> QuerySet[HelpRequest]:
    return HelpRequest.objects.select_related(
        "work_order", "work_order__customer", "work_order__branch", "work_order__service_request", "requested_by",
        "hq_engineer", "skill", "decided_by", "charged_by", "confirmation", "confirmation__confirmed_by")


@login_required
def help_detail(request: HttpRequest, pk: int) -> HttpResponse:
    h = get_for_user(request, HelpRequest, "view", pk=pk, queryset=_help_queryset())
    user = request.user
    context = {
        "object": h,
        "steps": HELP_STEPS.buttons(user, h),
        "confirmation": getattr(h, "confirmation", None) if h.status == HelpRequestStatus.CONFIRMED else None,
        **record_panels(request, h),
    }
    return render(request, "workorders/help_detail.html", context)


def _hq_ranks(user: Any, wo: WorkOrder) -> list[Any]:
    on_team = set(WorkOrderAssignment.objects.filter(work_order=wo, released_at__isnull=True)
                  .values_list("engineer_id", flat=True))
    return [r for r in selectors.rank_engineers(user, wo) if r.headquarters and r.user.pk not in on_team]


@login_required
def help_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The service manager approves and chooses a headquarters engineer (ranked for the work order)."""
    h = get_for_user(request, HelpRequest, "view", pk=pk, queryset=_help_queryset())
    user = request.user
    blocked = HELP_STEPS.blocked("approve", user, h)
    if blocked is not None and blocked.forbidden:
        raise _refuse(request, f"workorders.HelpRequest:{h.pk}", blocked.reason)
    if blocked is not None:
        messages.error(request, blocked.reason)
        return redirect("workorders:help_detail", pk=h.pk)
    wo = _wo_queryset().get(pk=h.work_order_id)
    ranks = _hq_ranks(user, wo)
    form = forms.HelpApproveForm(request.POST or None, ranks=ranks)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        people = {r.user.pk: r.user for r in ranks}
        data = {"hq_engineer": people.get(d["hq_engineer"]) if d["hq_engineer"] else None, "note": d["note"]}
        try:
            _act(request, lambda: HELP_STEPS.run("approve", user, h, data))
        except ValidationError as exc:
            _merge(form, exc)
        else:
            messages.success(request, _("Help request %(number)s: %(decision)s.") % {
                "number": h.number, "decision": _("approved")})
            return redirect("workorders:help_detail", pk=h.pk)
    return render(request, "workorders/help_decide.html", {
        "object": h, "work_order": wo, "form": form, "ranks": ranks, "title": _("Approve help request"),
        "decision": "approve", "selected": str(form["hq_engineer"].value() or ""),
    }, status=400 if form.is_bound else 200)


class HelpStepView(StepView):
    """A declared step of a help request (reject, confirm the support) on the help request's small form page."""

    workflow = HELP_STEPS
    template_name = "workorders/help_decide.html"

    def get_queryset(self):
        return _help_queryset()

    def extra_context(self, obj: HelpRequest, step: Any) -> dict[str, Any]:
        return {"work_order": obj.work_order, "decision": step.key}


# ---------------------------------------------------------------- print-outs (staff only)

@login_required
def help_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """协作申请单 as PDF."""
    h = get_for_user(request, HelpRequest, "view", pk=pk, queryset=_help_queryset())
    _no_customers(request, f"workorders.HelpRequest:{h.pk}")
    return pdf_bytes_response(documents.help_request_pdf(h), f"{h.number}.pdf")


@login_required
def support_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """技术支持确认单 as PDF (once the branch confirmed the support)."""
    h = get_for_user(request, HelpRequest, "view", pk=pk, queryset=_help_queryset())
    _no_customers(request, f"workorders.HelpRequest:{h.pk}")
    if getattr(h, "confirmation", None) is None:
        raise Http404(_("The support of this help request is not confirmed yet."))
    return pdf_bytes_response(documents.support_confirmation_pdf(h), f"{h.number}-support.pdf")
