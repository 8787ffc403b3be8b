"""Notifications: notify, the channels, the inbox and its bell, and the SLA escalation handler."""

from __future__ import annotations

import json
from datetime import datetime
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core import notifications
from serviceloop.core.models import Notification, NotificationDelivery
from serviceloop.core.notifications import (
    Channel,
    WebhookChannel,
    deliver,
    inbox,
    mark_read,
    message_id,
    notify,
    unread_count,
)
from serviceloop.core.workcalendar import SHANGHAI

pytestmark = pytest.mark.django_db

EMAIL = "serviceloop.core.notifications.EmailChannel"
WEBHOOK = "serviceloop.core.notifications.WebhookChannel"


class BrokenChannel(Channel):
    name = "broken"

    def send(self, notification, *, idempotency_key):
        raise ConnectionError("gateway down")


class RecordingChannel(Channel):
    name = "recording"
    sent: list[int] = []

    def send(self, notification, *, idempotency_key):
        RecordingChannel.sent.append(notification.pk)
        return True


def _status(notification, channel):
    return NotificationDelivery.objects.get(notification=notification, channel=channel).status


BROKEN = f"{__name__}.BrokenChannel"
RECORDING = f"{__name__}.RecordingChannel"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    RecordingChannel.sent = []


@pytest.fixture
def people(db):
    return {
        "ann": UserFactory(username="ann", email="ann@example.com"),
        "bob": UserFactory(username="bob", email="bob@example.com"),
        "gone": UserFactory(username="gone", email="gone@example.com", is_active=False),
        "mute": UserFactory(username="mute", email=""),
    }


# ------------------------------------------------------------------ notify

def test_notify_dedupes_and_skips_inactive_and_none(people, settings):
    settings.NOTIFICATION_CHANNELS = []
    ann, bob, gone = people["ann"], people["bob"], people["gone"]
    rows = notify(recipients=[ann, bob, ann, None, gone, bob], kind="test", subject="Hello", body="Body", url="/x/")
    assert sorted(r.recipient.username for r in rows) == ["ann", "bob"]
    assert Notification.objects.count() == 2
    assert not Notification.objects.filter(recipient=gone).exists()
    assert notify(recipients=[gone, None], kind="test", subject="nobody") == []


def test_notify_links_the_record_and_trims_long_text(people, settings):
    settings.NOTIFICATION_CHANNELS = []
    other = people["bob"]
    (row,) = notify(recipients=[people["ann"]], kind="test", subject="S" * 300, url="/u" * 200, obj=other)
    row.refresh_from_db()
    assert len(row.subject) == 200 and len(row.url) == 300
    assert (row.content_type.model, row.object_id) == ("user", other.pk)


def test_email_goes_out_after_commit_and_is_recorded(people, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    settings.SITE_URL = "https://service.example.com/"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[people["ann"], people["mute"]], kind="test", subject="SLA", body="Due soon",
               url="/service/requests/1/")
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject) == (["ann@example.com"], "SLA")
    assert "Due soon" in message.body and "https://service.example.com/service/requests/1/" in message.body
    ann = Notification.objects.get(recipient=people["ann"])
    delivery = ann.deliveries.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "delivered", 1)
    assert delivery.delivered_at is not None
    assert message.extra_headers["Message-ID"] == message_id(delivery.idempotency_key)  # the idempotency key
    assert _status(Notification.objects.get(recipient=people["mute"]), "email") == "skipped"  # no address


def test_a_failing_channel_does_not_stop_the_others(people, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNELS = [BROKEN, EMAIL, RECORDING]
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(recipients=[people["ann"], people["bob"]], kind="test", subject="Hi")
    assert len(mail.outbox) == 2
    assert sorted(RecordingChannel.sent) == sorted(r.pk for r in rows)
    for row in Notification.objects.all():
        assert (_status(row, "email"), _status(row, "recording")) == ("delivered", "delivered")
        broken = row.deliveries.get(channel="broken")
        assert (broken.status, broken.attempts, broken.last_error) == ("pending", 1, "ConnectionError: gateway down")


def test_delivery_is_not_repeated_for_a_channel_already_done(people, settings):
    settings.NOTIFICATION_CHANNELS = [EMAIL]
    (row,) = notify(recipients=[people["ann"]], kind="test", subject="Once")
    assert deliver([row.pk]) == 1
    assert deliver([row.pk]) == 0
    assert len(mail.outbox) == 1


def test_webhook_refuses_a_url_that_is_not_http(people, settings):
    settings.NOTIFICATION_CHANNELS = []
    (row,) = notify(recipients=[people["ann"]], kind="test", subject="Hook")
    for url in ("file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)"):
        settings.NOTIFICATION_WEBHOOK_URL = url
        with mock.patch("urllib.request.urlopen") as urlopen, pytest.raises(ValueError):
            WebhookChannel().send(row, idempotency_key="k")
        urlopen.assert_not_called()
    settings.NOTIFICATION_CHANNELS = [WEBHOOK]
    settings.NOTIFICATION_WEBHOOK_URL = "file:///etc/passwd"
    (row,) = notify(recipients=[people["ann"]], kind="test", subject="Hook")
    assert deliver([row.pk]) == 0
    delivery = row.deliveries.get()
    assert delivery.status == "pending" and "http(s) URL" in delivery.last_error


def test_webhook_posts_json_to_an_http_url(people, settings):
    settings.NOTIFICATION_CHANNELS = [WEBHOOK]
    settings.NOTIFICATION_WEBHOOK_URL = "https://bridge.example.com/hook"
    (row,) = notify(recipients=[people["ann"]], kind="test", subject="Hook", body="B", url="/x/")
    key = row.deliveries.get().idempotency_key
    with mock.patch("urllib.request.urlopen") as urlopen:
        assert deliver([row.pk]) == 1
    request = urlopen.call_args.args[0]
    assert request.full_url == "https://bridge.example.com/hook"
    assert json.loads(request.data) == {"to": "ann", "phone": "", "subject": "Hook", "body": "B", "url": "/x/",
                                        "language": "en", "idempotency_key": key}
    assert request.get_header("Idempotency-key") == key
    assert _status(row, "webhook") == "delivered"


def test_webhook_without_a_url_sends_nothing(people, settings):
    settings.NOTIFICATION_WEBHOOK_URL = ""
    settings.NOTIFICATION_CHANNELS = []
    (row,) = notify(recipients=[people["ann"]], kind="test", subject="Hook")
    assert WebhookChannel().send(row, idempotency_key="k") is False


def test_unread_count_inbox_and_mark_read_are_per_person(people, settings):
    settings.NOTIFICATION_CHANNELS = []
    ann, bob = people["ann"], people["bob"]
    notify(recipients=[ann], kind="test", subject="first")
    notify(recipients=[ann, bob], kind="test", subject="second")
    assert [n.subject for n in inbox(ann)] == ["second", "first"]
    assert (unread_count(ann), unread_count(bob)) == (2, 1)
    assert mark_read(bob, [inbox(ann).first().pk]) == 0  # someone else's: untouched
    assert mark_read(ann) == 2
    assert (unread_count(ann), unread_count(bob)) == (0, 1)


def test_users_with_role_by_branch_includes_headquarters(cast, south):
    south_manager = UserFactory(username="south_mgr", branch=south, roles=["service_manager"])
    no_branch = UserFactory(username="floating_mgr", roles=["service_manager"])
    UserFactory(username="idle_mgr", roles=["service_manager"], is_active=False)
    names = {u.username for u in notifications.users_with_role("service_manager", branch=cast.customer_a.branch)}
    assert names == {"manager", no_branch.username}  # HQ's (branch HQ) and unassigned ones, not south's
    assert south_manager.username in {u.username for u in notifications.users_with_role("service_manager")}


def test_customer_users_are_the_active_portal_logins(cast):
    UserFactory(username="left", customer=cast.customer_a, is_active=False)
    assert {u.username for u in notifications.customer_users(cast.customer_a)} == {"owner", "colleague"}
    assert notifications.customer_users(None) == []


# ------------------------------------------------------------------ inbox page and bell

@pytest.fixture
def mailbox(cast, settings):
    settings.NOTIFICATION_CHANNELS = []
    mine = notify(recipients=[cast.desk], kind="test", subject="Desk alert", body="Look", url="/feedback/")[0]
    old = notify(recipients=[cast.desk], kind="test", subject="Old news", url="https://evil.example.com/")[0]
    mark_read(cast.desk, [old.pk])
    theirs = notify(recipients=[cast.manager], kind="test", subject="Manager secret")[0]
    return mine, old, theirs


def test_inbox_shows_only_own_newest_first_unread_bold(client, cast, mailbox):
    client.force_login(cast.desk)
    response = client.get(reverse("core:notifications"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Desk alert" in text and "Old news" in text and "Manager secret" not in text
    assert [n.subject for n in response.context["notifications"]] == ["Old news", "Desk alert"]
    assert text.count('data-unread="true"') == 1
    assert 'data-testid="mark-all-read"' in text


def test_the_bell_shows_the_unread_count(client, cast, mailbox):
    client.force_login(cast.desk)
    text = client.get(reverse("core:notifications")).content.decode()
    assert 'data-testid="notification-bell"' in text
    assert 'data-testid="unread-badge">1<' in text
    client.force_login(cast.owner)
    assert 'data-testid="unread-badge"' not in client.get(reverse("core:notifications")).content.decode()


def test_the_bell_caps_its_count(client, cast, settings):
    settings.NOTIFICATION_CHANNELS = []
    Notification.objects.bulk_create([
        Notification(recipient=cast.desk, kind="t", subject=str(i), created_at=datetime(2026, 1, 1, tzinfo=SHANGHAI))
        for i in range(120)
    ])
    client.force_login(cast.desk)
    assert 'data-testid="unread-badge">99+<' in client.get(reverse("core:notifications")).content.decode()


def test_opening_marks_read_and_follows_the_link(client, cast, mailbox):
    mine, old, theirs = mailbox
    client.force_login(cast.desk)
    response = client.get(reverse("core:notification_open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/feedback/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    # a link off the site is not followed
    response = client.get(reverse("core:notification_open", args=[old.pk]))
    assert response["Location"] == reverse("core:notifications")
    # someone else's is a 404 and stays unread
    assert client.get(reverse("core:notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_is_a_post_for_own_only(client, cast, mailbox):
    _mine, _old, theirs = mailbox
    client.force_login(cast.desk)
    assert client.get(reverse("core:notifications_mark_all_read")).status_code == 405
    response = client.post(reverse("core:notifications_mark_all_read"))
    assert response.status_code == 302
    assert unread_count(cast.desk) == 0 and unread_count(cast.manager) == 1


def test_the_inbox_pages_without_counting(client, cast, settings, django_assert_max_num_queries):
    settings.NOTIFICATION_CHANNELS = []
    Notification.objects.bulk_create([
        Notification(recipient=cast.desk, kind="t", subject=f"n{i}", created_at=datetime(2026, 1, 1, tzinfo=SHANGHAI))
        for i in range(30)
    ])
    client.force_login(cast.desk)
    first = client.get(reverse("core:notifications"))
    assert len(first.context["notifications"]) == 25 and first.context["has_next"]
    second = client.get(reverse("core:notifications"), {"page": "2"})
    assert len(second.context["notifications"]) == 5 and not second.context["has_next"]
    assert client.get(reverse("core:notifications"), {"page": "x"}).context["page"] == 1


def test_anonymous_users_are_sent_to_login(client, cast, mailbox):
    mine, _old, _theirs = mailbox
    for url in (reverse("core:notifications"), reverse("core:notification_open", args=[mine.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# ------------------------------------------------------------------ SLA escalations

def _sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def policy(db):
    from serviceloop.service.models import SlaPolicy
    from serviceloop.service.tests.factories import SlaPolicyFactory

    SlaPolicy.objects.all().delete()
    return SlaPolicyFactory(name="default", is_default=True, first_response_minutes=100,
                            plan_decided_minutes=9000, resolution_minutes=9000)


@pytest.fixture
def managers(cast, east, south, settings):
    settings.NOTIFICATION_CHANNELS = []
    return {
        "east": UserFactory(username="east_mgr", branch=east, roles=["service_manager"]),
        "south": UserFactory(username="south_mgr", branch=south, roles=["service_manager"]),
        "gm": UserFactory(username="gm", roles=["gm_office"]),
    }


def _request_at_nine(cast, **kwargs):
    from serviceloop.service.tests.factories import frozen, new_request

    with frozen(_sh(2026, 11, 19, 9, 0)):
        return new_request(actor=cast.desk, customer=cast.customer_a, **kwargs)


def test_the_escalation_handler_is_registered_at_startup():
    from serviceloop.core import registry
    from serviceloop.feedback.handlers import notify_escalations

    assert registry.escalation_hooks().count(notify_escalations) == 1


def test_about_to_breach_notifies_the_branch_and_hq_service_managers(cast, policy, managers,
                                                                      django_capture_on_commit_callbacks):
    from serviceloop.service.services import sla_escalate

    request = _request_at_nine(cast)
    with django_capture_on_commit_callbacks(execute=True):
        sla_escalate(now=_sh(2026, 11, 19, 10, 25))  # 15 of 100 minutes left
    rows = Notification.objects.filter(kind="sla_at_risk")
    assert {r.recipient.username for r in rows} == {"manager", "east_mgr"}  # not south's manager, not the GM
    row = rows.first()
    assert row.subject == f"SLA about to breach: {request.number}"
    assert "First response" in row.body and "2026-11-19 10:40" in row.body
    assert row.url == f"/service/requests/{request.pk}/"
    assert row.object_id == request.pk


def _backlog(cast, n_east: int, n_south: int) -> None:
    from serviceloop.service.tests.factories import frozen, new_request

    with frozen(_sh(2026, 11, 19, 9, 0)):
        for _i in range(n_east):
            new_request(actor=cast.desk, customer=cast.customer_a)
        for _i in range(n_south):
            new_request(actor=cast.desk, customer=cast.customer_b)


def _escalate_backlog(when):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from serviceloop.service.services import sla_escalate

    with CaptureQueriesContext(connection) as queries:
        created = sla_escalate(now=when)
    return created, len(queries)


def test_a_backlog_is_escalated_in_batches_with_one_notification_per_recipient(cast, policy, managers, settings):
    """After the worker was down, thousands of escalations at once: a few INSERTs per chunk, not a
    transaction and four queries per escalation, and each manager gets one digest, not one per request."""
    from serviceloop.core.timeline import events_for
    from serviceloop.service.models import Escalation, ServiceRequest

    _backlog(cast, 3, 2)
    few, few_queries = _escalate_backlog(_sh(2026, 11, 19, 11, 0))
    assert len(few) == 5
    Escalation.objects.all().delete()
    Notification.objects.all().delete()
    _backlog(cast, 30, 20)
    many, many_queries = _escalate_backlog(_sh(2026, 11, 19, 11, 0))
    assert len(many) == 55 and Escalation.objects.count() == 55
    assert many_queries <= few_queries + 2, (few_queries, many_queries)  # does not grow with the backlog
    rows = Notification.objects.filter(kind="sla_breached")
    per_person = {r.recipient.username: r for r in rows}
    assert sorted(per_person) == ["east_mgr", "manager", "south_mgr"] and rows.count() == 3  # one each
    assert per_person["manager"].subject == "SLA: 55 escalations, 55 breached"  # HQ sees every branch
    assert per_person["east_mgr"].subject == "SLA: 33 escalations, 33 breached"
    assert per_person["south_mgr"].subject == "SLA: 22 escalations, 22 breached"
    assert per_person["east_mgr"].body.count("\n") == 30 and "and 3 more" in per_person["east_mgr"].body
    assert per_person["east_mgr"].url == "/service/?breached=1"
    some = ServiceRequest.objects.filter(customer=cast.customer_b).first()
    assert [e.verb for e in events_for(some)].count("escalated") == 1
    # the next run finds everything recorded: nothing new, no notification
    assert _escalate_backlog(_sh(2026, 11, 19, 11, 5))[0] == []
    assert Notification.objects.filter(kind__startswith="sla_").count() == 3


def test_breached_major_request_also_notifies_the_gm_office(cast, policy, managers,
                                                            django_capture_on_commit_callbacks):
    from serviceloop.service.services import sla_escalate

    request = _request_at_nine(cast, severity="major")
    with django_capture_on_commit_callbacks(execute=True):
        sla_escalate(now=_sh(2026, 11, 19, 11, 0))
    breached = Notification.objects.filter(kind="sla_breached")
    assert sorted(r.recipient.username for r in breached) == ["east_mgr", "gm", "manager"]
    gm_row = breached.get(recipient=managers["gm"])
    assert gm_row.subject == f"SLA breached: {request.number}"
    assert "was due 2026-11-19 10:40" in gm_row.body


def test_the_handler_writes_in_the_site_language(cast, policy, managers, settings):
    from serviceloop.feedback.handlers import notify_escalations
    from serviceloop.service.models import Escalation

    settings.LANGUAGE_CODE = "zh-hans"
    request = _request_at_nine(cast)
    escalation = Escalation.objects.create(service_request=request, target="first_response", level="service_manager",
                                           at=_sh(2026, 11, 19, 11, 0), due_at=_sh(2026, 11, 19, 10, 40),
                                           breached=True)
    notify_escalations([escalation])
    row = Notification.objects.get(recipient=managers["east"])
    assert request.number in row.subject and "2026-11-19 10:40" in row.body


def test_a_handler_failure_never_stops_the_escalation(cast, policy, managers, django_capture_on_commit_callbacks):
    from serviceloop.service.models import Escalation
    from serviceloop.service.services import sla_escalate

    _request_at_nine(cast)
    with mock.patch("serviceloop.core.notifications.notify", side_effect=RuntimeError("boom")), \
            django_capture_on_commit_callbacks(execute=True):
        created = sla_escalate(now=_sh(2026, 11, 19, 11, 0))
    assert len(created) == 1 and Escalation.objects.count() == 1
    assert not Notification.objects.filter(kind__startswith="sla").exists()
