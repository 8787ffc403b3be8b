"""Reads of the feedback loop that depend on who asks. Every queryset starts at the access gate."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from serviceloop.service.choices import RequestStatus
from serviceloop.service.models import ServiceRequest

from .models import ComplaintAnalysis, ComplaintRevisit, FollowUp, ServiceComplaint


def follow_ups_of(user: Any, service_request: ServiceRequest) -> QuerySet[FollowUp]:
    """The follow-ups of one request the user may see, newest first."""
    return FollowUp.objects.restrict(user, "view").filter(service_request=service_request).select_related("called_by")


def follow_ups_visible_to(user: Any) -> QuerySet[FollowUp]:
    return FollowUp.objects.restrict(user, "view").select_related("service_request", "service_request__customer", "called_by")


def awaiting_follow_up(user: Any) -> QuerySet[ServiceRequest]:
    """Resolved requests whose resolution has no follow-up yet, the longest waiting first."""
    answered = FollowUp.objects.filter(service_request=OuterRef("pk"), resolved_at=OuterRef("resolved_at"))
    return (
        ServiceRequest.objects.restrict(user, "view")
        .filter(status=RequestStatus.RESOLVED, resolved_at__isnull=False)
        .filter(~Exists(answered))
        .select_related("customer", "customer__branch", "unit")
        .order_by("resolved_at", "pk")
    )


def awaiting_search(qs: QuerySet[ServiceRequest], q: str) -> QuerySet[ServiceRequest]:
    q = q.strip()
    return qs.filter(Q(number__istartswith=q) | Q(title__icontains=q) | Q(customer__name__icontains=q)
                     | Q(customer__code__istartswith=q) | Q(contact_name__icontains=q))


def complaints_visible_to(user: Any) -> QuerySet[ServiceComplaint]:
    return ServiceComplaint.objects.restrict(user, "view").select_related(
        "customer", "customer__branch", "service_request", "follow_up", "handled_by"
    )


def complaints_of(user: Any, service_request: ServiceRequest) -> QuerySet[ServiceComplaint]:
    """The complaints about one request the user may see (the request page's panel), newest first."""
    return ServiceComplaint.objects.restrict(user, "view").filter(service_request=service_request).order_by("-created_at")


def analyses_of(complaint: ServiceComplaint) -> list[ComplaintAnalysis]:
    """The departments' parts of a complaint (staff only: the caller has passed the gate for the complaint)."""
    return list(complaint.analyses.select_related("department", "sent_by", "submitted_by").order_by("sent_at", "pk"))


def revisits_of(complaint: ServiceComplaint) -> list[ComplaintRevisit]:
    return list(complaint.revisits.select_related("recorded_by").order_by("called_at", "pk"))


def complaint_search(qs: QuerySet[ServiceComplaint], q: str) -> QuerySet[ServiceComplaint]:
    q = q.strip()
    return qs.filter(Q(number__istartswith=q) | Q(service_request__number__istartswith=q)
                     | Q(customer__name__icontains=q) | Q(description__icontains=q))
