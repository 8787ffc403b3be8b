"""Writes for customers, sites and contacts. Each validates, saves, and records a timeline event."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from serviceloop.core.concurrency import save_versioned
from serviceloop.core.timeline import record_event

from .models import Contact, Customer, Site


def _save(obj: Any, *, user: Any, expected_version: int | None) -> Any:
    creating = obj._state.adding
    obj.full_clean()
    save_versioned(obj, expected_version=expected_version, user=user)
    record_event(obj, actor=user, verb="created" if creating else "updated")
    return obj


@transaction.atomic
def customer_save(*, user: Any, instance: Customer, expected_version: int | None = None, **_: Any) -> Customer:
    instance.code = instance.code.strip().upper()
    return _save(instance, user=user, expected_version=expected_version)


@transaction.atomic
def site_save(*, user: Any, instance: Site, expected_version: int | None = None, **_: Any) -> Site:
    return _save(instance, user=user, expected_version=expected_version)


@transaction.atomic
def contact_save(*, user: Any, instance: Contact, expected_version: int | None = None, **_: Any) -> Contact:
    if instance.site_id and instance.site.customer_id != instance.customer_id:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _t

        raise ValidationError({"site": _t("This site belongs to another customer.")})
    obj = _save(instance, user=user, expected_version=expected_version)
    if obj.is_primary:
        Contact.objects.filter(customer_id=obj.customer_id, is_primary=True).exclude(pk=obj.pk).update(is_primary=False)
    return obj
