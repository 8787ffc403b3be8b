"""The periodic escalation: at risk (< 20% left) or breached, recorded once per level."""

from __future__ import annotations

from datetime import datetime

import pytest

from serviceloop.core import registry
from serviceloop.core.timeline import events_for
from serviceloop.core.workcalendar import SHANGHAI
from serviceloop.service import services
from serviceloop.service.models import Escalation, ServiceRequest
from serviceloop.service.sla.fastpath import evaluate_open_requests
from serviceloop.service.tasks import escalate_sla

from .factories import SlaPolicyFactory, frozen, new_request

pytestmark = pytest.mark.django_db


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def policy(db):
    # first response 100 min, everything else far away
    return SlaPolicyFactory(
        name="default", is_default=True, first_response_minutes=100, plan_decided_minutes=9000,
        resolution_minutes=9000,
    )


@pytest.fixture
def request_at_nine(cast, policy):
    with frozen(sh(2026, 11, 19, 9, 0)):
        return new_request(actor=cast.desk, customer=cast.customer_a)


def escalations():
    return sorted(Escalation.objects.values_list("service_request__number", "target", "level", "breached"))


def test_nothing_is_escalated_while_time_is_ample(request_at_nine):
    assert services.sla_escalate(now=sh(2026, 11, 19, 9, 30)) == []
    assert not Escalation.objects.exists()


def test_about_to_breach_is_escalated_to_the_service_manager(request_at_nine):
    created = services.sla_escalate(now=sh(2026, 11, 19, 10, 25))  # 15 of 100 minutes left
    number = request_at_nine.number
    assert escalations() == [(number, "first_response", "service_manager", False)]
    assert [e.pk for e in created] == list(Escalation.objects.values_list("pk", flat=True))
    assert events_for(request_at_nine).first().verb == "escalated"


def test_escalation_is_recorded_once(request_at_nine):
    services.sla_escalate(now=sh(2026, 11, 19, 10, 25))
    assert services.sla_escalate(now=sh(2026, 11, 19, 11, 0)) == []  # now breached: still one row per level
    services.sla_escalate(now=sh(2026, 11, 19, 11, 5))
    assert Escalation.objects.count() == 1
    assert [e.verb for e in events_for(request_at_nine)].count("escalated") == 1


def test_breached_is_escalated_and_flagged_on_the_request(request_at_nine):
    services.sla_escalate(now=sh(2026, 11, 19, 11, 0))
    assert escalations() == [(request_at_nine.number, "first_response", "service_manager", True)]
    request_at_nine.refresh_from_db()
    assert request_at_nine.sla_breached


def test_major_severity_also_goes_to_the_gm_office(cast, policy):
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a, severity="major")
    services.sla_escalate(now=sh(2026, 11, 19, 11, 0))
    assert escalations() == [
        (request.number, "first_response", "gm_office", True),
        (request.number, "first_response", "service_manager", True),
    ]


def test_met_and_paused_clocks_are_not_escalated(cast, policy):
    with frozen(sh(2026, 11, 19, 9, 0)):
        met = new_request(actor=cast.desk, customer=cast.customer_a)
        services.request_start_review(actor=cast.desk, service_request=met)
        paused = new_request(actor=cast.desk, customer=cast.customer_a)
        services.sla_pause(service_request=paused, reason="waiting_customer")
    assert services.sla_escalate(now=sh(2026, 11, 19, 10, 25)) == []


def test_finished_requests_are_not_evaluated(cast, policy):
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a)
        services.request_cancel(actor=cast.desk, service_request=request, reason="重复")
    assert services.sla_escalate(now=sh(2026, 11, 25, 9, 0)) == []


def test_handlers_are_called_after_commit(request_at_nine, django_capture_on_commit_callbacks):
    seen = []
    registry.on_escalation(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_escalate(now=sh(2026, 11, 19, 11, 0))
    finally:
        registry.remove_escalation_hook(seen.append)
    assert [(e.target, e.level) for e in seen] == [("first_response", "service_manager")]


def test_evaluation_walks_chunks_with_few_queries(cast, policy, django_assert_max_num_queries):
    with frozen(sh(2026, 11, 19, 9, 0)):
        for _i in range(7):
            new_request(actor=cast.desk, customer=cast.customer_a)
    # per chunk of 3: requests + their events; plus calendar days and the default calendar once
    with django_assert_max_num_queries(2 * 3 + 1 + 2):
        found = list(evaluate_open_requests(sh(2026, 11, 19, 9, 30), chunk_size=3))
    assert len(found) == 7
    assert all(d["first_response"].due_at == sh(2026, 11, 19, 10, 40) for _r, d in found)


def test_the_periodic_task_runs_the_escalation(request_at_nine):
    with frozen(sh(2026, 11, 19, 11, 0)):
        assert escalate_sla.call_local() == 1
    assert ServiceRequest.objects.get(pk=request_at_nine.pk).sla_breached
