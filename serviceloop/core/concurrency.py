"""Optimistic locking: the second of two concurrent edits is refused, never silently lost."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _


class StaleEditError(ValidationError):
    pass


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def save_versioned(obj: models.Model, *, expected_version: int | None, user: Any) -> None:
    """Save ``obj`` if nobody saved it since ``expected_version``, bumping the version.

    The version is claimed with one conditional UPDATE, then the object is saved normally (so
    django-simple-history records it). Raises StaleEditError("modified by X at T") otherwise.
    """
    obj.updated_by = _user_or_none(user)
    using = obj._state.db or router.db_for_write(type(obj))
    if obj._state.adding and transaction.get_connection(using).in_atomic_block:
        # a new row inside the caller's transaction: nothing to claim, and the row and its history row
        # commit or roll back with the caller's work, so no savepoint of its own (two statements less)
        obj.save(using=using)
        return
    with transaction.atomic(using=using):
        _save_versioned(obj, expected_version=expected_version)


def stale_error(current: models.Model) -> StaleEditError:
    """"Modified by X at T": the refusal of an edit made on an older version of ``current``."""
    editor = getattr(current, "updated_by", None)
    who = (editor.get_full_name() or editor.get_username()) if editor else _("another user")
    when = timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M:%S")
    return StaleEditError(
        _("This record was modified by %(who)s at %(when)s. Reload it and apply your change again.")
        % {"who": who, "when": when},
        code="stale",
    )


def check_version(obj: models.Model, expected_version: int | None) -> None:
    """Refuse a step taken on an older version of ``obj`` (a locked row): the one check every service
    makes with the version its caller read. ``None``: the caller did not say (no check)."""
    if expected_version is not None and expected_version != obj.version:
        raise stale_error(obj)


def _save_versioned(obj: models.Model, *, expected_version: int | None) -> None:
    if obj._state.adding:
        obj.save()
        return
    model = type(obj)
    expected = obj.version if expected_version is None else expected_version
    claimed = model._default_manager.filter(pk=obj.pk, version=expected).update(version=expected + 1)
    if not claimed:
        current = model._default_manager.select_related("updated_by").filter(pk=obj.pk).first()
        if current is None:
            raise StaleEditError(_("This record was deleted by another user in the meantime."), code="deleted")
        raise stale_error(current)
    obj.version = expected + 1
    obj.save()


def save_and_record(obj: models.Model, *, user: Any, expected_version: int | None) -> models.Model:
    """The common write of a master-data service: validate, save with the version check, and record
    a "created" or "updated" timeline event. Call it inside the service's transaction."""
    from .timeline import record_event

    creating = obj._state.adding
    obj.full_clean()
    save_versioned(obj, expected_version=expected_version, user=user)
    record_event(obj, actor=user, verb="created" if creating else "updated")
    return obj
