"""Web pages of work orders (派工单): dispatch board, creation from a request, the ranked assignment,
approval, the work order page with its step buttons, the engineer's phone pages (my jobs today, one job),
the service report signed on the phone with its PDF and verification, the detailed work report, fees and
help requests to headquarters (协作申请单, 技术支持确认单).

Views parse input, call a service or a selector and render. Every record comes through the gate
(``get_for_user``: invisible -> 404, visible but not allowed -> 403); the services decide who may do each
step (PermissionDenied -> 403) and what is valid (ValidationError -> the message next to the form, 400).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.access import audit_denial, get_for_user, require_model_perm
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.excel import export_rows
from serviceloop.core.generic import is_htmx, record_panels
from serviceloop.core.listing import Column, ListPage, ListSpec
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import StepView, step_form
from serviceloop.service.models import ServiceRequest

from . import documents, forms, rules, selectors, services
from .choices import (
    AssignmentRole,
    HelpRequestStatus,
    WorkOrderStatus,
)
from .filters import HelpRequestFilter, WorkOrderFilter, help_search, work_order_search
from .models import FeeLine, HelpRequest, ServiceReport, WorkOrder, WorkOrderAssignment, WorkReport
from .steps import HELP_STEPS, REPORT_STEPS, WORK_ORDER_STEPS

S = WorkOrderStatus
PERM_CHANGE = services.PERM_CHANGE
PERM_DISPATCH = services.PERM_DISPATCH
PERM_APPROVE = services.PERM_APPROVE
PERM_CLOSE = services.PERM_CLOSE
PERM_PLAN = services.PERM_PLAN
PERM_APPROVE_HELP = "workorders.approve_helprequest"

# verbs of the timeline a customer does not need to see (internal dispatch and headquarters matters)
INTERNAL_VERBS = {"reject", "decline", "helper_declined", "help_requested", "help_approved", "help_rejected",
                  "support_confirmed", "escalation_plan", "fee_added", "fee_changed", "fee_removed"}
VERIFY_MAX_BYTES = 50 * 1024 * 1024
MAJOR = "major"

WO_QS_RELATED = (*selectors.WO_RELATED, "customer__branch", "dispatched_by", "approved_by", "billing_sales_order",
                 "escalation_planned_by")


def _wo_queryset() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related(*WO_QS_RELATED)


# ---------------------------------------------------------------- helpers

def _refuse(request: HttpRequest, target: str, message: str | None = None) -> PermissionDenied:
    audit_denial(request, action="change", target=target, outcome="forbidden")
    return PermissionDenied(message or _("Your role does not allow this."))


def _no_customers(request: HttpRequest, target: str) -> None:
    if is_customer(request.user):
        raise _refuse(request, target)


def _act(request: HttpRequest, call: Callable[[], Any]) -> Any:
    """Run a service; its refusal by role or assignment is a 403 with an audit row."""
    try:
        return call()
    except PermissionDenied:
        audit_denial(request, action="change", target=request.path[:200], outcome="forbidden")
        raise


def _merge(form: Any, exc: ValidationError) -> None:
    """The service's messages next to their fields (or above the form), the typed input kept."""
    if isinstance(exc, StaleEditError):
        form.add_error(None, exc.messages[0])
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _search_text(request: HttpRequest) -> str:
    return "".join(ch for ch in (request.GET.get("q") or "") if ch.isprintable()).strip()[:100]


def _detail_url(wo: WorkOrder) -> str:
    return reverse("workorders:detail", args=[wo.pk])


def _job_url(wo: WorkOrder) -> str:
    return reverse("workorders:job", args=[wo.pk])


def _back_url(request: HttpRequest, wo: WorkOrder) -> str:
    """Back to the page the form was on: the engineer's phone view or the work order page."""
    source = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return _job_url(wo) if source == "job" else _detail_url(wo)


def _source(request: HttpRequest) -> str:
    source = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return "job" if source == "job" else ""


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
    Column("request", gettext_lazy("request number"), lambda w: w.request.number),
    Column("created", gettext_lazy("created at"),
           lambda w: timezone.localtime(w.created_at).strftime("%Y-%m-%d %H:%M"), sort="created_at"),
]


BOARD_LIST = ListSpec(columns=WO_COLUMNS, default_sort="queue", search=work_order_search,
                      extra_sorts={"queue": "declined_first"}, page_size=25)
ALL_LIST = ListSpec(columns=WO_COLUMNS, default_sort="-created", search=work_order_search,
                    filterset_class=WorkOrderFilter.for_list)


def _list_response(request: HttpRequest, page: ListPage, *, title: str, export_name: str, template: str,
                   context: dict[str, Any]) -> HttpResponse:
    """A list page (search, filters, sort, pages, Excel); HTMX gets the table fragment only."""
    if request.GET.get("export") == "xlsx":
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return export_rows(str(title), page.spec.columns, page.queryset.iterator(chunk_size=2000),
                           f"{export_name}-{stamp}.xlsx")
    context = {"page": page, "title": title, **context}
    name = "core/partials/list_table.html" if is_htmx(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _require_staff_list(request: HttpRequest, model: type, target: str) -> None:
    require_model_perm(request, model, "view")
    if is_customer(request.user):
        audit_denial(request, action="view", target=target, outcome="forbidden")
        raise PermissionDenied(_("Your role does not allow this."))


def _with_team(queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    team = WorkOrderAssignment.objects.filter(released_at__isnull=True).select_related("engineer").annotate(
        lead_first=Case(When(role=AssignmentRole.LEAD, then=Value(0)), default=Value(1),
                        output_field=IntegerField())).order_by("lead_first", "assigned_at", "id")
    return queryset.prefetch_related(Prefetch("assignments", queryset=team, to_attr="active_team"))


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """调度台 (dispatch board): work orders waiting for engineers (declined first, then oldest), and the
    dispatches waiting for the service manager's approval."""
    _require_staff_list(request, WorkOrder, "workorders.WorkOrder:board")
    user = request.user
    page = ListPage(request, selectors.unassigned_work_orders(user), BOARD_LIST)
    awaiting = _with_team(selectors.work_orders_awaiting_approval(user).select_related("dispatched_by"))
    text = _search_text(request)
    if text:
        awaiting = work_order_search(awaiting, text)
    awaiting_rows = list(awaiting[:21])
    context = {
        "awaiting": awaiting_rows[:20],
        "awaiting_more": len(awaiting_rows) > 20,
        "can_dispatch": user.has_perm(PERM_DISPATCH),
        "action_url_name": "workorders:assign" if user.has_perm(PERM_DISPATCH) else None,
        "action_label": _("Assign"),
        "can_approve": user.has_perm(PERM_APPROVE),
        "search_hint": _("Work order, request or serial number, customer"),
    }
    return _list_response(request, page, title=_("Dispatch board"), export_name="dispatch-board",
                          template="workorders/board.html", context=context)


@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    """Every work order the user may see, with search, status filter and Excel export."""
    _require_staff_list(request, WorkOrder, "workorders.WorkOrder:list")
    page = ListPage(request, selectors.work_orders_visible_to(request.user), ALL_LIST)
    return _list_response(request, page, title=_("Work orders"), export_name="work-orders",
                          template="workorders/list.html",
                          context={"search_hint": _("Work order, request or serial number, customer")})


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


@login_required
def help_list(request: HttpRequest) -> HttpResponse:
    """协作申请单 from the branches: pending first (oldest first), then the decided ones."""
    _require_staff_list(request, HelpRequest, "workorders.HelpRequest:list")
    queryset = selectors.help_requests_visible_to(request.user).annotate(pending_first=Case(
        When(status=HelpRequestStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()))
    page = ListPage(request, queryset, HELP_LIST)
    return _list_response(request, page, title=_("Help requests"), export_name="help-requests",
                          template="workorders/list.html",
                          context={"search_hint": _("Help request or work order number, customer")})


@login_required
def my_jobs(request: HttpRequest) -> HttpResponse:
    """The engineer's home on the phone: my jobs (on site and today's first), big buttons."""
    _require_staff_list(request, WorkOrder, "workorders.WorkOrder:my_jobs")
    user = request.user
    mine = WorkOrderAssignment.objects.filter(engineer=user, released_at__isnull=True)
    jobs = list(selectors.my_jobs_today(user).prefetch_related(
        Prefetch("assignments", queryset=mine, to_attr="my_assignment"))[:100])
    for job in jobs:
        job.mine = job.my_assignment[0] if job.my_assignment else None
    return render(request, "workorders/my_jobs.html", {"jobs": jobs, "today": timezone.localdate()})


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
                actor=request.user, request=service_request, description=data["description"],
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
        "major": wo.request.severity == MAJOR,
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
        return _back_url(self.request, obj)

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


@login_required
def fee_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """费用结算单 (fee statement) as PDF."""
    wo = get_for_user(request, WorkOrder, "view", pk=pk)
    require_model_perm(request, FeeLine, "view")
    return pdf_bytes_response(documents.fee_statement_pdf(wo), f"{wo.number}-fees.pdf")


# ---------------------------------------------------------------- fees

@login_required
def fee_add(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    _no_customers(request, f"workorders.WorkOrder:{wo.pk}")
    require_model_perm(request, FeeLine, "add")
    form = forms.FeeLineForm(request.POST or None, instance=FeeLine(work_order=wo))
    if request.method == "POST" and form.is_valid():
        try:
            line = _act(request, lambda: services.fee_line_save(user=request.user, instance=form.instance))
        except ValidationError as exc:
            form.instance.pk = None
            form.instance._state.adding = True
            _merge(form, exc)
        else:
            messages.success(request, _("Fee added: %(fee)s, %(amount)s CNY.") % {"fee": line, "amount": line.amount})
            return redirect(_detail_url(wo) + "#fees")
    return render(request, "workorders/step.html", {
        "object": wo, "form": form, "title": _("Add fee"), "back_url": _detail_url(wo) + "#fees",
    }, status=400 if form.is_bound else 200)


@login_required
def fee_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    _no_customers(request, f"workorders.WorkOrder:{wo.pk}")
    line = get_for_user(request, FeeLine, "delete", pk=line_pk, work_order=wo)
    form = forms.EmptyForm(request.POST or None)
    if request.method == "POST":
        try:
            _act(request, lambda: services.fee_line_delete(actor=request.user, fee_line=line))
        except ValidationError as exc:
            _merge(form, exc)
        else:
            messages.success(request, _("Fee removed: %(fee)s.") % {"fee": line})
            return redirect(_detail_url(wo) + "#fees")
    title = _("Remove fee “%(fee)s” (%(amount)s CNY)?") % {"fee": line, "amount": line.amount}
    return render(request, "workorders/step.html", {
        "object": wo, "form": form, "title": title, "back_url": _detail_url(wo) + "#fees", "danger": True,
    }, status=400 if form.is_bound else 200)


# ---------------------------------------------------------------- service report (售后服务记录单)

def _fault_default(wo: WorkOrder) -> str:
    return "\n".join(filter(None, [wo.request.title, wo.request.description]))


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The service report of a work order: prepared from the work order (fault and work done editable),
    then signed by the customer; once signed: signer, time, SHA-256 and the PDF."""
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    user = request.user
    found = selectors.service_report_of(user, wo)
    if found is not None:
        found.work_order = wo
        writable = REPORT_STEPS.blocked("edit", user, found) is None
    else:
        writable = WORK_ORDER_STEPS.blocked("report", user, wo) is None
    form = None
    status = 200
    if writable:
        if found is None:
            initial = {"fault_description": _fault_default(wo), "work_done": wo.work_done,
                       "parts_used": wo.parts_used}
        else:
            initial = {"fault_description": found.fault_description, "work_done": found.work_done,
                       "parts_used": found.parts_used, "version": found.version}
        form = forms.ReportForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form is None:
            raise _refuse(request, f"workorders.WorkOrder:{wo.pk}",
                          _("Only the engineers on this job write its service report, before it is signed."))
        if form.is_valid():
            d = form.cleaned_data
            try:
                if found is None:
                    found = _act(request, lambda: WORK_ORDER_STEPS.run("report", user, wo, {
                        k: d[k] for k in ("fault_description", "work_done", "parts_used")}))
                else:
                    current = found
                    found = _act(request, lambda: REPORT_STEPS.run("edit", user, current, d))
            except ValidationError as exc:
                _merge(form, exc)
            else:
                messages.success(request, _("Service report %(number)s saved.") % {"number": found.number})
                if request.POST.get("then") == "sign" and wo.status == S.COMPLETED:
                    return redirect("workorders:report_sign", pk=wo.pk)
                return redirect("workorders:report", pk=wo.pk)
        status = 400
    context = {
        "object": wo, "report": found, "form": form, "title": _("Service report"),
        "customer_view": is_customer(user),
        "can_sign": found is not None and REPORT_STEPS.blocked("sign", user, found) is None,
        "tests": list(selectors.tests_of(user, wo).order_by("recorded_at", "id")),
        "labour_total": selectors.labour_hours_total(user, wo),
        "team": list(selectors.team_of(user, wo)),
        "next": _source(request),
    }
    return render(request, "workorders/report.html", context, status=status)


@login_required
def report_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The signing page on the engineer's phone: the report's summary, the customer's name, satisfied or
    not (and why), and the signature on the canvas."""
    wo = get_for_user(request, WorkOrder, "change", pk=pk, queryset=_wo_queryset())
    _no_customers(request, f"workorders.WorkOrder:{wo.pk}")
    user = request.user
    found = selectors.service_report_of(user, wo)
    if found is None:
        messages.warning(request, _("Prepare the service report first."))
        return redirect("workorders:report", pk=wo.pk)
    found.work_order = wo
    blocked = REPORT_STEPS.blocked("sign", user, found)
    if blocked is not None and blocked.forbidden:
        raise _refuse(request, f"workorders.WorkOrder:{wo.pk}", blocked.reason)
    if found.is_signed:
        messages.info(request, _("The service report is already signed."))
        return redirect("workorders:report", pk=wo.pk)
    form = forms.SignForm(request.POST or None)
    restore = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                _act(request, lambda: REPORT_STEPS.run("sign", user, found, d))
            except ValidationError as exc:
                _merge(form, exc)
                if "signature" not in form.errors:
                    restore = d["signature"] or ""
            else:
                messages.success(request, _("Service report %(number)s is signed.") % {"number": found.number})
                return redirect("workorders:report", pk=wo.pk)
        status = 400
    context = {
        "object": wo, "report": found, "form": form, "title": _("Customer signature"),
        "tests": list(selectors.tests_of(user, wo).order_by("recorded_at", "id")),
        "labour_total": selectors.labour_hours_total(user, wo),
        "team": list(selectors.team_of(user, wo)),
        "restore_signature": restore if restore.startswith("data:image/png;base64,") else "",
    }
    return render(request, "workorders/report_sign.html", context, status=status)


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed PDF exactly as stored (what the verify page checks); a draft: an unsigned preview."""
    found = get_for_user(request, ServiceReport, "view", pk=pk,
                         queryset=ServiceReport.objects.select_related("work_order", "work_order__request"))
    if found.is_signed and found.pdf:
        try:
            with found.pdf.open("rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            raise Http404(_("The file is missing from storage.")) from None
    else:
        content = documents.service_report_pdf(found)
    return pdf_bytes_response(content, f"{found.number}.pdf", inline=False)


@login_required
def report_verify(request: HttpRequest) -> HttpResponse:
    """Anyone logged in uploads a PDF: is it exactly a service report signed in this system?"""
    form = forms.VerifyForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read(VERIFY_MAX_BYTES + 1)
            if len(content) > VERIFY_MAX_BYTES:
                form.add_error("file", _("The file is too large to be a service report."))
            else:
                found = services.service_report_verify(content)
                # holding the exact bytes proves one has the document: its details are no secret to them
                result = {
                    "valid": found is not None,
                    "report": found,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "name": upload.name,
                    "may_open": found is not None and ServiceReport.objects.restrict(request.user, "view").filter(
                        pk=found.pk).exists(),
                }
                status = 200
    return render(request, "workorders/report_verify.html", {"form": form, "result": result,
                                                             "title": _("Verify a service report")},
                  status=status)


# ---------------------------------------------------------------- work report (售后服务工作报告书)

@login_required
def work_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The detailed report a major fault needs (seed 003 §5.3.5): phenomenon, cause, actions, prevention."""
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    user = request.user
    found = selectors.work_report_of(user, wo)
    writable = rules.may_write_work_report(user, wo) is None
    form = None
    status = 200
    if writable:
        initial = {"version": found.version} if found is not None else {}
        if found is not None:
            initial.update(fault_phenomenon=found.fault_phenomenon, cause_analysis=found.cause_analysis,
                           actions_taken=found.actions_taken, preventive_suggestion=found.preventive_suggestion)
        else:
            initial.update(fault_phenomenon=_fault_default(wo), actions_taken=wo.work_done)
        form = forms.WorkReportForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form is None:
            raise _refuse(request, f"workorders.WorkOrder:{wo.pk}",
                          _("The engineers on the job or a service manager write the work report."))
        if form.is_valid():
            d = form.cleaned_data
            try:
                _act(request, lambda: services.work_report_save(
                    actor=user, work_order=wo, fault_phenomenon=d["fault_phenomenon"],
                    cause_analysis=d["cause_analysis"], actions_taken=d["actions_taken"],
                    preventive_suggestion=d["preventive_suggestion"], expected_version=d["version"]))
            except ValidationError as exc:
                _merge(form, exc)
            else:
                messages.success(request, _("The service work report was saved."))
                return redirect(_back_url(request, wo))
        status = 400
    if found is None and form is None:
        raise Http404(_("This work order has no service work report."))
    return render(request, "workorders/work_report.html", {
        "object": wo, "work_report": found, "form": form, "title": _("Service work report"),
        "major": wo.request.severity == MAJOR, "next": _source(request), "back_url": _back_url(request, wo),
    }, status=status)


@login_required
def work_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk)
    found = selectors.work_report_of(request.user, wo)
    if found is None:
        raise Http404(_("This work order has no service work report."))
    return pdf_bytes_response(documents.work_report_pdf(found), f"{wo.number}-work-report.pdf")


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
        "work_order", "work_order__customer", "work_order__branch", "work_order__request", "requested_by",
        "hq_engineer", "skill", "decided_by", "confirmation", "confirmation__confirmed_by")


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
