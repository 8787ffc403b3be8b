"""The access gate on every /api/v1/ endpoint: who sees which rows, 404 for the invisible."""

from __future__ import annotations

import pytest

from serviceloop.core.models import AuthorizationFailure
from tests.api.world import SEES, build_world, client_for, ids

USERS = list(SEES)

# endpoint -> the record of each customer side
CUSTOMER_RECORDS = {
    "customers": "customer",
    "sites": "site",
    "contacts": "contact",
    "sales-orders": "order",
    "units": "unit",
    "contracts": "contract",
}
# global reference data: who may read it at all
REFERENCE_READERS = {
    "product-models": {"owner", "colleague", "outsider", "east_staff", "south_staff", "desk", "manager"},
    "branches": {"east_staff", "south_staff", "desk", "manager"},
    "departments": {"east_staff", "south_staff", "desk", "manager"},
    "skills": {"east_staff", "south_staff", "desk", "manager"},
}
ENGINEERS_SEEN = {
    "east_staff": {"east"},
    "south_staff": {"south"},
    "desk": {"east", "south", "hq"},
    "manager": {"east", "south", "hq"},
}


@pytest.fixture
def world(cast):
    return build_world(cast)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(CUSTOMER_RECORDS))
@pytest.mark.parametrize("username", USERS)
def test_customer_records_list_and_detail(world, endpoint, username):
    attr = CUSTOMER_RECORDS[endpoint]
    record = {"a": getattr(world.a, attr), "b": getattr(world.b, attr)}
    client = client_for(world.user(username))
    listed = ids(client.get(f"/api/v1/{endpoint}/"))
    for side, obj in record.items():
        detail = client.get(f"/api/v1/{endpoint}/{obj.pk}/")
        if side in SEES[username]:
            assert obj.pk in listed
            assert detail.status_code == 200
            assert detail.json()["id"] == obj.pk
        else:
            assert obj.pk not in listed
            assert detail.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(REFERENCE_READERS))
@pytest.mark.parametrize("username", USERS)
def test_reference_data_list_and_detail(world, endpoint, username):
    client = client_for(world.user(username))
    listed = ids(client.get(f"/api/v1/{endpoint}/"))
    one = {
        "product-models": world.product_model,
        "branches": world.a.customer.branch,
        "departments": world.department,
        "skills": world.skill,
    }[endpoint]
    detail = client.get(f"/api/v1/{endpoint}/{one.pk}/")
    if username in REFERENCE_READERS[endpoint]:
        assert one.pk in listed
        assert detail.status_code == 200
    else:
        assert listed == set()
        assert detail.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("username", USERS)
def test_engineers_are_scoped_by_branch(world, username):
    engineers = {"east": world.engineer_east, "south": world.engineer_south, "hq": world.engineer_hq}
    client = client_for(world.user(username))
    listed = ids(client.get("/api/v1/engineers/"))
    seen = ENGINEERS_SEEN.get(username, set())
    assert listed == {engineers[key].pk for key in seen}
    for key, engineer in engineers.items():
        detail = client.get(f"/api/v1/engineers/{engineer.pk}/")
        assert detail.status_code == (200 if key in seen else 404)


@pytest.mark.django_db
@pytest.mark.parametrize("username", USERS)
def test_attachments_follow_their_record(world, username):
    client = client_for(world.user(username))
    for side in ("a", "b"):
        unit = getattr(world, side).unit
        attachment = getattr(world, side).attachment
        listing = client.get("/api/v1/attachments/", {"content_type": "assets.unit", "object_id": unit.pk})
        detail = client.get(f"/api/v1/attachments/{attachment.pk}/")
        download = client.get(f"/api/v1/attachments/{attachment.pk}/download/")
        if side in SEES[username]:
            assert ids(listing) == {attachment.pk}
            assert detail.status_code == 200
            assert download.status_code == 200
        else:
            assert listing.status_code == 404
            assert detail.status_code == 404
            assert download.status_code == 404


@pytest.mark.django_db
def test_unit_warranty_action_is_gated(world):
    path = f"/api/v1/units/{world.a.unit.pk}/warranty/"
    assert client_for(world.cast.owner).get(path).status_code == 200
    assert client_for(world.cast.east_staff).get(path).status_code == 200
    assert client_for(world.cast.outsider).get(path).status_code == 404
    assert client_for(world.cast.south_staff).get(path).status_code == 404
    assert client_for(world.cast.nobody).get(path).status_code == 404


ENDPOINTS = [*CUSTOMER_RECORDS, *REFERENCE_READERS, "engineers"]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unauthenticated_is_refused_and_audited(world, endpoint):
    client = client_for(None)
    before = AuthorizationFailure.objects.filter(outcome="unauthenticated").count()
    assert client.get(f"/api/v1/{endpoint}/").status_code in (401, 403)
    assert client.get(f"/api/v1/{endpoint}/1/").status_code in (401, 403)
    assert client.post(f"/api/v1/{endpoint}/", {}, format="json").status_code in (401, 403)
    assert AuthorizationFailure.objects.filter(outcome="unauthenticated").count() == before + 3
    row = AuthorizationFailure.objects.filter(outcome="unauthenticated").first()
    assert row.user is None
    assert row.path.startswith(f"/api/v1/{endpoint}/")


@pytest.mark.django_db
def test_unauthenticated_attachment_requests_are_refused(world):
    client = client_for(None)
    attachment = world.a.attachment
    assert client.get(f"/api/v1/attachments/{attachment.pk}/download/").status_code in (401, 403)
    assert client.get("/api/v1/attachments/", {"content_type": "assets.unit",
                                               "object_id": world.a.unit.pk}).status_code in (401, 403)
    assert client.get(f"/api/v1/units/{world.a.unit.pk}/warranty/").status_code in (401, 403)


@pytest.mark.django_db
def test_invisible_detail_writes_an_audit_row(world):
    client = client_for(world.cast.outsider)
    assert client.get(f"/api/v1/units/{world.a.unit.pk}/").status_code == 404
    row = AuthorizationFailure.objects.get(user=world.cast.outsider)
    assert row.outcome == "not_found"
    assert row.target.startswith("assets.Unit")
