"""Requests nobody answered close FOLLOWUP_WAIT_DAYS days after their resolution, one by one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from serviceloop.core.timeline import events_for
from serviceloop.core.workcalendar import SHANGHAI
from serviceloop.feedback.services import close_unanswered
from serviceloop.feedback.tasks import close_unanswered_requests
from serviceloop.service.models import ServiceRequest
from serviceloop.service.tests.factories import frozen

from .factories import record_phone, resolved_request

pytestmark = pytest.mark.django_db

RESOLVED = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def wait_seven(settings):
    settings.FOLLOWUP_WAIT_DAYS = 7


@pytest.fixture
def resolved(cast, wait_seven):
    return resolved_request(actor=cast.desk, customer=cast.customer_a, at=RESOLVED)


def _status(request) -> str:
    return ServiceRequest.objects.get(pk=request.pk).status


def test_nothing_closes_before_the_wait_is_over(resolved):
    assert close_unanswered(now=RESOLVED + timedelta(days=7) - timedelta(seconds=1)) == 0
    assert _status(resolved) == "resolved"


def test_an_unanswered_request_closes_after_the_wait(resolved):
    now = RESOLVED + timedelta(days=7)
    assert close_unanswered(now=now) == 1
    request = ServiceRequest.objects.get(pk=resolved.pk)
    assert (request.status, request.closed_at) == ("closed", now)
    close = events_for(request).first()
    assert (close.verb, close.actor, close.data) == ("close", None, {"no_answer_days": 7})
    assert close_unanswered(now=now + timedelta(days=1)) == 0  # closed once


def test_the_wait_follows_the_setting(resolved, settings):
    settings.FOLLOWUP_WAIT_DAYS = 3
    assert close_unanswered(now=RESOLVED + timedelta(days=3)) == 1


def test_only_resolved_requests_are_closed(cast, resolved):
    with frozen(RESOLVED):
        answered = resolved_request(actor=cast.desk, customer=cast.customer_b)
        record_phone(actor=cast.desk, service_request=answered, satisfied=False, comments="仍有异常")  # back in progress
    later = resolved_request(actor=cast.desk, customer=cast.customer_b, at=RESOLVED + timedelta(days=5))
    assert close_unanswered(now=RESOLVED + timedelta(days=8)) == 1
    assert (_status(resolved), _status(answered), _status(later)) == ("closed", "in_progress", "resolved")


def test_one_request_that_cannot_close_does_not_stop_the_others(cast, resolved, monkeypatch):
    other = resolved_request(actor=cast.desk, customer=cast.customer_b, at=RESOLVED)
    from django.core.exceptions import ValidationError

    from serviceloop.feedback import services

    real = services.request_close

    def flaky(*, service_request, **kwargs):
        if service_request.pk == resolved.pk:
            raise ValidationError("changed meanwhile", code="illegal_transition")
        return real(service_request=service_request, **kwargs)

    monkeypatch.setattr(services, "request_close", flaky)
    assert close_unanswered(now=RESOLVED + timedelta(days=7)) == 1
    assert (_status(resolved), _status(other)) == ("resolved", "closed")


def test_the_periodic_task_closes_and_counts(resolved):
    with frozen(RESOLVED + timedelta(days=6)):
        assert close_unanswered_requests.call_local() == 0
    with frozen(RESOLVED + timedelta(days=7, hours=1)):
        assert close_unanswered_requests.call_local() == 1
    assert _status(resolved) == "closed"
