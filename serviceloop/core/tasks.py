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
def deliver_notifications(ids: list[int]) -> int:
    """Deliver notifications by e-mail and the other enabled channels (the in-app copy already exists)."""
    from .notifications import deliver

    return deliver(ids)
