"""Web pages of the service report (售后服务记录单: prepared, signed on the phone, PDF, verification) and
the detailed work report of a major fault (售后服务工作报告书) with its PDF.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from serviceloop.core.access import get_for_user
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.scoping import is_customer

from .. import documents, forms, rules, selectors, services
from ..models import ServiceReport, WorkOrder
from ..steps import REPORT_STEPS, WORK_ORDER_STEPS
from .common import MAJOR, S, _act, _back_url, _merge, _no_customers, _refuse, _source, _wo_queryset

VERIFY_MAX_BYTES = 50 * 1024 * 1024


# ---------------------------------------------------------------- service report (售后服务记录单)

def _fault_default(wo: WorkOrder) -> str:
    return "\n".join(filter(None, [wo.service_request.title, wo.service_request.description]))


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
                         queryset=ServiceReport.objects.select_related("work_order", "work_order__service_request"))
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
        "major": wo.service_request.severity == MAJOR, "next": _source(request), "back_url": _back_url(request, wo),
    }, status=status)


@login_required
def work_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk)
    found = selectors.work_report_of(request.user, wo)
    if found is None:
        raise Http404(_("This work order has no service work report."))
    return pdf_bytes_response(documents.work_report_pdf(found), f"{wo.number}-work-report.pdf")
