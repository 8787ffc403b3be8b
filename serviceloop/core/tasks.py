from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import WorkerHeartbeat


def beat(name: str = "huey") -> WorkerHeartbeat:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(name=name).update(beat_at=now, count=F("count") + 1)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(name=name, defaults={"beat_at": now, "count": 1})
    return WorkerHeartbeat.objects.get(name=name)


@db_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Every minute: proves the worker runs; shown on the system status page."""
    beat()


@db_task()
def deliver_outbox(delivery_ids: list[int]) -> int:
    """Deliver these outbox rows (core/notifications.py: claimed one by one with a lease, sent with their
    idempotency key, failures retried later with a growing delay). Queued after the notification's commit,
    by a retry, and by the sweep."""
    from .notifications import deliver_rows

    return deliver_rows(delivery_ids)


@db_task()
def deliver_notifications(ids: list[int]) -> int:
    """The pending outbox rows of these notifications (the task earlier versions queued)."""
    from .notifications import deliver

    return deliver(ids)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Every minute: queue again the deliveries still pending whose task was lost or whose worker died
    (their lease ran out)."""
    from .notifications import sweep

    return sweep()
