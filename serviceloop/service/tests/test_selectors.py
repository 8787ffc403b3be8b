"""Who sees which service requests: the conftest cast (owner/colleague/outsider, east/south)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.core.workcalendar import SHANGHAI
from serviceloop.service import services
from serviceloop.service.models import Review, ServiceRequest
from serviceloop.service.selectors import (
    escalations_visible_to,
    open_requests_for_unit,
    request_queue,
    requests_visible_to,
    reviews_of,
    sla_events_of,
)

from .factories import frozen, new_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(cast):
    a = new_request(actor=cast.desk, customer=cast.customer_a, title="A 的请求")
    b = new_request(actor=cast.desk, customer=cast.customer_b, title="B 的请求")
    return a, b


@pytest.mark.parametrize(
    ("user_key", "visible"),
    [("owner", {"CA"}), ("colleague", {"CA"}), ("outsider", {"CB"}), ("east_staff", {"CA"}),
     ("south_staff", {"CB"}), ("desk", {"CA", "CB"}), ("manager", {"CA", "CB"}), ("nobody", set())],
)
def test_requests_visible_to(cast, requests, user_key, visible):
    assert {r.customer.code for r in requests_visible_to(getattr(cast, user_key))} == visible


def test_anonymous_sees_nothing(requests):
    assert not requests_visible_to(AnonymousUser()).exists()


@pytest.mark.parametrize(
    ("user_key", "can_change"),
    [("owner", set()), ("east_staff", {"CA"}), ("south_staff", {"CB"}), ("desk", {"CA", "CB"})],
)
def test_who_may_change_requests(cast, requests, user_key, can_change):
    assert {r.customer.code for r in requests_visible_to(getattr(cast, user_key), "change")} == can_change


def test_customers_may_log_requests(cast):
    assert ServiceRequest.objects.restrict(cast.owner, "add").model is ServiceRequest
    assert cast.owner.has_perm("service.add_servicerequest")
    assert not cast.owner.has_perm("service.change_servicerequest")


def test_reviews_are_internal(cast, requests):
    a, _b = requests
    services.request_start_review(actor=cast.desk, service_request=a)
    services.review_record(actor=cast.manager, service_request=a, analysis="分析", opinion="意见", decided_plan="onsite")
    assert Review.objects.count() == 1
    assert reviews_of(cast.desk, a).count() == 1
    assert reviews_of(cast.east_staff, a).count() == 1
    assert reviews_of(cast.south_staff, a).count() == 0
    assert reviews_of(cast.owner, a).count() == 0


def test_sla_events_and_escalations_are_gated(cast, requests):
    a, _b = requests
    assert sla_events_of(cast.desk, a).count() == 1
    assert sla_events_of(cast.south_staff, a).count() == 0
    assert not escalations_visible_to(cast.owner).exists()


def test_queue_puts_the_nearest_deadline_first(cast):
    with frozen(datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)):
        later = new_request(actor=cast.desk, customer=cast.customer_a)
    with frozen(datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI)):
        sooner = new_request(actor=cast.desk, customer=cast.customer_a)
        done = new_request(actor=cast.desk, customer=cast.customer_a)
        services.request_cancel(actor=cast.desk, service_request=done, reason="重复")
    assert list(request_queue(cast.desk)) == [sooner, later]
    assert list(request_queue(cast.outsider)) == []


def test_open_requests_for_unit(cast):
    unit = UnitFactory(customer=cast.customer_a)
    request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    assert list(open_requests_for_unit(cast.owner, unit)) == [request]
    assert list(open_requests_for_unit(cast.outsider, unit)) == []


def test_the_list_loads_its_relations_in_one_query(cast, requests, django_assert_num_queries):
    rows = list(requests_visible_to(cast.manager))
    with django_assert_num_queries(0):
        assert {r.customer.name for r in rows} == {"甲公司", "乙公司"}
