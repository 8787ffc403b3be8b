"""Printable documents of feedback (WeasyPrint via core.pdf, company header from print_base.html): the
follow-up call (回访记录) and the service complaint (服务投诉处理单)."""

from __future__ import annotations

from serviceloop.core.pdf import render_pdf
from serviceloop.core.timeline import events_for
from serviceloop.service.documents import RELATED
from serviceloop.service.models import ServiceRequest

from .models import FollowUp, ServiceComplaint


def _request(pk: int) -> ServiceRequest:
    return ServiceRequest.objects.select_related(*RELATED).get(pk=pk)


def follow_up_pdf(follow_up: FollowUp) -> bytes:
    """回访记录: who was called when, the scores, satisfied or not, comments and the outcome."""
    return render_pdf(None, "feedback/print/follow_up.html", {
        "follow_up": follow_up, "service_request": _request(follow_up.service_request_id)})


def complaint_pdf(complaint: ServiceComplaint) -> bytes:
    """服务投诉处理单: the complaint, its analysis deadline, its handling and its timeline."""
    return render_pdf(None, "feedback/print/complaint.html", {
        "complaint": complaint, "service_request": _request(complaint.service_request_id),
        "events": list(events_for(complaint).order_by("at", "id")[:40])})
