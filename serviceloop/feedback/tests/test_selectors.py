"""Reads through the gate: who sees which follow-ups, waiting requests and complaints."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from serviceloop.core.workcalendar import SHANGHAI
from serviceloop.feedback import selectors

from .factories import open_complaint, record_phone, resolved_request

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world(cast):
    a_old = resolved_request(actor=cast.desk, customer=cast.customer_a, at=T0)
    a_new = resolved_request(actor=cast.desk, customer=cast.customer_a, at=T0 + timedelta(days=2))
    b = resolved_request(actor=cast.desk, customer=cast.customer_b, at=T0 + timedelta(days=1))
    a_done = resolved_request(actor=cast.desk, customer=cast.customer_a, at=T0)
    follow_up = record_phone(actor=cast.desk, service_request=a_done)
    b_done = resolved_request(actor=cast.desk, customer=cast.customer_b, at=T0)
    complaint = open_complaint(actor=cast.desk, service_request=b_done)
    return {"a_old": a_old, "a_new": a_new, "b": b, "a_done": a_done, "follow_up": follow_up,
            "b_done": b_done, "complaint": complaint}


def _numbers(qs):
    return [r.number for r in qs]


@pytest.mark.parametrize(
    ("who", "sees"),
    [("desk", ["a_old", "b", "a_new"]), ("manager", ["a_old", "b", "a_new"]), ("owner", ["a_old", "a_new"]),
     ("outsider", ["b"]), ("east_staff", ["a_old", "a_new"]), ("south_staff", ["b"]), ("nobody", [])],
)
def test_awaiting_follow_up_oldest_first_within_scope(cast, world, who, sees):
    assert _numbers(selectors.awaiting_follow_up(getattr(cast, who))) == [world[k].number for k in sees]


def test_awaiting_follow_up_loads_the_customer_in_the_same_query(cast, world, django_assert_num_queries):
    rows = list(selectors.awaiting_follow_up(cast.desk))
    with django_assert_num_queries(0):
        assert [r.customer.branch.code for r in rows]


@pytest.mark.parametrize(
    ("who", "count"),
    [("desk", 1), ("owner", 1), ("colleague", 1), ("east_staff", 1), ("outsider", 0), ("south_staff", 0),
     ("nobody", 0)],
)
def test_follow_ups_of_a_request(cast, world, who, count):
    assert selectors.follow_ups_of(getattr(cast, who), world["a_done"]).count() == count


@pytest.mark.parametrize(
    ("who", "sees"),
    [("desk", True), ("manager", True), ("south_staff", True), ("east_staff", False), ("outsider", True),
     ("owner", False), ("nobody", False)],
)
def test_complaints_visible_to(cast, world, who, sees):
    visible = list(selectors.complaints_visible_to(getattr(cast, who)))
    assert (visible == [world["complaint"]]) is sees
    if not sees:
        assert visible == []
