"""Notifications (通知): one call, ``notify``, and channels behind an interface, delivered through an outbox.

``notify(recipients=..., kind=..., subject=..., body=..., url=..., obj=...)`` writes the in-app copy (a
``Notification`` row per person) and, in the SAME transaction, one ``NotificationDelivery`` row per enabled
channel (the outbox). After the commit a background task is queued per channel to deliver those rows; if
that never happens (the process died, the queue was down, the worker was killed while sending), the
periodic sweep finds the rows still pending and queues them again. So nothing written is lost.

Delivery is at-least-once, and never twice to a channel that honours the idempotency key:

- a worker claims one row at a time with a lease: ``UPDATE ... SET lease_until = now + lease WHERE
  status = 'pending' AND next_attempt_at <= now AND (lease_until IS NULL OR lease_until < now)``
  (on PostgreSQL after ``SELECT ... FOR UPDATE SKIP LOCKED``, so workers never wait for each other; on
  SQLite the conditional UPDATE alone is atomic), so two workers never send the same row at once;
- the channel gets the row's idempotency key (e-mail: the Message-ID; webhook: the Idempotency-Key header
  and the payload's ``idempotency_key``): the one send a dead worker may have made before it could record
  it and the send again by the next worker carry the same key, which receivers use to drop the copy;
- a failure is recorded on the row (attempts, last error) and retried after a growing delay
  (``NOTIFICATION_RETRY_BASE_SECONDS`` doubled per attempt, at most ``NOTIFICATION_RETRY_MAX_SECONDS``)
  until ``NOTIFICATION_MAX_ATTEMPTS``, then the row is given up (status "failed", shown on the system status
  page and in the admin, where "Deliver again" re-queues it).

A channel is a class with a ``name`` and a ``send(notification, *, idempotency_key)`` method that returns
True when sent, False when there is nothing to send (no address), and raises on failure; enable channels by
dotted path in ``settings.NOTIFICATION_CHANNELS``. E-mail is built in; SMS, WeCom or DingTalk are one more
class each (``WebhookChannel`` shows the shape: it posts JSON to ``NOTIFICATION_WEBHOOK_URL``).
"""

from __future__ import annotations

import json
import logging
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy, pgettext_lazy

from .fastpaths.compiled import CompiledQuery, int_param
from .messages import as_stored, as_text, language_of
from .models import DeliveryStatus, Notification, NotificationDelivery

log = logging.getLogger(__name__)

SWEEP_BATCH = 50  # rows per queued task: several workers share a backlog
ERROR_MAX = 2000


class Channel:
    """A way to reach a person. ``send`` returns True when sent, False when there is nothing to send,
    and raises on failure (the row is retried later)."""

    name = "channel"
    label: Any = pgettext_lazy("notification delivery", "channel")  # what the status page calls it

    def send(self, notification: Notification, *, idempotency_key: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


def message_id(idempotency_key: str) -> str:
    """The e-mail Message-ID of a delivery: the same on every worker and every attempt."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "serviceloop.localhost"
    return f"<notification.{idempotency_key}@{domain}>"


class EmailChannel(Channel):
    name = "email"
    label = gettext_lazy("E-mail")

    def send(self, notification: Notification, *, idempotency_key: str) -> bool:
        address = notification.recipient.email
        if not address:
            return False
        subject, body = in_language_of(notification.recipient, notification)
        if notification.url:
            body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address],
                     headers={"Message-ID": message_id(idempotency_key)}).send()
        return True


class WebhookChannel(Channel):
    """Posts {"to", "phone", "subject", "body", "url", "idempotency_key"} as JSON with the header
    Idempotency-Key: the shape for SMS / WeCom / DingTalk bridges (which drop a key they have seen)."""

    name = "webhook"
    label = gettext_lazy("Webhook (SMS / WeCom / DingTalk)")

    def send(self, notification: Notification, *, idempotency_key: str) -> bool:
        url = getattr(settings, "NOTIFICATION_WEBHOOK_URL", "")
        if not url:
            return False
        user = notification.recipient
        subject, body = in_language_of(user, notification)
        payload = json.dumps({
            "to": user.get_username(), "phone": getattr(user, "phone", ""), "subject": subject,
            "body": body, "url": notification.url, "language": language_of(user), "idempotency_key": idempotency_key,
        }).encode()
        if not url.startswith(("https://", "http://")):
            raise ValueError("NOTIFICATION_WEBHOOK_URL must be an http(s) URL")
        req = urllib.request.Request(  # noqa: S310
            url, data=payload, headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_key})
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - an http(s) URL from the operator's settings
            return True


def in_language_of(user: Any, notification: Notification) -> tuple[str, str]:
    """(subject, body) as the recipient reads them: in their own language setting, else the site's."""
    with translation.override(language_of(user)):
        return notification.display_subject, notification.display_body


def channels() -> list[Channel]:
    return [import_string(path)() for path in getattr(settings, "NOTIFICATION_CHANNELS", [])]


def notify(
    *, recipients: Iterable[Any], kind: str, subject: Any, body: Any = "", url: str = "", obj: Any = None,
) -> list[Notification]:
    """Write one in-app notification per distinct active recipient and, in the same transaction, its
    delivery row per enabled channel; the deliveries are queued after the commit (and swept if not).

    ``subject`` and ``body`` are stored messages (``core.messages.message(gettext_noop("..."), **params)``,
    ``join(...)``, a lazy translation): kept as key and parameters and shown in each reader's language; the
    text columns hold them as the recipient read them when written. Plain text (the old style) is stored
    and shown as it is."""
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
    names = list(dict.fromkeys(channel.name for channel in channels()))
    subject_key, body_key = as_stored(subject), as_stored(body)
    texts: dict[str, tuple[str, str]] = {}  # language -> (subject, body) as its readers read them now
    for user in people:
        language = language_of(user)
        if language not in texts:
            texts[language] = (as_text(subject, language=language), as_text(body, language=language))
    with transaction.atomic(savepoint=False):  # the caller's transaction when there is one: no savepoint
        rows = Notification.objects.bulk_create([
            Notification(recipient=user, kind=kind, subject=texts[language_of(user)][0][:200],
                         body=texts[language_of(user)][1], subject_message=subject_key, body_message=body_key,
                         url=url[:300], created_at=now, content_type=ct, object_id=obj.pk if obj is not None else None)
            for user in people
        ])
        if not names:
            return rows
        ids = [row.pk for row in rows if row.pk is not None]
        if len(ids) != len(rows):  # backends that do not return ids from bulk_create
            ids = list(Notification.objects.filter(kind=kind, created_at=now, recipient__in=people)
                       .values_list("pk", flat=True))
        deliveries = NotificationDelivery.objects.bulk_create([
            NotificationDelivery(notification_id=pk, channel=name, idempotency_key=uuid.uuid4().hex,
                                 created_at=now, next_attempt_at=now)
            for pk in ids for name in names
        ])
        by_channel: dict[str, list[int]] = {}
        for delivery in deliveries:
            if delivery.pk is not None:
                by_channel.setdefault(delivery.channel, []).append(delivery.pk)
        # robust: a queue that is down must not fail the caller after its commit; the sweep delivers later
        transaction.on_commit(lambda: _enqueue(by_channel), robust=True)
    return rows


def _enqueue(by_channel: dict[str, list[int]]) -> None:
    from .tasks import deliver_outbox

    for ids in by_channel.values():
        for start in range(0, len(ids), SWEEP_BATCH):
            deliver_outbox(ids[start:start + SWEEP_BATCH])


# ------------------------------------------------------------------ the outbox

def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: the base, doubled each time, capped."""
    base = max(_setting("NOTIFICATION_RETRY_BASE_SECONDS", 30), 1)
    cap = max(_setting("NOTIFICATION_RETRY_MAX_SECONDS", 3600), base)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _claimable(now: datetime):
    return NotificationDelivery.objects.filter(
        status=DeliveryStatus.PENDING, delivered_at__isnull=True, next_attempt_at__lte=now,
    ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def claim(pk: int, *, now: datetime | None = None) -> tuple[NotificationDelivery, str] | None:
    """Take one pending, due, unleased delivery for this worker: (row, lease token), or None when it is
    delivered, not due, or another worker holds it."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    lease = timedelta(seconds=max(_setting("NOTIFICATION_LEASE_SECONDS", 300), 1))
    with transaction.atomic():
        rows = _claimable(now).filter(pk=pk)
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: lock the row, or skip it at once when another worker is claiming it
            if not list(rows.select_for_update(skip_locked=True).values_list("pk", flat=True)):
                return None
        # the conditions again in the UPDATE itself: atomic on SQLite too, where FOR UPDATE does not exist
        updated = rows.update(lease_until=now + lease, lease_token=token, attempts=F("attempts") + 1,
                              last_attempt_at=now)
    if not updated:
        return None
    row = NotificationDelivery.objects.select_related("notification", "notification__recipient").get(pk=pk)
    return row, token


def _attempt(row: NotificationDelivery, token: str, enabled: dict[str, Channel]) -> bool:
    """Send one claimed row and record the outcome; True when the channel sent it."""
    channel = enabled.get(row.channel)
    mine = NotificationDelivery.objects.filter(pk=row.pk, status=DeliveryStatus.PENDING)
    if channel is None:
        mine.filter(lease_token=token).update(
            status=DeliveryStatus.FAILED, lease_until=None, lease_token="",
            last_error=f"channel {row.channel!r} is not enabled (NOTIFICATION_CHANNELS)")
        return False
    try:
        sent = channel.send(row.notification, idempotency_key=row.idempotency_key)
    except Exception as exc:  # one bad address or a down gateway never stops the others
        log.warning("notification %s: channel %s failed (attempt %s): %s", row.notification_id, row.channel,
                    row.attempts, exc)
        _failed(row, token, f"{type(exc).__name__}: {exc}")
        return False
    # sent is a fact whoever holds the lease now: record it (a later holder's send carried the same key)
    mine.update(status=DeliveryStatus.DELIVERED if sent else DeliveryStatus.SKIPPED,
                delivered_at=timezone.now() if sent else None, lease_until=None, lease_token="")
    return bool(sent)


def _failed(row: NotificationDelivery, token: str, error: str) -> None:
    now = timezone.now()
    mine = NotificationDelivery.objects.filter(pk=row.pk, status=DeliveryStatus.PENDING, lease_token=token)
    if row.attempts >= _setting("NOTIFICATION_MAX_ATTEMPTS", 10):
        mine.update(status=DeliveryStatus.FAILED, last_error=error[:ERROR_MAX], lease_until=None, lease_token="")
        log.error("notification %s: channel %s given up after %s attempts", row.notification_id, row.channel,
                  row.attempts)
        return
    delay = retry_delay(row.attempts)
    if mine.update(next_attempt_at=now + delay, last_error=error[:ERROR_MAX], lease_until=None, lease_token=""):
        _schedule_retry(row.pk, delay)


def _schedule_retry(pk: int, delay: timedelta) -> None:
    from .tasks import deliver_outbox

    try:
        deliver_outbox.schedule(([pk],), delay=delay.total_seconds())
    except Exception:  # the queue is down: the sweep finds the row when it is due
        log.warning("delivery %s: retry not queued; the sweep will find it", pk, exc_info=True)


def deliver_rows(ids: Iterable[int]) -> int:
    """Deliver these outbox rows, each claimed on its own (a worker that dies holds one lease at most);
    rows delivered, not due or held by another worker are left alone. Returns how many were sent."""
    enabled = {channel.name: channel for channel in channels()}
    sent = 0
    for pk in sorted(set(ids)):
        claimed = claim(pk)
        if claimed is not None:
            sent += _attempt(*claimed, enabled)
    return sent


def deliver(notification_ids: Iterable[int]) -> int:
    """Deliver the pending outbox rows of these notifications; returns how many were sent."""
    ids = NotificationDelivery.objects.filter(
        notification_id__in=list(notification_ids), status=DeliveryStatus.PENDING).values_list("pk", flat=True)
    return deliver_rows(list(ids))


def sweep(*, now: datetime | None = None, grace: int | None = None, limit: int = 10_000) -> int:
    """Queue the pending rows that are due and held by no live lease (never queued, their task lost, their
    worker dead, their retry not run), those ``grace`` seconds past due (left to their own task before).
    Returns how many rows were queued."""
    from .tasks import deliver_outbox

    now = now or timezone.now()
    grace = _setting("NOTIFICATION_SWEEP_GRACE_SECONDS", 60) if grace is None else grace
    ids = list(_claimable(now).filter(next_attempt_at__lte=now - timedelta(seconds=grace))
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for start in range(0, len(ids), SWEEP_BATCH):
        deliver_outbox(ids[start:start + SWEEP_BATCH])
    if ids:
        log.info("outbox sweep: %s deliveries queued again", len(ids))
    return len(ids)


def redeliver(ids: Iterable[int]) -> int:
    """Put given-up (or pending) rows back in the queue now: the admin's "Deliver again"; never a delivered one."""
    now = timezone.now()
    ids = list(NotificationDelivery.objects.filter(
        pk__in=list(ids), status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]).values_list("pk", flat=True))
    NotificationDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, lease_until=None, lease_token="", attempts=0)
    if ids:
        transaction.on_commit(lambda: _enqueue({"": ids}), robust=True)
    return len(ids)


def outbox_state(*, now: datetime | None = None) -> dict[str, Any]:
    """What the status page shows: per channel the rows pending (of them retrying and held by a worker),
    given up, delivered in the last 24 hours; the oldest pending row; the latest errors."""
    from django.db.models import Count, Min

    now = now or timezone.now()
    per: dict[str, dict[str, Any]] = {}

    labels = {cls.name: cls.label for cls in (EmailChannel, WebhookChannel)}  # built in, enabled or not
    labels.update({channel.name: channel.label for channel in channels()})

    def entry(channel: str) -> dict[str, Any]:
        return per.setdefault(channel, {"channel": channel, "label": labels.get(channel, channel), "pending": 0,
                                        "retrying": 0, "leased": 0, "failed": 0, "delivered_24h": 0})

    open_rows = NotificationDelivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
    for row in open_rows.values("channel", "status").annotate(
        n=Count("id"), retrying=Count("id", filter=Q(attempts__gt=0)),
        leased=Count("id", filter=Q(lease_until__gte=now)),
    ).order_by():
        e = entry(row["channel"])
        if row["status"] == DeliveryStatus.PENDING:
            e["pending"] += row["n"]
            e["retrying"] += row["retrying"]
            e["leased"] += row["leased"]
        else:
            e["failed"] += row["n"]
    for row in NotificationDelivery.objects.filter(delivered_at__gte=now - timedelta(hours=24)).values(
            "channel").annotate(n=Count("id")).order_by():
        entry(row["channel"])["delivered_24h"] += row["n"]
    oldest = NotificationDelivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(
        at=Min("created_at"))["at"]
    errors = list(NotificationDelivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
                  .exclude(last_error="").order_by("-last_attempt_at")
                  .select_related("notification")[:10])
    for row in errors:
        row.channel_label = labels.get(row.channel, row.channel)
    return {
        "channels": [per[name] for name in sorted(per)],
        "oldest_pending_at": oldest,
        "oldest_pending_minutes": int((now - oldest).total_seconds() // 60) if oldest else None,
        "errors": errors,
    }


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


def mark_done(target: Any, *kinds: str) -> int:
    """The notifications of ``kinds`` about ``target`` that asked someone to act (approve a dispatch, decide
    a help request) are done once somebody acted: mark them read for every recipient, in the caller's
    transaction (the step that acted), so nobody's inbox keeps asking for what is decided. Returns how many."""
    if target is None or target.pk is None or not kinds:
        return 0
    ct = ContentType.objects.get_for_model(target, for_concrete_model=True)
    return Notification.objects.filter(content_type=ct, object_id=target.pk, kind__in=kinds,
                                       read_at__isnull=True).update(read_at=timezone.now())


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
