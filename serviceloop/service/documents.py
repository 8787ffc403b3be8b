"""Printable documents of service requests (WeasyPrint via core.pdf, company header from print_base.html):
电话报修登记处理表 (the intake record of a call, or of any intake) and the review (评审)."""

from __future__ import annotations

from serviceloop.core.attachments import attachments_for
from serviceloop.core.pdf import render_pdf
from serviceloop.core.timeline import events_for

from .models import Review, ServiceRequest

RELATED = ("customer", "customer__branch", "site", "unit", "unit__product_model", "sales_order", "received_by",
           "handed_over_from")


def _request(service_request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_related(*RELATED).get(pk=service_request.pk)


def intake_record_pdf(service_request: ServiceRequest) -> bytes:
    """电话报修登记处理表: who called, when, about which unit, what was reported, and how it was handled."""
    service_request = _request(service_request)
    return render_pdf(None, "service/print/intake_record.html", {
        "service_request": service_request, "events": list(events_for(service_request).order_by("at", "id")[:40])})


def review_pdf(review: Review) -> bytes:
    """评审: the analysis, the written opinion and the decided plan, with the customer's written feedback named."""
    service_request = _request(review.service_request)
    return render_pdf(None, "service/print/review.html", {
        "service_request": service_request, "review": review, "attachments": list(attachments_for(review))})
