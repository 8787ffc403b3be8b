"""Reads that depend on who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import Contact, Customer, Site


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    return Customer.objects.restrict(user, "view").select_related("branch")


def customer_search(qs: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    q = q.strip()
    return qs.filter(Q(code__istartswith=q) | Q(name__icontains=q) | Q(phone__startswith=q))


def sites_of(user: Any, customer: Customer) -> QuerySet[Site]:
    return Site.objects.restrict(user, "view").filter(customer=customer)


def contacts_of(user: Any, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.restrict(user, "view").filter(customer=customer).select_related("site")
