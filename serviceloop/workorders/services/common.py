"""Small helpers the work order services share: who acts (``_has``, ``_require``), the locked row
(``_lock``), the status check, cleaned text and a typed time (``_time``, within ``CLOCK_SKEW``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import WorkOrderStatus
from ..models import WorkOrder

S = WorkOrderStatus
# a time typed on a phone a little ahead of the server clock is accepted
CLOCK_SKEW = timedelta(minutes=5)


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and bool(getattr(actor, "is_active", False))


def _user(actor: Any) -> Any:
    return actor if _authenticated(actor) else None


def _has(actor: Any, *perms: str) -> bool:
    """True when the actor holds any of ``perms``."""
    return _authenticated(actor) and any(actor.has_perm(p) for p in perms)


def _require(actor: Any, *perms: str, message: str | None = None) -> None:
    if not _has(actor, *perms):
        raise PermissionDenied(message or _("Your role does not allow this."))


def _lock(work_order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))  # PostgreSQL: lock the work order row only
        .select_related("service_request", "customer", "site", "unit", "unit__product_model", "branch")
        .get(pk=work_order.pk)
    )


def _require_status(work_order: WorkOrder, statuses: Iterable[str], message: str) -> None:
    if work_order.status not in set(statuses):
        raise ValidationError(message, code="wrong_status")


def _text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()


def _time(value: datetime | None, *, field: str, now: datetime, not_before: datetime | None = None) -> datetime:
    at = value or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SKEW:
        raise ValidationError({field: [_("The time cannot be in the future.")]})
    if not_before is not None and at < not_before:
        raise ValidationError({field: [_("The time cannot be before %(time)s.")
                                       % {"time": timezone.localtime(not_before).strftime("%Y-%m-%d %H:%M")}]})
    return at
