"""The periodic task's fast path: rows instead of instances, the same deadlines, queries per chunk."""

from __future__ import annotations

from datetime import datetime

import pytest

from serviceloop.assets.tests.factories import ServiceContractFactory, UnitFactory
from serviceloop.core.workcalendar import SHANGHAI
from serviceloop.service import services
from serviceloop.service.models import Escalation, ServiceRequest
from serviceloop.service.sla.deadlines import summary
from serviceloop.service.sla.fastpath import evaluate_open_requests, evaluate_open_rows, verdict_of

from .factories import SlaPolicyFactory, frozen, new_request

pytestmark = pytest.mark.django_db


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def policies(db):
    return [
        SlaPolicyFactory(name="default", is_default=True, first_response_minutes=100, plan_decided_minutes=9000,
                         resolution_minutes=9000),
        SlaPolicyFactory(name="major", severity="major", first_response_minutes=30),
    ]


@pytest.fixture
def mixed(cast, policies):
    """Requests of both policies, one under a 24/7 contract, one paused, one answered."""
    unit = UnitFactory(customer=cast.customer_a)
    contract = ServiceContractFactory(customer=cast.customer_a, sla_level="24x7", end_date=sh(2027, 12, 31).date())
    contract.units.add(unit)
    made = []
    with frozen(sh(2026, 11, 19, 9, 0)):
        for k in range(5):
            made.append(new_request(actor=cast.desk, customer=cast.customer_a,
                                    severity="major" if k % 2 else "general"))
        made.append(new_request(actor=cast.desk, customer=cast.customer_a, unit=unit))
    with frozen(sh(2026, 11, 19, 9, 20)):
        services.sla_pause(service_request=made[1], reason="waiting_customer")
        services.request_start_review(actor=cast.desk, service_request=made[2])
    return made


@pytest.mark.parametrize("now", [sh(2026, 11, 19, 9, 10), sh(2026, 11, 20, 16, 0), sh(2026, 12, 30, 9, 0)])
def test_rows_give_the_verdicts_of_the_instances_deadlines(mixed, now):
    by_instance = {r.pk: found for r, found in evaluate_open_requests(now, chunk_size=4)}
    fast = {v.row.pk: v for chunk in evaluate_open_rows(now, chunk_size=4) for v in chunk}
    reference = {v.row.pk: v for chunk in evaluate_open_rows(now, chunk_size=4, fast=False) for v in chunk}
    assert len(fast) == 6
    assert fast == reference
    assert {pk: v.at_risk for pk, v in fast.items()} == {
        pk: verdict_of(fast[pk].row, found, 0.2).at_risk for pk, found in by_instance.items()
    }
    assert {pk: (v.due_at, v.breached) for pk, v in fast.items()} == {
        pk: summary(found) for pk, found in by_instance.items()
    }


def test_a_request_older_than_the_integer_clocks_span_is_checked_by_the_reference(cast, policies):
    with frozen(sh(2019, 3, 4, 9, 0)):
        old = new_request(actor=cast.desk, customer=cast.customer_a)
    now = sh(2026, 11, 20, 16, 0)
    (verdict,) = [v for chunk in evaluate_open_rows(now) for v in chunk]
    (found,) = [found for _r, found in evaluate_open_requests(now)]
    assert verdict.row.pk == old.pk
    assert verdict == verdict_of(verdict.row, found, 0.2)
    assert verdict.breached


def test_escalation_queries_do_not_grow_with_the_requests_at_risk(mixed, django_assert_max_num_queries):
    now = sh(2026, 11, 20, 16, 0)  # every first response is overdue
    services.sla_escalate(now=now)
    # overdue first responses: requests 0, 3 (major: also the GM office), 4 and 5; 1 is paused, 2 answered
    assert sorted(Escalation.objects.values_list("service_request_id", "level")) == sorted(
        [(mixed[0].pk, "service_manager"), (mixed[3].pk, "service_manager"), (mixed[3].pk, "gm_office"),
         (mixed[4].pk, "service_manager"), (mixed[5].pk, "service_manager")]
    )
    # steady state: the rows, their events and the recorded escalations of the (one) chunk, the empty
    # next chunk; the policies, company days and default calendar once. Not one query per request.
    with django_assert_max_num_queries(4 + 3):
        assert services.sla_escalate(now=now) == []
    stored = dict(ServiceRequest.objects.values_list("pk", "sla_breached"))
    assert stored == {r.pk: any(d.breached for d in found.values()) for r, found in evaluate_open_requests(now)}
