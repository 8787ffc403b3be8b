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


def request_search(qs: QuerySet[ServiceRequest], q: str) -> QuerySet[ServiceRequest]:
    """Request number prefix, unit serial prefix, customer name/code/phone, or contact phone prefix.

    Each part is served by an index (number is unique; the unit and customer parts are id lists
    fetched first, like the unit list's search), so the queue stays fast on a million requests.
    """
    from django.db.models import Q

    from serviceloop.assets.models import Unit
    from serviceloop.assets.selectors import MAX_MATCHING_CUSTOMERS, _customer_ids_matching

    text = q.strip()
    upper = text.upper()
    condition = Q(number__gte=upper, number__lt=upper + "\uffff")
    if any(ch.isdigit() for ch in text) and len(text) >= 4:
        condition |= Q(contact_phone__startswith=text)
    units = Unit.objects.filter(serial_number__gte=upper, serial_number__lt=upper + "\uffff").order_by()
    unit_ids = list(units.values_list("pk", flat=True)[: MAX_MATCHING_CUSTOMERS + 1])
    if len(unit_ids) > MAX_MATCHING_CUSTOMERS:  # a broad prefix: keep every match as a subquery
        condition |= Q(unit_id__in=units.values("pk"))
    elif unit_ids:
        condition |= Q(unit_id__in=unit_ids)
    matching = _customer_ids_matching(text)
    customer_ids = list(matching[: MAX_MATCHING_CUSTOMERS + 1])
    if len(customer_ids) > MAX_MATCHING_CUSTOMERS:
        condition |= Q(customer_id__in=matching)
    elif customer_ids:
        condition |= Q(customer_id__in=customer_ids)
    return qs.filter(condition)


def unit_lookup(user: Any, q: str, limit: int = 8) -> list[Any]:
    """The desk's fast unit lookup at intake: serial prefix, customer name/code or phone."""
    from serviceloop.assets.models import Unit
    from serviceloop.assets.selectors import unit_search

    text = "".join(ch for ch in (q or "") if ch.isprintable()).strip()[:100]
    if len(text) < 2:
        return []
    qs = Unit.objects.restrict(user, "view").select_related("customer", "product_model", "site")
    return list(unit_search(qs, text).order_by("-id")[:limit])


def unit_service_history(user: Any, unit: Any, limit: int = 50) -> dict[str, Any]:
    """The unit's service file (服务档案): its requests, work orders and signed service reports."""
    from django.apps import apps

    history: dict[str, Any] = {
        "service_requests": list(
            requests_visible_to(user).filter(unit=unit).order_by("-received_at", "-id")[:limit]
        ),
        "work_orders": [],
        "service_reports": [],
    }
    if apps.is_installed("serviceloop.workorders"):
        from serviceloop.workorders import selectors as wo

        history["work_orders"] = list(wo.work_orders_of_unit(user, unit)[:limit])
        history["service_reports"] = list(wo.service_reports_of_unit(user, unit)[:limit])
    return history
