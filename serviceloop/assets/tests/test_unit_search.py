"""Unit list search and filters: what they find (the query shapes are tuned with bench/, not here)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.assets import selectors
from serviceloop.customers.tests.factories import ContactFactory, CustomerFactory

from .factories import ServiceContractFactory, UnitFactory

pytestmark = pytest.mark.django_db


def found(client, **params) -> set[str]:
    r = client.get(reverse("assets:unit_list"), params)
    assert r.status_code == 200
    return {u.serial_number for u in r.context["page"].rows()}


@pytest.fixture
def searchable(cast):
    hengda = CustomerFactory(code="HD01", name="苏州恒达精密机械有限公司", phone="0512-62001234", branch=cast.customer_a.branch)
    other = CustomerFactory(code="XY02", name="无锡鑫源电子有限公司", branch=cast.customer_b.branch)
    ContactFactory(customer=other, phone="13912345678")
    UnitFactory(serial_number="AB2401001", customer=cast.customer_a)
    UnitFactory(serial_number="HD0000001", customer=hengda)
    UnitFactory(serial_number="XY0000001", customer=other)
    return hengda, other


@pytest.mark.parametrize("q, expected", [
    ("ab2401", {"AB2401001"}),  # serial prefix, any case
    ("恒达", {"HD0000001"}),  # customer name contains
    ("hd01", {"HD0000001"}),  # customer code, any case (and no serial starts with HD01)
    ("1391234", {"XY0000001"}),  # a contact's phone prefix
    ("0512-6200", {"HD0000001"}),  # the customer's phone prefix
    ("有限公司", {"HD0000001", "XY0000001"}),
    ("没有这个", set()),
])
def test_search_by_serial_customer_and_phone(client, cast, searchable, q, expected):
    client.force_login(cast.desk)
    assert found(client, q=q) == expected


def test_broad_customer_match_keeps_every_match(client, cast, searchable, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_MATCHING_CUSTOMERS", 1)  # "有限公司" matches 2 customers: the subquery path
    client.force_login(cast.desk)
    assert found(client, q="有限公司") == {"HD0000001", "XY0000001"}


def test_search_stays_inside_the_branch(client, cast, searchable):
    client.force_login(cast.east_staff)
    assert found(client, q="有限公司") == {"HD0000001"}


@pytest.fixture
def warranty_world(cast):
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=3 * 365)
    in_warranty = UnitFactory(serial_number="W-IN", customer=cast.customer_a, ship_date=today - dt.timedelta(days=30))
    covered = UnitFactory(serial_number="W-CONTRACT", customer=cast.customer_a, ship_date=long_ago)
    lapsed = UnitFactory(serial_number="W-LAPSED", customer=cast.customer_b, ship_date=long_ago)
    UnitFactory(serial_number="W-NONE", customer=cast.customer_b, ship_date=long_ago)
    active = ServiceContractFactory(customer=cast.customer_a, start_date=today - dt.timedelta(days=10),
                                    end_date=today + dt.timedelta(days=300))
    active.units.add(covered, in_warranty)
    ended = ServiceContractFactory(customer=cast.customer_b, start_date=long_ago, end_date=today - dt.timedelta(days=1))
    ended.units.add(lapsed)
    return cast


@pytest.mark.parametrize("state, expected", [
    ("in_warranty", {"W-IN"}),
    ("contract", {"W-CONTRACT"}),
    ("chargeable", {"W-LAPSED", "W-NONE"}),
])
def test_warranty_state_filter(client, warranty_world, state, expected):
    client.force_login(warranty_world.desk)
    assert found(client, warranty=state) == expected


def test_branch_filter(client, warranty_world, east, south):
    client.force_login(warranty_world.desk)
    assert found(client, branch=east.pk) == {"W-IN", "W-CONTRACT"}
    assert found(client, branch=south.pk, warranty="chargeable") == {"W-LAPSED", "W-NONE"}
