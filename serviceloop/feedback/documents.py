"""Printable documents of the feedback loop (WeasyPrint via core.pdf, company header from print_base.html):
the complaint registration and handling form 客户投诉登记、处理表 (seed 003 §5.5.2) and the follow-up call 回访记录."""

from __future__ import annotations

from serviceloop.core.pdf import render_pdf
from serviceloop.core.timeline import events_for
from serviceloop.service.documents import RELATED
from serviceloop.service.models import ServiceRequest

from . import selectors
from .models import FollowUp, ServiceComplaint

COMPLAINT_TEMPLATE = "feedback/print/complaint.html"


def complaint_pdf(complaint: ServiceComplaint, *, internal: bool = True) -> bytes:
    """The form as PDF. ``internal``: with the departments' analyses and the timeline (staff copies); the
    customer's copy has their complaint, the measures and the revisits."""
    return render_pdf(None, COMPLAINT_TEMPLATE, complaint_context(complaint, internal=internal))


def complaint_context(complaint: ServiceComplaint, *, internal: bool = True) -> dict:
    return {
        "object": complaint,
        "internal": internal,
        "analyses": selectors.analyses_of(complaint) if internal else [],
        "revisits": selectors.revisits_of(complaint),
        "events": list(events_for(complaint).order_by("at", "pk")) if internal else [],  # oldest first, as on paper
    }


def follow_up_pdf(follow_up: FollowUp) -> bytes:
    """回访记录: who was called when, the scores, satisfied or not, comments and the outcome."""
    service_request = ServiceRequest.objects.select_related(*RELATED).get(pk=follow_up.service_request_id)
    return render_pdf(None, "feedback/print/follow_up.html", {"follow_up": follow_up, "service_request": service_request})
