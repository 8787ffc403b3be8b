"""Reads of the installed base that depend on who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import SalesOrder, ServiceContract, Unit


def units_visible_to(user: Any) -> QuerySet[Unit]:
    return Unit.objects.restrict(user, "view").select_related("product_model", "customer", "site")


MAX_MATCHING_CUSTOMERS = 2000


def unit_search(qs: QuerySet[Unit], q: str) -> QuerySet[Unit]:
    """Serial-number prefix (uses the unique index as a range), customer name/code, or contact phone."""
    text = q.strip()
    upper = text.upper()
    serial_prefix = Q(serial_number__gte=upper, serial_number__lt=upper + "\uffff")
    # The matching customers are fetched first (usually a short list), so the database can combine the
    # serial-number index and the unit(customer) index (BitmapOr) instead of scanning all units.
    # A very broad match (more than MAX_MATCHING_CUSTOMERS) stays a subquery: then so many units match
    # that walking the units newest first finds a page at once. Either way, every match is kept.
    matching = _customer_ids_matching(text)
    customer_ids = list(matching[: MAX_MATCHING_CUSTOMERS + 1])
    if len(customer_ids) > MAX_MATCHING_CUSTOMERS:
        return qs.filter(serial_prefix | Q(customer_id__in=matching))
    if not customer_ids:
        return qs.filter(serial_prefix)
    return qs.filter(serial_prefix | Q(customer_id__in=customer_ids))


def _customer_ids_matching(text: str) -> QuerySet:
    """Ids of customers whose name contains the text, whose code is the text, or (4+ characters with a
    digit) whose phone or a contact's phone starts with it. One UNION, each part served by an index on
    PostgreSQL (trigram on the name, upper(code), phone prefix; see customers/migrations)."""
    from serviceloop.customers.models import Contact, Customer

    by_customer = Q(name__icontains=text) | Q(code__iexact=text)
    looks_like_phone = any(ch.isdigit() for ch in text) and len(text) >= 4
    if looks_like_phone:
        by_customer |= Q(phone__startswith=text)
    ids = Customer.objects.filter(by_customer).order_by().values_list("pk", flat=True)
    if looks_like_phone:
        contacts = Contact.objects.filter(phone__startswith=text).order_by().values_list("customer_id", flat=True)
        ids = ids.union(contacts)
    return ids


def contracts_of_unit(user: Any, unit: Unit) -> QuerySet[ServiceContract]:
    return ServiceContract.objects.restrict(user, "view").filter(units=unit).order_by("-end_date")


# ---------------------------------------------------------------- panels of the customer page (core.registry)

def units_of_customer(user: Any, customer: Any) -> QuerySet[Unit]:
    return Unit.objects.restrict(user).filter(customer=customer).select_related("product_model", "site")[:50]


def contracts_of_customer(user: Any, customer: Any) -> QuerySet[ServiceContract]:
    return ServiceContract.objects.restrict(user).filter(customer=customer)[:20]


def sales_orders_of_customer(user: Any, customer: Any) -> QuerySet[SalesOrder]:
    return SalesOrder.objects.restrict(user).filter(customer=customer)[:20]
