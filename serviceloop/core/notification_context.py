"""Context processor: the unread count of the bell in the top bar (one indexed, capped count, and
only when a page actually shows the bell)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

BADGE_CAP = 99


def _badge(user: Any) -> str:
    from .models import Notification

    n = Notification.objects.filter(recipient=user, read_at__isnull=True).order_by()[: BADGE_CAP + 1].count()
    if not n:
        return ""
    return f"{BADGE_CAP}+" if n > BADGE_CAP else str(n)


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": ""}
    return {"unread_notifications": SimpleLazyObject(lambda: _badge(user))}
