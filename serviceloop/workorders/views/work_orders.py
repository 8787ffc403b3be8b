"""Web pages of the work order itself (派工单): the dispatch board, the list, the engineer's jobs today,
creation from a request, the work order page, the engineer's phone view of one job, the declared step
pages, the ranked assignment and the PDF.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core import registry
from serviceloop.core.access import get_for_user, require_model_perm
from serviceloop.core.generic import record_panels
from serviceloop.core.listing import Column, ListSpec
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import StepView, step_form
from serviceloop.service.models import ServiceRequest

from .. import documents, forms, rules, selectors, services
from ..choices import AssignmentRole, HelpRequestStatus
from ..filters import WorkOrderFilter, work_order_search
from ..models import WorkOrder, WorkOrderAssignment, WorkReport
from ..steps import WORK_ORDER_STEPS
from .common import (
    MAJOR,
    PERM_APPROVE,
    PERM_CLOSE,
    PERM_DISPATCH,
    S,
    StaffListView,
    _act,
    _back_url,
    _detail_url,
    _merge,
    _no_customers,
    _refuse,
    _require_staff_list,
    _search_text,
    _source,
    _wo_queryset,
)

# verbs of the timeline a customer does not need to see (internal dispatch and headquarters matters)
INTERNAL_VERBS = {"reject", "decline", "helper_declined", "help_requested", "help_approved", "help_rejected",
                  "support_confirmed", "escalation_plan", "fee_added", "fee_changed", "fee_removed"}


# ---------------------------------------------------------------- lists

def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


WO_COLUMNS = [
    Column("number", gettext_lazy("work order number"), lambda w: w.number, sort="number"),
    Column("status", gettext_lazy("status"), lambda w: w.get_status_display(), sort="status"),
    Column("customer", gettext_lazy("customer"), lambda w: w.customer.name, sort="customer__name"),
    Column("unit", gettext_lazy("unit"), lambda w: w.unit.serial_number if w.unit_id else ""),
    Column("city", gettext_lazy("city"), lambda w: w.site.city if w.site_id else ""),
    Column("skill", gettext_lazy("required skill"), lambda w: str(w.required_skill or "")),
    Column("planned", gettext_lazy("planned date"), lambda w: _date(w.planned_date), sort=F("planned_date")),
    Column("request", gettext_lazy("request number"), lambda w: w.service_request.number),
    Column("created", gettext_lazy("created at"),
           lambda w: timezone.localtime(w.created_at).strftime("%Y-%m-%d %H:%M"), sort="created_at"),
]


BOARD_LIST = ListSpec(columns=WO_COLUMNS, default_sort="queue", search=work_order_search,
                      extra_sorts={"queue": "declined_first"}, page_size=25)
ALL_LIST = ListSpec(columns=WO_COLUMNS, default_sort="-created", search=work_order_search,
                    filterset_class=WorkOrderFilter.for_list)


def _with_team(queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    team = WorkOrderAssignment.objects.filter(released_at__isnull=True).select_related("engineer").annotate(
        lead_first=Case(When(role=AssignmentRole.LEAD, then=Value(0)), default=Value(1),
                        output_field=IntegerField())).order_by("lead_first", "assigned_at", "id")
    return queryset.prefetch_related(Prefetch("assignments", queryset=team, to_attr="active_team"))


class BoardView(StaffListView):
    """调度台 (dispatch board): work orders waiting for engineers (declined first, then oldest), and the
    dispatches waiting for the service manager's approval."""

    model = WorkOrder
    spec = BOARD_LIST
    title = gettext_lazy("Dispatch board")
    template_name = "workorders/board.html"
    export_name = "dispatch-board"
    search_hint = gettext_lazy("Work order, request or serial number, customer")
    audit_target = "workorders.WorkOrder:board"

    def get_queryset(self) -> QuerySet[WorkOrder]:
        return selectors.unassigned_work_orders(self.request.user)

    def extra_context(self) -> dict[str, Any]:
        user = self.request.user
        awaiting = _with_team(selectors.work_orders_awaiting_approval(user).select_related("dispatched_by"))
        text = _search_text(self.request)
        if text:
            awaiting = work_order_search(awaiting, text)
        awaiting_rows = list(awaiting[:21])
        waiting = selectors.requests_waiting_for_work_order(user)
        if text:
            from serviceloop.service.selectors import request_search

            waiting = request_search(waiting, text)
        waiting_rows = list(waiting[:21])
        from serviceloop.service.steps import REQUEST_STEPS

        for r in waiting_rows:  # the link to create the work order where the step is open to this user
            r.can_create_wo = REQUEST_STEPS.blocked("work_order", user, r) is None
        return {
            "waiting_requests": waiting_rows[:20],
            "waiting_more": len(waiting_rows) > 20,
            "awaiting": awaiting_rows[:20],
            "awaiting_more": len(awaiting_rows) > 20,
            "can_dispatch": user.has_perm(PERM_DISPATCH),
            "action_url_name": "workorders:assign" if user.has_perm(PERM_DISPATCH) else None,
            "action_label": _("Assign"),
            "can_approve": user.has_perm(PERM_APPROVE),
        }


class WorkOrderListView(StaffListView):
    """Every work order the user may see, with search, status filter and Excel export."""

    model = WorkOrder
    spec = ALL_LIST
    title = gettext_lazy("Work orders")
    template_name = "workorders/list.html"
    export_name = "work-orders"
    search_hint = gettext_lazy("Work order, request or serial number, customer")
    audit_target = "workorders.WorkOrder:list"

    def get_queryset(self) -> QuerySet[WorkOrder]:
        return selectors.work_orders_visible_to(self.request.user)


@login_required
def my_jobs(request: HttpRequest) -> HttpResponse:
    """The engineer's home on the phone: my jobs (on site and today's first), big buttons."""
    _require_staff_list(request, WorkOrder, "workorders.WorkOrder:my_jobs")
    user = request.user
    mine = WorkOrderAssignment.objects.filter(engineer=user, released_at__isnull=True)
    jobs = list(selectors.my_jobs_today(user).prefetch_related(
        Prefetch("assignments", queryset=mine, to_attr="my_assignment"))[:100])
    sections: dict[str, list[WorkOrder]] = {"to_accept": [], "to_do": [], "finished": []}
    for job in jobs:
        job.mine = job.my_assignment[0] if job.my_assignment else None
        sections[my_job_section(job)].append(job)
    groups = [(key, MY_JOB_SECTIONS[key], sections[key]) for key in ("to_accept", "to_do", "finished")]
    return render(request, "workorders/my_jobs.html", {"jobs": jobs, "groups": groups, "today": timezone.localdate()})


MY_JOB_SECTIONS = {
    "to_accept": gettext_lazy("To accept"),
    "to_do": gettext_lazy("To do"),
    "finished": gettext_lazy("Finished"),
}


def my_job_section(job: WorkOrder) -> str:
    """Where a job of mine goes on my jobs: waiting for my acceptance, to do (accepted, on site), or finished
    (the work is done: the result is recorded)."""
    if job.status == S.COMPLETED:
        return "finished"
    if job.mine is not None and job.mine.accepted_at is None:
        return "to_accept"
    return "to_do"


# ---------------------------------------------------------------- creation

@login_required
def work_order_create(request: HttpRequest, request_pk: int) -> HttpResponse:
    """A work order for a request whose on-site plan the customer confirmed (or another visit)."""
    service_request = get_for_user(request, ServiceRequest, "view", pk=request_pk,
                                   queryset=ServiceRequest.objects.select_related("customer", "unit", "site"))
    require_model_perm(request, WorkOrder, "add")
    _no_customers(request, f"service.ServiceRequest:{request_pk}")
    form = forms.WorkOrderCreateForm(request.POST or None, initial={"description": service_request.title})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            wo = _act(request, lambda: services.work_order_create(
                actor=request.user, service_request=service_request, description=data["description"],
                work_instruction=data["work_instruction"], planned_date=data["planned_date"],
                required_skill=data["required_skill"]))
        except ValidationError as exc:
            _merge(form, exc)
        else:
            messages.success(request, _("Work order %(number)s was created.") % {"number": wo.number})
            return redirect(_detail_url(wo))
    return render(request, "workorders/create.html", {"form": form, "service_request": service_request,
                                                      "title": _("New work order")},
                  status=400 if form.is_bound else 200)


# ---------------------------------------------------------------- the work order page and its steps

def work_order_context(request: HttpRequest, wo: WorkOrder) -> dict[str, Any]:
    """What the work order page and the engineer's phone view show."""
    user = request.user
    customer_view = is_customer(user)
    team = list(selectors.team_of(user, wo))
    mine = next((a for a in team if a.engineer_id == user.pk), None)
    visits = list(selectors.visits_of(user, wo).order_by("check_in_at", "id"))
    my_open_visit = next((v for v in visits if v.engineer_id == user.pk and v.check_out_at is None), None)
    labour = list(selectors.labour_of(user, wo).order_by("day", "id"))
    help_requests = [] if customer_view else list(selectors.help_requests_of(user, wo))
    pending_help = any(h.status == HelpRequestStatus.PENDING for h in help_requests)
    work_report = selectors.work_report_of(user, wo)
    fee_lines = list(selectors.fee_lines_of(user, wo)) if wo.chargeable and not customer_view else []
    can_close = user.has_perm(PERM_CLOSE) and not customer_view
    # what the steps' blockers need, as read for the page (customers see no help requests: ask the database)
    rules.prime(user, wo, rules.Facts(
        mine=mine, my_open_visit=my_open_visit is not None,
        pending_help=pending_help if not customer_view else False,
        has_work_report=work_report is not None or (
            customer_view and WorkReport.objects.filter(work_order=wo).exists())))
    return {
        "object": wo,
        "customer_view": customer_view,
        "team": team,
        "mine": mine,
        "visits": visits,
        "my_open_visit": my_open_visit,
        "notes": list(selectors.progress_notes_of(user, wo).order_by("day", "created_at", "id")),
        "tests": list(selectors.tests_of(user, wo).order_by("recorded_at", "id")),
        "labour": labour,
        "labour_total": sum((entry.hours for entry in labour), start=Decimal("0")),
        "report": selectors.service_report_of(user, wo),
        "work_report": work_report,
        "fee_lines": fee_lines,
        "fee_total": sum((line.amount for line in fee_lines), start=Decimal("0")),
        "can_write_fees": rules.may_write_fees(user, wo),
        "help_requests": help_requests,
        "close_blockers": services.close_blockers(wo) if can_close and wo.status == S.COMPLETED else [],
        "steps": WORK_ORDER_STEPS.buttons(user, wo),
        "major": wo.service_request.severity == MAJOR,
    }


def _panels(request: HttpRequest, wo: WorkOrder, customer_view: bool) -> dict[str, Any]:
    panels = record_panels(request, wo)
    if customer_view:
        panels["events"] = [e for e in panels["events"] if e.verb not in INTERNAL_VERBS]
        panels["history"] = []
    return panels


@login_required
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    context = work_order_context(request, wo)
    context.update(_panels(request, wo, context["customer_view"]))
    context.update(registry.panel_context(registry.WORK_ORDER_PAGE, request.user, wo))  # parts (their app)
    return render(request, "workorders/detail.html", context)


@login_required
def work_order_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The engineer's phone view of one job: big buttons and one small form per step."""
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    if is_customer(request.user):
        return redirect(_detail_url(wo))
    context = work_order_context(request, wo)
    buttons = context["steps"]
    declared = {b.key: WORK_ORDER_STEPS.get(b.key) for b in buttons}
    context["inline_steps"] = [
        (b, step_form(declared[b.key], request, wo, bound=False, auto_id=f"id_{b.key}_%s"))
        for b in buttons if not b.direct and declared[b.key].page is None]
    for b, form in context["inline_steps"]:
        if b.key == "record":  # on the phone "work done" is a button of its own (it posts finish=on)
            del form.fields["finish"]
    context["direct_steps"] = [b for b in buttons if b.direct]
    context["page_steps"] = [b for b in buttons if declared[b.key].page is not None]
    context["photos"] = record_panels(request, wo)["attachments"]
    return render(request, "workorders/job.html", context)


class WorkOrderStepView(StepView):
    """One declared step of the work order (steps.py); back to the page it came from (the phone view or
    the work order page)."""

    workflow = WORK_ORDER_STEPS
    template_name = "workorders/step.html"

    def get_queryset(self):
        return _wo_queryset()

    def back_url(self, obj: WorkOrder) -> str:
        request = self.request
        if (request.method == "POST" and self.kwargs.get("step") == "record" and request.POST.get("finish")
                and WorkOrder.objects.filter(pk=obj.pk, status=S.COMPLETED).exists()):
            return reverse("workorders:report_sign", args=[obj.pk])  # the work is done: the customer signs
        return _back_url(request, obj)

    def extra_context(self, obj: WorkOrder, step: Any) -> dict[str, Any]:
        return {"next": _source(self.request)}


# ---------------------------------------------------------------- dispatch

@login_required
def work_order_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """派工: engineers ranked for this job with the parts of each score; the dispatcher picks the lead and
    helpers and the planned date; the service manager approves next."""
    wo = get_for_user(request, WorkOrder, "change", pk=pk, queryset=_wo_queryset())
    user = request.user
    if not user.has_perm(PERM_DISPATCH):
        raise _refuse(request, f"workorders.WorkOrder:{wo.pk}", _("Only a dispatcher may assign engineers."))
    ranks = selectors.rank_engineers(user, wo)
    current = list(services.team(wo))
    initial = {
        "planned_date": wo.planned_date, "version": wo.version,
        "lead": next((a.engineer_id for a in current if a.role == AssignmentRole.LEAD), None),
        "helpers": [a.engineer_id for a in current if a.role == AssignmentRole.HELPER],
    }
    form = forms.AssignForm(request.POST or None, ranks=ranks, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            people = {r.user.pk: r.user for r in ranks}
            lead = people.get(data["lead"]) if data["lead"] else None
            helpers = [people[h] for h in data["helpers"] if h in people]
            planned = data["planned_date"] if data["planned_date"] else services.UNSET
            try:
                step_data = {"lead": lead, "helpers": helpers, "note": data["note"], "version": data["version"]}
                if planned is not services.UNSET:
                    step_data["planned_date"] = planned
                _act(request, lambda: WORK_ORDER_STEPS.run("assign", user, wo, step_data))
            except ValidationError as exc:
                _merge(form, exc)
            else:
                messages.success(request, _("Engineers assigned to %(number)s; the service manager approves next.")
                                 % {"number": wo.number})
                return redirect(_detail_url(wo))
        status = 400
    lead_value = form["lead"].value()
    helper_values = form["helpers"].value() or []
    context = {
        "object": wo, "form": form, "ranks": ranks, "title": _("Assign engineers"),
        "selected_lead": str(lead_value) if lead_value not in (None, "") else "",
        "selected_helpers": {str(v) for v in helper_values},
        "can_assign": wo.can("assign"),
    }
    return render(request, "workorders/assign.html", context, status=status)


# ---------------------------------------------------------------- print-outs

@login_required
def work_order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """派工单 as PDF."""
    wo = get_for_user(request, WorkOrder, "view", pk=pk)
    return pdf_bytes_response(documents.work_order_pdf(wo), f"{wo.number}.pdf")
