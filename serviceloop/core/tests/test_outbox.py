"""The notification outbox: rows written with the notification, claimed with a lease, retried with a growing
delay and recorded per channel, swept when their task was lost, never sent twice, shown on the status page
and in the admin. (The two-worker kill test is test_outbox_workers.py.)"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core import notifications
from serviceloop.core.models import Notification, NotificationDelivery
from serviceloop.core.notifications import Channel, claim, deliver, deliver_rows, notify, retry_delay, sweep
from serviceloop.core.workcalendar import SHANGHAI

pytestmark = pytest.mark.django_db

EMAIL = "serviceloop.core.notifications.EmailChannel"
T0 = datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)


class FlakyChannel(Channel):
    """Fails ``failures`` times, then sends; remembers what it got."""

    name = "flaky"
    failures = 0
    calls: list[tuple[int, str]] = []

    def send(self, notification, *, idempotency_key):
        FlakyChannel.calls.append((notification.pk, idempotency_key))
        if len(FlakyChannel.calls) <= FlakyChannel.failures:
            raise TimeoutError(f"gateway timeout #{len(FlakyChannel.calls)}")
        return True


FLAKY = f"{__name__}.FlakyChannel"


@contextmanager
def at(moment: datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    settings.NOTIFICATION_LEASE_SECONDS = 300
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 60
    FlakyChannel.failures = 0
    FlakyChannel.calls = []
    with translation.override("en"):
        yield


@pytest.fixture
def ann(db):
    return UserFactory(username="ann", email="ann@example.com")


def test_the_delivery_rows_are_written_in_the_notifications_transaction(ann, settings):
    settings.NOTIFICATION_CHANNELS = [EMAIL, FLAKY]
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[ann], kind="test", subject="rolled back")
        assert NotificationDelivery.objects.count() == 2
        raise RuntimeError
    assert not Notification.objects.exists() and not NotificationDelivery.objects.exists()
    (row,) = notify(recipients=[ann], kind="test", subject="kept")
    assert sorted(row.deliveries.values_list("channel", "status")) == [("email", "pending"), ("flaky", "pending")]
    keys = set(NotificationDelivery.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 2 and all(len(k) == 32 for k in keys)


def test_a_task_lost_after_the_commit_is_delivered_by_the_sweep(ann, settings, django_capture_on_commit_callbacks):
    """The process dies between the commit and queueing the task (the on-commit callback never runs)."""
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    with at(T0), django_capture_on_commit_callbacks(execute=False):
        (row,) = notify(recipients=[ann], kind="test", subject="not lost")
    assert mail.outbox == []
    with at(T0 + timedelta(seconds=30)):
        assert sweep() == 0  # still within the grace its own task has
    with at(T0 + timedelta(seconds=61)):
        assert sweep() == 1  # queued again (huey runs it at once in tests)
    assert [m.subject for m in mail.outbox] == ["not lost"]
    assert row.deliveries.get().status == "delivered"
    with at(T0 + timedelta(hours=1)):
        assert sweep() == 0 and deliver([row.pk]) == 0
    assert len(mail.outbox) == 1  # never twice


def test_a_queue_that_is_down_at_commit_does_not_fail_the_caller(ann, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    with mock.patch("serviceloop.core.tasks.deliver_outbox", side_effect=ConnectionError("redis down")), \
            django_capture_on_commit_callbacks(execute=True):
        (row,) = notify(recipients=[ann], kind="test", subject="later")
    assert row.deliveries.get().status == "pending"
    with at(timezone_now() + timedelta(minutes=2)):
        sweep()
    assert row.deliveries.get().status == "delivered"


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_a_failure_is_retried_with_a_growing_delay_and_recorded(ann, settings):
    settings.NOTIFICATION_CHANNELS = [FLAKY]
    FlakyChannel.failures = 2
    with at(T0):
        (row,) = notify(recipients=[ann], kind="test", subject="flaky")
    delivery = row.deliveries.get()
    scheduled = []
    with mock.patch("serviceloop.core.tasks.deliver_outbox.schedule",
                    side_effect=lambda args, delay: scheduled.append((args, delay))):
        with at(T0):
            assert deliver_rows([delivery.pk]) == 0  # attempt 1 fails
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_error) == (
            "pending", 1, "TimeoutError: gateway timeout #1")
        assert delivery.last_attempt_at == T0 and delivery.next_attempt_at == T0 + timedelta(seconds=30)
        assert delivery.lease_until is None and delivery.delivered_at is None
        with at(T0 + timedelta(seconds=10)):
            assert deliver_rows([delivery.pk]) == 0  # not due yet: not even tried
        assert len(FlakyChannel.calls) == 1
        with at(T0 + timedelta(seconds=30)):
            deliver_rows([delivery.pk])  # attempt 2 fails: twice the delay
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_error) == (2, "TimeoutError: gateway timeout #2")
        assert delivery.next_attempt_at == T0 + timedelta(seconds=30 + 60)
        with at(T0 + timedelta(seconds=90)):
            assert deliver_rows([delivery.pk]) == 1  # attempt 3 sends
    assert scheduled == [(([delivery.pk],), 30.0), (([delivery.pk],), 60.0)]  # the retries were queued
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == ("delivered", 3, T0 + timedelta(seconds=90))
    assert delivery.last_error == "TimeoutError: gateway timeout #2"  # kept: what went wrong before
    assert {key for _pk, key in FlakyChannel.calls} == {delivery.idempotency_key}  # one key for every attempt


def test_retry_delays_double_up_to_the_cap(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 300
    assert [retry_delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_after_the_last_attempt_the_row_is_given_up_then_can_be_delivered_again(ann, settings, client,
                                                                             django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNELS = [FLAKY]
    FlakyChannel.failures = 99
    moment = T0
    with at(moment):
        (row,) = notify(recipients=[ann], kind="test", subject="hopeless")
    delivery = row.deliveries.get()
    with mock.patch("serviceloop.core.tasks.deliver_outbox.schedule"):
        for _attempt in range(4):
            with at(moment):
                deliver_rows([delivery.pk])
            delivery.refresh_from_db()
            moment = delivery.next_attempt_at
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    with at(moment + timedelta(days=1)):
        assert sweep() == 0  # given up: the sweep leaves it
    # the status page and the admin show it; the admin's action queues it again
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("core:status")).content.decode()
    assert 'data-testid="outbox"' in page and 'data-channel="flaky"' in page
    assert "gateway timeout #4" in page
    changelist = reverse("admin:core_notificationdelivery_changelist")
    listing = client.get(changelist, {"status": "failed"})
    assert listing.status_code == 200 and "hopeless" in listing.content.decode()
    assert client.get(reverse("admin:core_notificationdelivery_change", args=[delivery.pk])).status_code == 200
    FlakyChannel.failures = 0
    FlakyChannel.calls = []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "deliver_again", "_selected_action": [delivery.pk]},
                               follow=True)
    assert "1 deliveries queued again." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(FlakyChannel.calls) == 1


def test_a_delivered_row_is_never_delivered_again(ann, settings):
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    (row,) = notify(recipients=[ann], kind="test", subject="once")
    assert deliver([row.pk]) == 1
    delivery = row.deliveries.get()
    assert claim(delivery.pk) is None
    notifications.redeliver([delivery.pk])  # the admin action leaves delivered rows alone
    assert deliver([row.pk]) == 0 and deliver_rows([delivery.pk]) == 0
    assert len(mail.outbox) == 1


def test_a_claimed_row_waits_for_its_lease_then_goes_out_with_the_same_key(ann, settings):
    """A worker claimed the row and died: nobody else takes it until the lease runs out; then the sweep
    queues it and the e-mail carries the Message-ID the dead worker may already have used."""
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    with at(T0):
        (row,) = notify(recipients=[ann], kind="test", subject="leased")
    delivery = row.deliveries.get()
    with at(T0):
        claimed = claim(delivery.pk)  # the worker that will die
    assert claimed is not None
    with at(T0 + timedelta(seconds=1)):
        assert claim(delivery.pk) is None  # a second worker does not get it
    with at(T0 + timedelta(seconds=299)):
        assert sweep() == 0 and deliver_rows([delivery.pk]) == 0  # lease still running
    assert mail.outbox == []
    with at(T0 + timedelta(seconds=301)):
        assert sweep() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert mail.outbox[0].extra_headers["Message-ID"] == notifications.message_id(delivery.idempotency_key)
    assert "<notification." in mail.outbox[0].message()["Message-ID"]


def test_a_channel_no_longer_enabled_gives_the_row_up(ann, settings):
    settings.NOTIFICATION_CHANNELS = [FLAKY]
    (row,) = notify(recipients=[ann], kind="test", subject="orphan")
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    deliver([row.pk])
    delivery = row.deliveries.get()
    assert delivery.status == "failed" and "not enabled" in delivery.last_error


def test_claims_use_skip_locked_on_postgresql_and_a_conditional_update_everywhere(ann, settings):
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    (row,) = notify(recipients=[ann], kind="test", subject="sql")
    delivery = row.deliveries.get()
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert claim(delivery.pk) is not None
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "UPDATE" in sql and "LEASE_UNTIL" in sql and "DELIVERED_AT" in sql
    if connection.features.has_select_for_update_skip_locked:
        assert "FOR UPDATE SKIP LOCKED" in sql


def test_the_status_page_shows_the_outbox(ann, settings, client):
    settings.NOTIFICATION_CHANNELS = [EMAIL, FLAKY]
    FlakyChannel.failures = 1
    with mock.patch("serviceloop.core.tasks.deliver_outbox.schedule"):
        notify(recipients=[ann, UserFactory(username="bob", email="bob@example.com")], kind="test", subject="s")
        deliver(Notification.objects.values_list("pk", flat=True))
    state = notifications.outbox_state()
    by = {c["channel"]: c for c in state["channels"]}
    assert by["email"]["delivered_24h"] == 2 and by["email"]["pending"] == 0
    assert (by["flaky"]["pending"], by["flaky"]["retrying"], by["flaky"]["delivered_24h"]) == (1, 1, 1)
    assert state["oldest_pending_at"] is not None
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("core:status")).content.decode()
    assert "Notification delivery" in page and 'data-testid="outbox-oldest"' in page
    assert "gateway timeout #1" in page


# ------------------------------------------------------------------ escalations

def test_an_escalations_notification_commits_with_the_escalation(cast, east, settings,
                                                                 django_capture_on_commit_callbacks):
    """Before: the notification was written by an on-commit callback, lost if the process died after the
    escalation's commit. Now it and its outbox rows are in the escalation's own transaction."""
    from serviceloop.service.models import Escalation, SlaPolicy
    from serviceloop.service.services import sla_escalate
    from serviceloop.service.tests.factories import SlaPolicyFactory, frozen, new_request

    settings.NOTIFICATION_CHANNELS = [EMAIL]
    SlaPolicy.objects.all().delete()
    SlaPolicyFactory(name="default", is_default=True, first_response_minutes=100, plan_decided_minutes=9000,
                     resolution_minutes=9000)
    with frozen(T0):
        new_request(actor=cast.desk, customer=cast.customer_a)
    with django_capture_on_commit_callbacks(execute=False):  # nothing after the commits runs
        created = sla_escalate(now=T0 + timedelta(minutes=85))
    assert len(created) == 1 and Escalation.objects.count() == 1
    rows = Notification.objects.filter(kind="sla_at_risk")
    assert {r.recipient.username for r in rows} == {"manager"}
    assert NotificationDelivery.objects.filter(notification__in=rows, status="pending").count() == rows.count()


def test_a_hook_that_breaks_the_database_never_stops_the_escalation(cast, settings,
                                                                    django_capture_on_commit_callbacks):
    from serviceloop.core import registry
    from serviceloop.service.models import Escalation, SlaPolicy
    from serviceloop.service.services import sla_escalate
    from serviceloop.service.tests.factories import SlaPolicyFactory, frozen, new_request

    def broken_hook(escalation):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    settings.NOTIFICATION_CHANNELS = []
    SlaPolicy.objects.all().delete()
    SlaPolicyFactory(name="default", is_default=True, first_response_minutes=100, plan_decided_minutes=9000,
                     resolution_minutes=9000)
    with frozen(T0):
        new_request(actor=cast.desk, customer=cast.customer_a)
    registry.on_escalation(broken_hook)
    try:
        hooks = registry.escalation_hooks()
        assert hooks.index(broken_hook) > 0  # the notification hook runs first, the broken one after
        created = sla_escalate(now=T0 + timedelta(minutes=85))
    finally:
        registry.remove_escalation_hook(broken_hook)
    assert len(created) == 1 and Escalation.objects.count() == 1
    assert Notification.objects.filter(kind="sla_at_risk").exists()  # the other hook's work stays


def test_the_status_page_speaks_chinese_about_the_outbox(ann, settings, client):
    from serviceloop.core.tests.test_i18n import english_words

    settings.NOTIFICATION_CHANNELS = [EMAIL]
    notify(recipients=[ann], kind="test", subject="主题")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    client.cookies["django_language"] = "zh-hans"
    with translation.override("zh-hans"):
        page = client.get(reverse("core:status")).content.decode()
    assert "通知发送" in page and "电子邮件" in page and "待发送" in page
    rest = page[page.index('data-testid="outbox"'):].split(">", 1)[1]  # the outbox table and what follows
    assert english_words(rest) == set()
