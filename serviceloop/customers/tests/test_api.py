"""Customers, sites and contacts through the API: writes through the services, behind the gate."""

from __future__ import annotations

import pytest

from serviceloop.core.models import AuthorizationFailure, TimelineEvent
from serviceloop.customers.models import Contact, Customer, Site
from tests.api.world import build_world, client_for


@pytest.fixture
def world(cast):
    return build_world(cast)


def _url(endpoint, obj=None):
    return f"/api/v1/{endpoint}/" if obj is None else f"/api/v1/{endpoint}/{obj.pk}/"


# --- customers ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_desk_creates_a_customer(world):
    client = client_for(world.cast.desk)
    r = client.post(_url("customers"), {"code": "cn-sz-01", "name": "丙公司", "level": "A",
                                        "branch": world.b.customer.branch_id}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["code"] == "CN-SZ-01"  # the service normalises the code
    assert body["version"] == 1
    customer = Customer.objects.get(pk=body["id"])
    assert customer.updated_by == world.cast.desk
    assert TimelineEvent.objects.filter(object_id=customer.pk, verb="created", actor=world.cast.desk).exists()


@pytest.mark.django_db
def test_desk_updates_with_the_version_it_read(world):
    client = client_for(world.cast.desk)
    customer = world.a.customer
    read = client.get(_url("customers", customer)).json()
    r = client.patch(_url("customers", customer), {"name": "甲公司（集团）", "version": read["version"]},
                     format="json")
    assert r.status_code == 200, r.content
    assert r.json()["version"] == read["version"] + 1
    customer.refresh_from_db()
    assert customer.name == "甲公司（集团）"
    assert TimelineEvent.objects.filter(object_id=customer.pk, verb="updated").exists()


@pytest.mark.django_db
def test_full_update_without_version_overwrites_the_current(world):
    client = client_for(world.cast.desk)
    customer = world.a.customer
    payload = {"code": "CA", "name": "甲公司", "level": "C", "branch": customer.branch_id, "phone": "021-1234"}
    r = client.put(_url("customers", customer), payload, format="json")
    assert r.status_code == 200, r.content
    customer.refresh_from_db()
    assert (customer.level, customer.phone, customer.version) == ("C", "021-1234", 2)


@pytest.mark.django_db
def test_stale_version_is_a_409_and_changes_nothing(world):
    client = client_for(world.cast.desk)
    customer = world.a.customer
    stale = client.get(_url("customers", customer)).json()["version"]
    assert client.patch(_url("customers", customer), {"phone": "1"}, format="json").status_code == 200
    r = client.patch(_url("customers", customer), {"name": "覆盖", "version": stale}, format="json")
    assert r.status_code == 409
    assert "detail" in r.json()
    customer.refresh_from_db()
    assert customer.name == "甲公司"
    assert customer.version == stale + 1


@pytest.mark.django_db
def test_invalid_customer_is_400_with_field_messages_and_no_row(world):
    client = client_for(world.cast.desk)
    before = Customer.objects.count()
    r = client.post(_url("customers"), {"code": "bad code!", "name": "", "level": "Z"}, format="json")
    assert r.status_code == 400
    assert {"code", "name", "level", "branch"} <= set(r.json())
    # a duplicate code, after the service upper-cases it, is caught by full_clean
    r = client.post(_url("customers"), {"code": "ca", "name": "重复", "branch": world.a.customer.branch_id},
                    format="json")
    assert r.status_code == 400
    assert "code" in r.json()
    assert Customer.objects.count() == before
    assert not TimelineEvent.objects.filter(verb="created", content_type__model="customer").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["owner", "colleague"])
def test_portal_user_gets_403_on_its_own_customer(world, username):
    user = world.user(username)
    target = world.a.customer
    r = client_for(user).patch(_url("customers", target), {"name": "改名"}, format="json")
    assert r.status_code == 403
    target.refresh_from_db()
    assert target.name == "甲公司"
    assert AuthorizationFailure.objects.filter(user=user, outcome="forbidden").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["outsider", "south_staff", "nobody"])
def test_invisible_customer_update_is_404(world, username):
    client = client_for(world.user(username))
    assert client.patch(_url("customers", world.a.customer), {"name": "x"}, format="json").status_code == 404
    assert client.put(_url("customers", world.a.customer), {"name": "x"}, format="json").status_code == 404
    assert client.delete(_url("customers", world.a.customer)).status_code == 404
    world.a.customer.refresh_from_db()
    assert world.a.customer.name == "甲公司"


@pytest.mark.django_db
def test_portal_user_may_not_create(world):
    before = Customer.objects.count()
    r = client_for(world.cast.owner).post(_url("customers"), {"code": "X1", "name": "x",
                                                              "branch": world.a.customer.branch_id})
    assert r.status_code == 403
    assert Customer.objects.count() == before


@pytest.mark.django_db
def test_branch_staff_cannot_place_a_customer_in_another_region(world):
    client = client_for(world.cast.east_staff)
    before = Customer.objects.count()
    south = world.b.customer.branch_id
    r = client.post(_url("customers"), {"code": "E2", "name": "东部客户", "branch": south}, format="json")
    assert r.status_code == 400
    assert "branch" in r.json()
    r = client.patch(_url("customers", world.a.customer), {"branch": south}, format="json")
    assert r.status_code == 400
    assert Customer.objects.count() == before
    world.a.customer.refresh_from_db()
    assert world.a.customer.branch_id == world.cast.east_staff.branch_id
    # in its own region it may
    r = client.post(_url("customers"), {"code": "E2", "name": "东部客户",
                                        "branch": world.cast.east_staff.branch_id}, format="json")
    assert r.status_code == 201


@pytest.mark.django_db
def test_delete_needs_the_role_and_refuses_referenced_records(world):
    assert client_for(world.cast.desk).delete(_url("customers", world.a.customer)).status_code == 403
    manager = client_for(world.cast.manager)
    r = manager.delete(_url("customers", world.a.customer))  # units and orders refer to it
    assert r.status_code == 409
    assert Customer.objects.filter(pk=world.a.customer.pk).exists()
    r = manager.delete(_url("contacts", world.a.contact))
    assert r.status_code == 204
    assert not Contact.objects.filter(pk=world.a.contact.pk).exists()
    assert TimelineEvent.objects.filter(verb="deleted", object_id=world.a.contact.pk).exists()


# --- sites -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_desk_creates_and_updates_a_site(world):
    client = client_for(world.cast.desk)
    r = client.post(_url("sites"), {"customer": world.a.customer.pk, "name": "二号车间", "city": "苏州",
                                    "latitude": "31.300000", "longitude": "120.600000"}, format="json")
    assert r.status_code == 201, r.content
    site = Site.objects.get(pk=r.json()["id"])
    assert TimelineEvent.objects.filter(object_id=site.pk, verb="created", content_type__model="site").exists()
    r = client.patch(_url("sites", site), {"city": "无锡", "version": 1}, format="json")
    assert r.status_code == 200
    assert r.json()["version"] == 2


@pytest.mark.django_db
def test_invalid_site_writes_nothing(world):
    client = client_for(world.cast.desk)
    before = Site.objects.count()
    r = client.post(_url("sites"), {"customer": world.a.customer.pk, "name": world.a.site.name,
                                    "latitude": "123"}, format="json")
    assert r.status_code == 400
    assert "latitude" in r.json()
    r = client.post(_url("sites"), {"customer": world.a.customer.pk, "name": world.a.site.name}, format="json")
    assert r.status_code == 400  # the name is taken at this customer
    assert Site.objects.count() == before


@pytest.mark.django_db
def test_site_of_another_region_cannot_be_pointed_at(world):
    client = client_for(world.cast.east_staff)
    before = Site.objects.count()
    r = client.post(_url("sites"), {"customer": world.b.customer.pk, "name": "越界"}, format="json")
    assert r.status_code == 400
    assert "customer" in r.json()
    assert Site.objects.count() == before


@pytest.mark.django_db
def test_portal_user_gets_403_on_its_site_and_404_on_others(world):
    assert client_for(world.cast.owner).patch(_url("sites", world.a.site), {"city": "x"},
                                              format="json").status_code == 403
    assert client_for(world.cast.owner).patch(_url("sites", world.b.site), {"city": "x"},
                                              format="json").status_code == 404


@pytest.mark.django_db
def test_site_stale_version_is_409(world):
    client = client_for(world.cast.desk)
    assert client.patch(_url("sites", world.a.site), {"city": "一"}, format="json").status_code == 200
    r = client.patch(_url("sites", world.a.site), {"city": "二", "version": 1}, format="json")
    assert r.status_code == 409
    world.a.site.refresh_from_db()
    assert world.a.site.city == "一"


# --- contacts ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_desk_creates_a_primary_contact(world):
    client = client_for(world.cast.desk)
    world.a.contact.is_primary = True
    world.a.contact.save()
    r = client.post(_url("contacts"), {"customer": world.a.customer.pk, "site": world.a.site.pk, "name": "王工",
                                       "phone": "13900001111", "email": "wang@example.com", "is_primary": True},
                    format="json")
    assert r.status_code == 201, r.content
    world.a.contact.refresh_from_db()
    assert world.a.contact.is_primary is False  # only one primary contact per customer


@pytest.mark.django_db
def test_contact_with_a_site_of_another_customer_is_refused(world):
    client = client_for(world.cast.desk)
    before = Contact.objects.count()
    r = client.post(_url("contacts"), {"customer": world.a.customer.pk, "site": world.b.site.pk, "name": "李工"},
                    format="json")
    assert r.status_code == 400
    assert "site" in r.json()
    r = client.post(_url("contacts"), {"customer": world.a.customer.pk, "name": "李工", "email": "not-mail"},
                    format="json")
    assert r.status_code == 400
    assert "email" in r.json()
    assert Contact.objects.count() == before


@pytest.mark.django_db
def test_contact_updates_and_refusals(world):
    desk = client_for(world.cast.desk)
    r = desk.patch(_url("contacts", world.a.contact), {"title": "设备主管", "version": 1}, format="json")
    assert r.status_code == 200
    assert desk.patch(_url("contacts", world.a.contact), {"title": "x", "version": 1},
                      format="json").status_code == 409
    assert client_for(world.cast.colleague).patch(_url("contacts", world.a.contact), {"title": "y"},
                                                  format="json").status_code == 403
    assert client_for(world.cast.outsider).patch(_url("contacts", world.a.contact), {"title": "y"},
                                                 format="json").status_code == 404
    world.a.contact.refresh_from_db()
    assert world.a.contact.title == "设备主管"
