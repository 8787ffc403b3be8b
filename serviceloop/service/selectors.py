"""Reads of service requests that depend on who asks. Every queryset starts at the access gate."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from .choices import OPEN_STATUSES
from .models import Escalation, Review, ServiceRequest, SlaEvent


def requests_visible_to(user: Any, action: str = "view") -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.restrict(user, action).select_related(
        "customer", "site", "unit", "unit__product_model", "sales_order", "sla_policy"
    )


def request_queue(user: Any) -> QuerySet[ServiceRequest]:
    """Open requests, the nearest deadline first (requests without a running deadline last)."""
    return requests_visible_to(user).filter(status__in=OPEN_STATUSES).order_by(
        F("sla_due_at").asc(nulls_last=True), "received_at", "pk"
    )


def open_requests_for_unit(user: Any, unit: Any) -> QuerySet[ServiceRequest]:
    return requests_visible_to(user).filter(unit=unit, status__in=OPEN_STATUSES).order_by("received_at")


def reviews_of(user: Any, request: ServiceRequest) -> QuerySet[Review]:
    return Review.objects.restrict(user, "view").filter(request=request).select_related("reviewer")


def sla_events_of(user: Any, request: ServiceRequest) -> QuerySet[SlaEvent]:
    return SlaEvent.objects.restrict(user, "view").filter(request=request).select_related("actor").order_by("at", "id")


def escalations_visible_to(user: Any) -> QuerySet[Escalation]:
    return Escalation.objects.restrict(user, "view").select_related("request", "request__customer")
