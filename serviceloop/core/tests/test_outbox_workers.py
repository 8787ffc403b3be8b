"""Two real huey workers (manage.py run_huey) on PostgreSQL + Redis; one is killed with SIGKILL while it
delivers a notification: every notification still reaches every channel, exactly once.

The workers run against this test run's PostgreSQL database and a Redis queue of their own (a unique
HUEY_NAME); the channels are the probes of outbox_probe.py, which log to files that outlive the killed
worker. Every row is queued twice (the sweep command, run twice) so the two workers also race for the
same rows. One notification ("BLOCK") hangs its first sender mid-delivery; that worker is killed, its
task is gone from the queue with it, the row stays claimed until its lease runs out, then the sweep
queues it again and the surviving worker delivers it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.models import NotificationDelivery
from serviceloop.core.notifications import notify

ROOT = Path(settings.BASE_DIR)
CHANNELS = "serviceloop.core.tests.outbox_probe.ProbeChannel,serviceloop.core.tests.outbox_probe.OtherProbeChannel"
LEASE = 20  # seconds: the killed worker's claim runs out this soon (long enough that the other worker
# reaches its duplicate of the hanging row while the claim holds, even on a busy machine)
NOTIFICATIONS = 30


def _wait(what, predicate, timeout=90.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db.get("PASSWORD"):
        auth = f"{auth}:{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:  # on PostgreSQL (CI) this test must run: no skip
        pytest.fail(f"the two-worker outbox test needs Redis at {url}: {exc}")
    return url


def _lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_one_killed_mid_delivery_every_notification_once_per_channel(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("real workers share the database: runs on PostgreSQL (make pytest-pg, CI)")
    redis_url = _redis_url()
    probe = tmp_path / "probe"
    (probe / "accepted").mkdir(parents=True)
    queue = f"outbox-test-{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(
        DATABASE_URL=_database_url(), DB_CONN_MAX_AGE="0", REDIS_URL=redis_url, HUEY_NAME=queue, HUEY_IMMEDIATE="0",
        NOTIFICATION_CHANNELS=CHANNELS, NOTIFICATION_LEASE_SECONDS=str(LEASE), NOTIFICATION_SWEEP_GRACE_SECONDS="0",
        OUTBOX_PROBE_DIR=str(probe), DJANGO_SETTINGS_MODULE="serviceloop.settings", SECRET_KEY="outbox-test",
        VAR_DIR=str(tmp_path / "var"), DEBUG="false", PYTHONUNBUFFERED="1",
    )

    # the notifications, written as the app writes them (their own on-commit tasks left out: the workers
    # get every row from the sweep, twice)
    settings.NOTIFICATION_CHANNELS = CHANNELS.split(",")
    people = [UserFactory(username=f"p{i}", email=f"p{i}@example.com") for i in range(NOTIFICATIONS + 1)]
    with mock.patch("serviceloop.core.notifications._enqueue"):
        for i, person in enumerate(people[:NOTIFICATIONS]):
            notify(recipients=[person], kind="test", subject=f"N{i}")
        (blocked_row,) = notify(recipients=[people[-1]], kind="test", subject="BLOCK")
    expected = {(channel, key) for channel, key in NotificationDelivery.objects.values_list("channel",
                                                                                            "idempotency_key")}
    assert len(expected) == (NOTIFICATIONS + 1) * 2
    blocked = NotificationDelivery.objects.get(notification=blocked_row, channel="probe_a")

    def manage(*args, **kwargs):
        return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env,
                                stdout=kwargs.get("stdout", subprocess.DEVNULL), stderr=subprocess.STDOUT,
                                start_new_session=True)

    def sweep_once():
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "outbox_sweep", "--grace", "0"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return int(re.search(r"\d+", done.stdout).group())

    logs = [open(tmp_path / f"worker{i}.log", "wb") for i in (1, 2)]  # noqa: SIM115 - closed in finally
    workers = [manage("run_huey", "--workers", "1", "--worker-type", "thread", "--no-periodic", "-v", "1",
                      stdout=log) for log in logs]
    try:
        assert sweep_once() == len(expected)
        sweep_once()  # every row queued twice: the two workers race for the same rows

        pid = int(_wait("a worker to hang mid-delivery", lambda: (probe / "blocked").exists()
                        and (probe / "blocked").read_text()))
        victim = next(w for w in workers if w.pid == pid)
        survivor = next(w for w in workers if w.pid != pid)
        blocked.refresh_from_db()
        assert blocked.status == "pending" and blocked.lease_until is not None and blocked.attempts == 1
        os.kill(victim.pid, signal.SIGKILL)  # the task it popped from the queue dies with it
        victim.wait(timeout=30)
        assert survivor.poll() is None

        # the survivor delivers everything else; the killed worker's row waits for its lease
        _wait("every other delivery", lambda: NotificationDelivery.objects.exclude(pk=blocked.pk).filter(
            status="delivered").count() == len(expected) - 1)
        blocked.refresh_from_db()
        assert blocked.status == "pending" and blocked.delivered_at is None
        time.sleep(LEASE + 0.5)
        assert sweep_once() == 1  # what the periodic sweep does every minute
        _wait("the killed worker's delivery", lambda: NotificationDelivery.objects.filter(
            pk=blocked.pk, status="delivered").exists())
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
        for log in logs:
            log.close()
        from huey import RedisHuey

        RedisHuey(queue, url=redis_url).storage.flush_all()

    # none lost, none doubled: every (channel, key) sent once, the receiver never saw a key twice
    sent = _lines(probe / "sent.log")
    assert sorted((channel, key) for _pid, channel, _n, key in sent) == sorted(expected)
    assert not (probe / "duplicates.log").exists()
    assert len(list((probe / "accepted").iterdir())) == len(expected)
    rows = list(NotificationDelivery.objects.values_list("status", "attempts", "pk"))
    assert all(status == "delivered" for status, _a, _pk in rows)
    assert sorted(attempts for _s, attempts, pk in rows if pk != blocked.pk) == [1] * (len(expected) - 1)
    blocked.refresh_from_db()
    assert blocked.attempts == 2  # the killed attempt and the one that went through
    # the blocked row: tried by the killed worker, then sent (same key) by the survivor
    tries = [(int(p), key) for p, channel, _n, key in _lines(probe / "attempts.log") if key == blocked.idempotency_key]
    assert tries == [(victim.pid, blocked.idempotency_key), (survivor.pid, blocked.idempotency_key)]
    assert [int(p) for p, _c, _n, key in sent if key == blocked.idempotency_key] == [survivor.pid]
