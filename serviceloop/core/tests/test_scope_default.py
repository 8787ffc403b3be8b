"""Scope is deny-by-default (issue 9): only headquarters roles see every record.

A user whose role is scoped (the customer role, branch office staff) but who lacks that scope on
the profile (no customer; no branch, or the headquarters "branch") sees nothing: empty lists and a
404 for every record, on the pages and in the API, with the fast paths on and off.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from serviceloop.accounts import roles
from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.api_urls import router
from serviceloop.core import scoping
from serviceloop.core.scoping import scope_of
from serviceloop.service.tests.factories import new_request
from tests.api.world import build_world, client_for

pytestmark = pytest.mark.django_db

ORPHANS = ["customer_role_without_customer", "branch_staff_without_branch", "branch_staff_at_headquarters"]


@pytest.fixture(params=[True, False], ids=["fastpaths", "plain"])
def fastpaths(request, settings):
    settings.FASTPATHS = request.param
    return request.param


@pytest.fixture
def world(cast):
    world = build_world(cast)
    world.request_a = new_request(actor=cast.desk, customer=world.a.customer, unit=world.a.unit)
    return world


def _orphan(kind: str, hq):
    if kind == "customer_role_without_customer":
        return UserFactory(username="orphan", roles=[roles.CUSTOMER])
    if kind == "branch_staff_without_branch":
        return UserFactory(username="orphan", roles=[roles.BRANCH_STAFF])
    return UserFactory(username="orphan", roles=[roles.BRANCH_STAFF], branch=hq)


def test_core_names_the_scoped_roles_as_accounts_does():
    assert scoping.CUSTOMER_ROLE == roles.CUSTOMER
    assert scoping.BRANCH_ROLE == roles.BRANCH_STAFF


@pytest.mark.parametrize("kind", ORPHANS)
def test_a_scoped_role_without_its_scope_has_no_scope(cast, hq, kind):
    assert scope_of(_orphan(kind, hq)).kind == "none"


def test_headquarters_roles_and_proper_scopes_are_unchanged(cast, hq):
    assert scope_of(cast.desk).kind == "all"
    assert scope_of(UserFactory(roles=[roles.QUALITY])).kind == "all"  # a headquarters role needs no branch
    assert scope_of(cast.east_staff) == scoping.Scope("branch", cast.east_staff.branch_id)
    assert scope_of(cast.owner) == scoping.Scope("customer", cast.customer_a.pk)
    # an engineer of a regional branch sees the branch's records, as before
    assert scope_of(UserFactory(roles=[roles.FIELD_ENGINEER], branch=cast.east_staff.branch)).kind == "branch"


def _list_prefixes() -> list[str]:
    return [prefix for prefix, _viewset, _basename in router.registry if prefix != "attachments"]


@pytest.mark.parametrize("kind", ORPHANS)
def test_the_api_shows_a_scoped_role_without_its_scope_nothing(world, hq, fastpaths, kind):
    client = client_for(_orphan(kind, hq))
    for prefix in _list_prefixes():
        r = client.get(f"/api/v1/{prefix}/")
        assert r.status_code == 200, (prefix, r.content)
        assert r.json()["results"] == [], prefix
    details = {
        "customers": world.a.customer, "sites": world.a.site, "contacts": world.a.contact, "units": world.a.unit,
        "sales-orders": world.a.order, "contracts": world.a.contract, "service-requests": world.request_a,
        "engineers": world.engineer_hq, "product-models": world.product_model, "branches": hq,
    }
    for prefix, obj in details.items():
        assert client.get(f"/api/v1/{prefix}/{obj.pk}/").status_code == 404, prefix
    r = client.get("/api/v1/attachments/", {"content_type": "assets.unit", "object_id": world.a.unit.pk})
    assert r.status_code == 404
    assert client.post("/api/v1/service-requests/", {"request_type": "fault_repair", "customer": world.a.customer.pk,
                                                      "title": "x"}, format="json").status_code == 403


@pytest.mark.parametrize("kind", ORPHANS)
def test_the_pages_show_a_scoped_role_without_its_scope_nothing(client, world, hq, fastpaths, kind):
    client.force_login(_orphan(kind, hq))
    for name in ["customers:list", "assets:unit_list", "service:list"]:
        r = client.get(reverse(name))
        assert r.status_code in (200, 403), name
        if r.status_code == 200:
            body = r.content.decode()
            assert world.a.customer.name not in body and world.b.customer.name not in body, name
    for url in [reverse("customers:detail", args=[world.a.customer.pk]),
                reverse("assets:unit_detail", args=[world.a.unit.pk]),
                reverse("service:detail", args=[world.request_a.pk])]:
        assert client.get(url).status_code == 404, url
