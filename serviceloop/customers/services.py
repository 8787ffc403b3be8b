"""Writes for customers, sites and contacts. Each validates, saves, and records a timeline event."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from serviceloop.core.concurrency import save_and_record

from .models import Contact, Customer, Site


@transaction.atomic
def customer_save(*, user: Any, instance: Customer, expected_version: int | None = None, **_kw: Any) -> Customer:
    instance.code = (instance.code or "").strip().upper()
    return save_and_record(instance, user=user, expected_version=expected_version)


@transaction.atomic
def site_save(*, user: Any, instance: Site, expected_version: int | None = None, **_kw: Any) -> Site:
    instance.name = (instance.name or "").strip()
    if instance.customer_id and instance.name:
        clash = Site.objects.filter(customer_id=instance.customer_id, name=instance.name).exclude(pk=instance.pk)
        if clash.exists():
            raise ValidationError({"name": _("This customer already has a site with this name.")}, code="unique")
    return save_and_record(instance, user=user, expected_version=expected_version)


@transaction.atomic
def contact_save(*, user: Any, instance: Contact, expected_version: int | None = None, **_kw: Any) -> Contact:
    if instance.site_id and instance.site.customer_id != instance.customer_id:
        raise ValidationError({"site": _("This site belongs to another customer.")})
    if instance.is_primary and instance.customer_id:
        # one primary contact per customer: serialise concurrent saves on the customer row
        list(Customer.objects.select_for_update().filter(pk=instance.customer_id).values_list("pk"))
    obj = save_and_record(instance, user=user, expected_version=expected_version)
    if obj.is_primary:
        # the others stop being primary; their version moves on, so an open form of theirs goes stale
        Contact.objects.filter(customer_id=obj.customer_id, is_primary=True).exclude(pk=obj.pk).update(
            is_primary=False, version=F("version") + 1
        )
    return obj
