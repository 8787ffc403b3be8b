"""The periodic heartbeat task writes and updates the worker's heartbeat row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from serviceloop.core.models import WorkerHeartbeat
from serviceloop.core.tasks import beat, heartbeat


@pytest.mark.django_db
def test_heartbeat_task_creates_then_updates_the_row():
    assert HUEY.immediate  # settings run tasks in-process under pytest
    before = timezone.now()
    heartbeat()
    row = WorkerHeartbeat.objects.get(name="huey")
    assert row.count == 1
    assert row.beat_at >= before
    WorkerHeartbeat.objects.filter(pk=row.pk).update(beat_at=before - dt.timedelta(hours=1))
    heartbeat()
    row.refresh_from_db()
    assert row.count == 2
    assert row.beat_at >= before
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db
def test_beat_keeps_one_row_per_worker_name():
    beat("huey")
    beat("huey")
    beat("other")
    assert dict(WorkerHeartbeat.objects.values_list("name", "count")) == {"huey": 2, "other": 1}


def test_heartbeat_is_scheduled_every_minute():
    due = HUEY.read_periodic(dt.datetime(2026, 11, 21, 3, 17))
    assert any(isinstance(task, heartbeat.task_class) for task in due)
