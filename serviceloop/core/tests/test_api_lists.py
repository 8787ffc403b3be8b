"""List endpoints: pages without COUNT(*), allow-listed ordering, search, filters, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.customers.tests.factories import CustomerFactory
from tests.api.world import build_world, client_for, ids


@pytest.fixture
def world(cast):
    return build_world(cast)


@pytest.mark.django_db
def test_pages_have_next_and_previous_but_no_count(world):
    for n in range(5):
        CustomerFactory(code=f"P{n}", branch=world.a.customer.branch)
    client = client_for(world.cast.desk)
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/v1/customers/", {"page_size": 3})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"next", "previous", "results"}
    assert "count" not in body
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert body["previous"] is None
    assert "page=2" in body["next"] and "page_size=3" in body["next"]
    assert [row["code"] for row in body["results"]] == ["CA", "CB", "P0"]

    second = client.get(body["next"]).json()
    assert [row["code"] for row in second["results"]] == ["P1", "P2", "P3"]
    assert second["previous"] and "page=1" in second["previous"]
    last = client.get(second["next"]).json()
    assert [row["code"] for row in last["results"]] == ["P4"]
    assert last["next"] is None


@pytest.mark.django_db
def test_bad_page_numbers_fall_back_to_the_first_page(world):
    client = client_for(world.cast.desk)
    for page in ("0", "-3", "abc", "99999999999999999999"):
        r = client.get("/api/v1/customers/", {"page": page, "page_size": "x"})
        assert r.status_code == 200
    r = client.get("/api/v1/customers/", {"page": "500"})
    assert r.json()["results"] == []
    assert r.json()["next"] is None


@pytest.mark.django_db
def test_ordering_is_allow_listed(world):
    client = client_for(world.cast.desk)
    codes = [row["code"] for row in client.get("/api/v1/customers/", {"ordering": "-code"}).json()["results"]]
    assert codes == ["CB", "CA"]
    # a field outside the allow-list is ignored: default order
    codes = [row["code"] for row in client.get("/api/v1/customers/", {"ordering": "note"}).json()["results"]]
    assert codes == ["CA", "CB"]
    r = client.get("/api/v1/customers/", {"ordering": "branch__users__password"})
    assert [row["code"] for row in r.json()["results"]] == ["CA", "CB"]


@pytest.mark.django_db
def test_search_uses_the_apps_search(world):
    client = client_for(world.cast.desk)
    assert ids(client.get("/api/v1/customers/", {"search": "甲"})) == {world.a.customer.pk}
    assert ids(client.get("/api/v1/units/", {"search": "sn-b"})) == {world.b.unit.pk}
    assert ids(client.get("/api/v1/units/", {"search": "乙公司"})) == {world.b.unit.pk}
    assert ids(client.get("/api/v1/sales-orders/", {"search": "SO-A"})) == {world.a.order.pk}
    assert ids(client.get("/api/v1/contracts/", {"search": "SC-B"})) == {world.b.contract.pk}
    assert ids(client.get("/api/v1/contacts/", {"search": "A 联系"})) == {world.a.contact.pk}
    assert ids(client.get("/api/v1/product-models/", {"search": "rf-8"})) == {world.product_model.pk}


@pytest.mark.django_db
def test_search_never_leaves_the_users_scope(world):
    client = client_for(world.cast.outsider)
    assert ids(client.get("/api/v1/units/", {"search": "SN-A"})) == set()
    assert ids(client.get("/api/v1/customers/", {"search": "甲"})) == set()


@pytest.mark.django_db
def test_null_characters_are_a_400(world):
    client = client_for(world.cast.desk)
    r = client.get("/api/v1/customers/", {"search": "a\x00b"})
    assert r.status_code == 400
    assert "search" in r.json()
    assert client.get("/api/v1/units/", {"ordering": "id\x00"}).status_code == 400
    assert client.get("/api/v1/sites/", {"city": "上\x00海"}).status_code == 400


@pytest.mark.django_db
def test_filters(world):
    client = client_for(world.cast.desk)
    assert ids(client.get("/api/v1/units/", {"customer": world.a.customer.pk})) == {world.a.unit.pk}
    assert ids(client.get("/api/v1/units/", {"branch": world.b.customer.branch_id})) == {world.b.unit.pk}
    assert ids(client.get("/api/v1/sites/", {"customer": world.b.customer.pk})) == {world.b.site.pk}
    assert ids(client.get("/api/v1/contracts/", {"unit": world.a.unit.pk})) == {world.a.contract.pk}
    assert ids(client.get("/api/v1/sales-orders/", {"order_date_from": "2026-01-01"})) == set()
    assert ids(client.get("/api/v1/engineers/", {"branch": world.cast.east_staff.branch_id})) == {
        world.engineer_east.pk}
    assert ids(client.get("/api/v1/engineers/", {"skill": world.skill.pk})) == {
        world.engineer_east.pk, world.engineer_south.pk, world.engineer_hq.pk}
    r = client.get("/api/v1/units/", {"status": "melted"})
    assert r.status_code == 400
    assert "status" in r.json()


@pytest.mark.django_db
def test_warranty_filter(world):
    UnitFactory(customer=world.a.customer, product_model=world.product_model, ship_date=dt.date(2010, 1, 1),
                serial_number="SN-OLD")
    client = client_for(world.cast.desk)
    chargeable = client.get("/api/v1/units/", {"warranty": "chargeable"}).json()["results"]
    assert "SN-OLD" in {row["serial_number"] for row in chargeable}


@pytest.mark.django_db
def test_filters_cannot_probe_invisible_records(world):
    client = client_for(world.cast.outsider)
    r = client.get("/api/v1/units/", {"customer": world.a.customer.pk})
    assert r.status_code == 400  # the same answer as for an id that does not exist
    assert r.json() == client.get("/api/v1/units/", {"customer": 999999}).json() | {
        "customer": r.json()["customer"]}


def _more_of_everything(world, n: int) -> None:
    from serviceloop.accounts.tests.factories import EngineerProfileFactory, EngineerSkillFactory
    from serviceloop.assets.tests.factories import SalesOrderLineFactory, ServiceContractFactory
    from serviceloop.customers.tests.factories import ContactFactory, SiteFactory

    for i in range(n):
        customer = CustomerFactory(branch=world.a.customer.branch)
        site = SiteFactory(customer=customer)
        ContactFactory(customer=customer, site=site)
        line = SalesOrderLineFactory(order__customer=customer, product_model=world.product_model)
        unit = UnitFactory(customer=customer, site=site, so_line=line, product_model=world.product_model)
        ServiceContractFactory(customer=customer).units.add(unit)
        EngineerSkillFactory(engineer=EngineerProfileFactory(user__branch=world.a.customer.branch),
                             skill=world.skill)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["customers", "sites", "contacts", "sales-orders", "units", "contracts",
                                      "product-models", "engineers", "branches"])
def test_list_queries_do_not_grow_with_rows(world, endpoint):
    client = client_for(world.cast.desk)
    client.get(f"/api/v1/{endpoint}/")  # warm the session and content-type caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{endpoint}/").status_code == 200
        return len(queries)

    few = count()
    _more_of_everything(world, 4)
    assert count() == few
