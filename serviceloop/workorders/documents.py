"""Printable documents of work orders (WeasyPrint via core.pdf, company header from print_base.html):
派工单 (work order), 售后服务记录单 (signed service report), 费用结算单 (fee statement),
售后服务工作报告书 (service work report), 协作申请单 (help request), 技术支持确认单 (support confirmation)."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from serviceloop.core import registry
from serviceloop.core.pdf import render_pdf

from .models import FeeLine, HelpRequest, LabourEntry, ServiceReport, TestRecord, Visit, WorkOrder, WorkReport
from .signatures import png_data_url


def _team(work_order: WorkOrder) -> list[dict[str, Any]]:
    from .services import engineer_phone, team

    return [{"assignment": a, "engineer": a.engineer, "phone": engineer_phone(a.engineer)} for a in team(work_order)]


def _work_order(work_order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_related(
            "service_request", "customer", "site", "unit", "unit__product_model", "unit__site", "branch",
            "required_skill",
            "dispatched_by", "approved_by", "billing_sales_order",
        ).get(pk=work_order.pk)
    )


def work_order_context(work_order: WorkOrder) -> dict[str, Any]:
    work_order = _work_order(work_order)
    return {
        "object": work_order,
        "service_request": work_order.service_request,
        "team": _team(work_order),
        "visits": list(Visit.objects.filter(work_order=work_order).select_related("engineer")),
        "tests": list(TestRecord.objects.filter(work_order=work_order)),
        "labour": list(LabourEntry.objects.filter(work_order=work_order).select_related("engineer")),
        "labour_total": LabourEntry.objects.filter(work_order=work_order).aggregate(t=Sum("hours"))["t"],
    }


def work_order_pdf(work_order: WorkOrder) -> bytes:
    """派工单: the dispatch order with the team, task, work instruction and signature blocks."""
    return render_pdf(None, "workorders/print/work_order.html", work_order_context(work_order))


def fee_statement_pdf(work_order: WorkOrder) -> bytes:
    """费用结算单: the fees of a chargeable job and their total, with the billing sales order."""
    work_order = _work_order(work_order)
    lines = list(FeeLine.objects.filter(work_order=work_order).order_by("kind", "id"))
    total = sum((line.amount for line in lines), start=FeeLine().amount)
    return render_pdf(None, "workorders/print/fee_statement.html",
                      {"object": work_order, "service_request": work_order.service_request, "lines": lines, "total": total})


def service_report_pdf(report: ServiceReport, *, signature_png_bytes: bytes | None = None) -> bytes:
    """售后服务记录单 with the customer's signature, signing time and the SHA-256 of the report's content."""
    work_order = report.work_order
    signature = ""
    if signature_png_bytes:
        signature = png_data_url(signature_png_bytes)
    elif report.signature:
        with report.signature.open("rb") as handle:
            signature = png_data_url(handle.read())
    context = {
        "report": report,
        "object": work_order,
        "service_request": work_order.service_request,
        "visits": list(Visit.objects.filter(work_order=work_order).select_related("engineer")),
        "signature": signature,
        **registry.panel_context(registry.SERVICE_REPORT_PDF, None, work_order),  # parts fitted (their app)
    }
    return render_pdf(None, "workorders/print/service_report.html", context)


def work_report_pdf(work_report: WorkReport) -> bytes:
    """售后服务工作报告书."""
    work_order = _work_order(work_report.work_order)
    return render_pdf(None, "workorders/print/work_report.html",
                      {"report": work_report, "object": work_order, "service_request": work_order.service_request})


def _help(help_request: HelpRequest) -> HelpRequest:
    return HelpRequest.objects.select_related("requested_by", "skill", "decided_by", "hq_engineer", "charged_by").get(
        pk=help_request.pk)


def help_request_pdf(help_request: HelpRequest) -> bytes:
    """协作申请单: the branch's request, the decision of headquarters and the internal charge."""
    help_request = _help(help_request)
    work_order = _work_order(help_request.work_order)
    return render_pdf(None, "workorders/print/help_request.html",
                      {"help": help_request, "object": work_order, "service_request": work_order.service_request})


def support_confirmation_pdf(help_request: HelpRequest) -> bytes:
    """技术支持确认单: the support given, as the branch confirmed it, and the internal charge."""
    help_request = _help(help_request)
    confirmation = help_request.confirmation
    work_order = _work_order(help_request.work_order)
    return render_pdf(None, "workorders/print/support_confirmation.html",
                      {"help": help_request, "confirmation": confirmation, "object": work_order,
                       "service_request": work_order.service_request})
