"""Reads of the installed base that depend on who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import ServiceContract, Unit


def units_visible_to(user: Any) -> QuerySet[Unit]:
    return Unit.objects.restrict(user, "view").select_related("product_model", "customer", "site")


MAX_MATCHING_CUSTOMERS = 2000


def unit_search(qs: QuerySet[Unit], q: str) -> QuerySet[Unit]:
    """Serial-number prefix (uses the unique index as a range), customer name/code, or contact phone."""
    text = q.strip()
    upper = text.upper()
    serial_prefix = Q(serial_number__gte=upper, serial_number__lt=upper + "\uffff")
    # The matching customers are fetched first (a short list), so the database can combine the
    # serial-number index and the unit(customer) index (BitmapOr) instead of scanning all units.
    customer_ids = list(_customer_ids_matching(text)[:MAX_MATCHING_CUSTOMERS])
    if not customer_ids:
        return qs.filter(serial_prefix)
    return qs.filter(serial_prefix | Q(customer_id__in=customer_ids))


def _customer_ids_matching(text: str):
    from serviceloop.customers.models import Contact, Customer

    by_name = Customer.objects.filter(Q(name__icontains=text) | Q(code__iexact=text))
    if any(ch.isdigit() for ch in text) and len(text) >= 4:
        by_phone = Contact.objects.filter(phone__startswith=text).values("customer_id")
        return Customer.objects.filter(Q(pk__in=by_name.values("pk")) | Q(pk__in=by_phone) | Q(phone__startswith=text)).values_list(
            "pk", flat=True
        )
    return by_name.values_list("pk", flat=True)


def contracts_of_unit(user: Any, unit: Unit) -> QuerySet[ServiceContract]:
    return ServiceContract.objects.restrict(user, "view").filter(units=unit).order_by("-end_date")
