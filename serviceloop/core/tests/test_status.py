"""The system status page: worker running / silent, and who may open it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.models import AuthorizationFailure, WorkerHeartbeat
from serviceloop.core.tasks import heartbeat

URL = reverse("core:status")


@pytest.fixture
def sysadmin(hq):
    return UserFactory(username="sysadmin", branch=hq, roles=["sysadmin"])


@pytest.fixture
def en_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _heartbeat_cell(response) -> str:
    match = re.search(r'data-testid="heartbeat">(.*?)</dd>', response.content.decode(), re.S)
    assert match, "heartbeat cell missing"
    return match.group(1)


@pytest.mark.django_db
def test_fresh_beat_shows_running(en_client, sysadmin):
    heartbeat()
    en_client.force_login(sysadmin)
    r = en_client.get(URL)
    assert r.status_code == 200
    cell = _heartbeat_cell(r)
    assert "running" in cell and "silent" not in cell
    assert "text-bg-success" in cell


@pytest.mark.django_db
def test_stale_beat_shows_silent(en_client, sysadmin):
    heartbeat()
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(minutes=10))
    en_client.force_login(sysadmin)
    cell = _heartbeat_cell(en_client.get(URL))
    assert "silent" in cell and "running" not in cell
    assert "text-bg-danger" in cell


@pytest.mark.django_db
def test_no_beat_yet(en_client, sysadmin):
    en_client.force_login(sysadmin)
    cell = _heartbeat_cell(en_client.get(URL))
    assert "no heartbeat yet" in cell


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sysadmin", "gm_office"])
def test_status_page_open_to_sysadmin_and_gm_office(client, hq, role):
    client.force_login(UserFactory(branch=hq, roles=[role]))
    assert client.get(URL).status_code == 200
    assert not AuthorizationFailure.objects.exists()


@pytest.mark.django_db
def test_status_page_forbidden_to_customer_and_service_desk(client, cast):
    for user in (cast.owner, cast.desk):
        client.force_login(user)
        assert client.get(URL).status_code == 403
    rows = AuthorizationFailure.objects.order_by("id")
    assert [(r.user, r.path, r.outcome) for r in rows] == [
        (cast.owner, URL, "forbidden"),
        (cast.desk, URL, "forbidden"),
    ]


@pytest.mark.django_db
def test_status_page_lists_refused_accesses(en_client, cast, sysadmin):
    en_client.force_login(cast.outsider)
    en_client.get(reverse("customers:detail", args=[cast.customer_a.pk]))
    en_client.force_login(sysadmin)
    body = en_client.get(URL).content.decode()
    assert "outsider" in body and "not_found" in body
