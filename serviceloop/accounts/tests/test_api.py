"""Reference data and engineers through the API: read-only, engineers scoped by branch."""

from __future__ import annotations

import pytest

from serviceloop.accounts.models import Branch
from tests.api.world import build_world, client_for, ids


@pytest.fixture
def world(cast):
    return build_world(cast)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["branches", "departments", "skills", "engineers"])
def test_reference_endpoints_are_read_only(world, endpoint):
    client = client_for(world.cast.manager)
    one = client.get(f"/api/v1/{endpoint}/").json()["results"][0]["id"]
    assert client.post(f"/api/v1/{endpoint}/", {"code": "X", "name": "x"}, format="json").status_code == 405
    assert client.patch(f"/api/v1/{endpoint}/{one}/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/{endpoint}/{one}/").status_code == 405


@pytest.mark.django_db
def test_branches(world):
    client = client_for(world.cast.desk)
    rows = client.get("/api/v1/branches/").json()["results"]
    assert [row["code"] for row in rows] == ["EAST", "HQ", "SOUTH"]
    assert ids(client.get("/api/v1/branches/", {"is_headquarters": "true"})) == {
        Branch.objects.get(code="HQ").pk}
    assert ids(client.get("/api/v1/branches/", {"search": "华南"})) == {Branch.objects.get(code="SOUTH").pk}


@pytest.mark.django_db
def test_departments_and_skills(world):
    client = client_for(world.cast.east_staff)
    assert client.get(f"/api/v1/departments/{world.department.pk}/").json() == {
        "id": world.department.pk, "code": "SVC", "name": "售后服务部"}
    assert client.get(f"/api/v1/skills/{world.skill.pk}/").json() == {
        "id": world.skill.pk, "code": "SMT", "name": "SMT 设备"}


@pytest.mark.django_db
def test_engineer_with_nested_skills(world):
    engineer = world.engineer_east
    body = client_for(world.cast.east_staff).get(f"/api/v1/engineers/{engineer.pk}/").json()
    assert body["username"] == "eng_east"
    assert body["name"] == str(engineer.user)
    assert body["branch"] == world.cast.east_staff.branch_id
    assert body["home_city"] == "east"
    assert body["skills"] == [{"skill": world.skill.pk, "code": "SMT", "name": "SMT 设备", "level": 3}]
    assert "password" not in body


@pytest.mark.django_db
def test_engineers_of_another_branch_are_invisible(world):
    client = client_for(world.cast.south_staff)
    assert ids(client.get("/api/v1/engineers/")) == {world.engineer_south.pk}
    assert client.get(f"/api/v1/engineers/{world.engineer_east.pk}/").status_code == 404
    assert client.get(f"/api/v1/engineers/{world.engineer_hq.pk}/").status_code == 404


@pytest.mark.django_db
def test_portal_users_see_no_staff_data(world):
    client = client_for(world.cast.owner)
    for endpoint in ("branches", "departments", "skills", "engineers"):
        assert client.get(f"/api/v1/{endpoint}/").json()["results"] == []
    assert client.get(f"/api/v1/engineers/{world.engineer_east.pk}/").status_code == 404
