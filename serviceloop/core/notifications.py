"""Notifications (通知): one call, ``notify``, and channels behind an interface.

``notify(recipients=..., kind=..., subject=..., body=..., url=..., obj=...)`` writes the in-app
copy (a ``Notification`` row per person) and, after the transaction commits, hands each row to
every other enabled channel in a background task. A channel is a class with a ``name`` and a
``send(notification)`` method; enable channels by dotted path in ``settings.NOTIFICATION_CHANNELS``.
E-mail is built in; SMS, WeCom or DingTalk are one more class each (``WebhookChannel`` shows the
shape: it posts JSON to ``NOTIFICATION_WEBHOOK_URL``).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .fastpaths.compiled import CompiledQuery, int_param
from .models import Notification

log = logging.getLogger(__name__)


class Channel:
    """A way to reach a person. ``send`` raises on failure; the task logs it and goes on."""

    name = "channel"

    def send(self, notification: Notification) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def send(self, notification: Notification) -> bool:
        address = notification.recipient.email
        if not address:
            return False
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
        send_mail(notification.subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        return True


class WebhookChannel(Channel):
    """Posts {"to", "phone", "subject", "body", "url"} as JSON: the shape for SMS / WeCom / DingTalk bridges."""

    name = "webhook"

    def send(self, notification: Notification) -> bool:
        url = getattr(settings, "NOTIFICATION_WEBHOOK_URL", "")
        if not url:
            return False
        user = notification.recipient
        payload = json.dumps({
            "to": user.get_username(), "phone": getattr(user, "phone", ""), "subject": notification.subject,
            "body": notification.body, "url": notification.url,
        }).encode()
        if not url.startswith(("https://", "http://")):
            raise ValueError("NOTIFICATION_WEBHOOK_URL must be an http(s) URL")
        req = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - an http(s) URL from the operator's settings
            return True


def channels() -> list[Channel]:
    return [import_string(path)() for path in getattr(settings, "NOTIFICATION_CHANNELS", [])]


def notify(
    *, recipients: Iterable[Any], kind: str, subject: str, body: str = "", url: str = "", obj: Any = None,
) -> list[Notification]:
    """Write one in-app notification per distinct active recipient; deliver by the other channels after commit."""
    seen: set[int] = set()
    people = []
    for user in recipients:
        if user is None or not getattr(user, "is_active", False) or user.pk in seen:
            continue
        seen.add(user.pk)
        people.append(user)
    if not people:
        return []
    now = timezone.now()
    if not url and obj is not None and hasattr(obj, "get_absolute_url"):
        url = obj.get_absolute_url()  # the notification opens its record
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True) if obj is not None else None
    rows = Notification.objects.bulk_create([
        Notification(recipient=user, kind=kind, subject=subject[:200], body=body, url=url[:300], created_at=now,
                     content_type=ct, object_id=obj.pk if obj is not None else None)
        for user in people
    ])
    ids = [row.pk for row in rows if row.pk is not None]
    if not ids:  # backends that do not return ids from bulk_create
        ids = list(Notification.objects.filter(kind=kind, created_at=now).values_list("pk", flat=True))
    if getattr(settings, "NOTIFICATION_CHANNELS", []):
        from .tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications(ids))
    return rows


def deliver(ids: list[int]) -> int:
    """Hand each notification to every enabled channel; returns how many deliveries succeeded."""
    sent = 0
    enabled = channels()
    for notification in Notification.objects.filter(pk__in=ids).select_related("recipient"):
        done = list(notification.channels_sent)
        for channel in enabled:
            if channel.name in done:
                continue
            try:
                if channel.send(notification):
                    done.append(channel.name)
                    sent += 1
            except Exception:  # one bad address or a down webhook never stops the others
                log.exception("notification %s: channel %s failed", notification.pk, channel.name)
        if done != notification.channels_sent:
            Notification.objects.filter(pk=notification.pk).update(channels_sent=done)
    return sent


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox(user: Any):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def _customer_users_query(customer: Any):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(customer=customer, is_active=True)


_CUSTOMER_USERS = CompiledQuery(_customer_users_query, int_param(0))  # once per request intake: compiled


def customer_users(customer: Any) -> list[Any]:
    """The customer's active portal logins."""
    if customer is None:
        return []
    if customer.pk is None:
        return list(_customer_users_query(customer))  # what the ORM says about an unsaved customer
    return _CUSTOMER_USERS.all(customer.pk)


def users_with_role(role: str, *, branch: Any = None) -> list[Any]:
    """Active staff in a role; with ``branch``, those of that branch plus headquarters staff (no branch,
    or a headquarters branch: the same rule as the access scope)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    qs = get_user_model().objects.filter(groups__name=role, is_active=True, customer__isnull=True)
    if branch is not None:
        qs = qs.filter(Q(branch=branch) | Q(branch__isnull=True) | Q(branch__is_headquarters=True))
    return list(qs.distinct())
