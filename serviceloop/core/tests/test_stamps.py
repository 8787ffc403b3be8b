"""Per-process caches of roles, permissions, SLA policies and calendars (core/stamps.py) never
serve stale data: a change made here or in another process (simulated by not emptying this process's
caches) is seen by the next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from serviceloop.accounts.models import User
from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core import calendar_cache, stamps
from serviceloop.core.models import CalendarDay
from serviceloop.core.scoping import scope_of
from serviceloop.service.tests.factories import SlaPolicyFactory
from tests.api.world import build_world

pytestmark = pytest.mark.django_db

BASE = "/api/v1/service-requests/"
CACHED_TABLES = ("auth_permission", "auth_group", "service_slapolicy", "core_workcalendar", "core_calendarday",
                 "accounts_user_groups")


@pytest.fixture
def world(cast):
    return build_world(cast)


@pytest.fixture
def other_process(monkeypatch):
    """Changes made from here on look like another process's: this process's caches are not emptied."""
    monkeypatch.setattr(stamps, "clear_local", lambda: None)


def token_client(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def create(client, world, side: str = "a", **extra):
    records = getattr(world, side)
    return client.post(BASE, {"request_type": "fault_repair", "customer": records.customer.pk,
                              "unit": records.unit.pk, "title": "报警", **extra}, format="json")


def test_a_warm_create_reads_no_cached_table_and_the_stamp_with_the_token(world, settings):
    settings.FASTPATHS = True  # the token query and the permission cache (core/fastpaths)
    client = token_client(world.cast.desk)
    assert create(client, world).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        assert create(client, world).status_code == 201
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not [s for s in sql if any(f'"{table}"' in s for table in CACHED_TABLES)], sql
    assert sum("accounts_cachestamp" in s for s in sql) == 1 and "authtoken_token" in sql[0]
    # the SLA columns go with the INSERT (no UPDATE after it); one savepoint: the intake's own, inside
    # the test's transaction (the new row itself needs none)
    assert not [s for s in sql if s.startswith("UPDATE")], sql
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1, sql


@pytest.mark.parametrize("elsewhere", [False, True], ids=["here", "other process"])
def test_removing_the_users_role_refuses_the_next_call(world, request, elsewhere):
    if elsewhere:
        request.getfixturevalue("other_process")
    client = token_client(world.cast.desk)
    assert create(client, world).status_code == 201
    world.cast.desk.groups.clear()
    assert create(client, world).status_code == 403


@pytest.mark.parametrize("elsewhere", [False, True], ids=["here", "other process"])
def test_removing_a_permission_from_the_role_refuses_the_next_call(world, request, elsewhere):
    if elsewhere:
        request.getfixturevalue("other_process")
    client = token_client(world.cast.desk)
    assert create(client, world).status_code == 201
    Group.objects.get(name="service_desk").permissions.remove(Permission.objects.get(codename="add_servicerequest"))
    assert create(client, world).status_code == 403


def test_a_deleted_role_refuses_the_next_call(world, other_process):
    client = token_client(world.cast.desk)
    assert create(client, world).status_code == 201
    Group.objects.get(name="service_desk").delete()
    assert create(client, world).status_code == 403


def test_a_role_given_is_used_by_the_next_call(world, other_process):
    client = token_client(world.cast.nobody)
    assert create(client, world).status_code == 403
    Group.objects.get(name="service_desk").user_set.add(world.cast.nobody)
    assert create(client, world).status_code == 201


def test_a_permission_given_to_the_user_is_used_by_the_next_call(world, other_process):
    staff = world.cast.east_staff
    staff.groups.clear()
    client = token_client(staff)
    assert client.get(BASE).status_code == 200 and client.get(BASE).json()["results"] == []
    staff.user_permissions.add(Permission.objects.get(codename="view_servicerequest"))
    assert create(token_client(world.cast.desk), world, "a").status_code == 201
    assert len(client.get(BASE).json()["results"]) == 1


def test_moving_the_user_to_a_branch_narrows_the_next_call(world, other_process):
    client = token_client(world.cast.desk)
    assert create(client, world, "b").status_code == 201
    User.objects.filter(pk=world.cast.desk.pk).update(branch=world.cast.east_staff.branch)
    r = create(client, world, "b")
    assert r.status_code == 400 and "customer" in r.json()


def test_a_branch_made_headquarters_widens_the_next_call(world, other_process):
    # a headquarters role (the desk) placed in a regional branch sees that branch's records
    east_desk = UserFactory(username="east_desk", branch=world.cast.east_staff.branch, roles=["service_desk"])
    client = token_client(east_desk)
    assert create(client, world, "b").status_code == 400
    east_desk.branch.is_headquarters = True
    east_desk.branch.save()
    assert create(client, world, "b").status_code == 201
    # branch office staff need a regional branch: theirs is headquarters now, so they see nothing
    staff = token_client(world.cast.east_staff)
    assert create(staff, world, "a").status_code == 403


def test_a_deactivated_user_is_refused(world):
    client = token_client(world.cast.desk)
    assert create(client, world).status_code == 201
    User.objects.filter(pk=world.cast.desk.pk).update(is_active=False)
    r = create(client, world)
    assert r.status_code == 403 and r.json()["detail"] == "User inactive or deleted."


def test_a_new_sla_policy_is_matched_by_the_next_create(world, other_process):
    client = token_client(world.cast.desk)
    first = create(client, world)
    assert first.status_code == 201
    policy = SlaPolicyFactory(request_type="fault_repair", first_response_minutes=30)
    second = create(client, world)
    assert second.json()["sla_policy"] == policy.pk != first.json()["sla_policy"]
    policy.active = False
    policy.save()
    assert create(client, world).json()["sla_policy"] == first.json()["sla_policy"]


def test_a_change_rolled_back_leaves_no_stale_entry(world):
    client = token_client(world.cast.desk)
    assert create(client, world).status_code == 201
    with pytest.raises(RuntimeError), transaction.atomic():
        world.cast.desk.groups.clear()
        Group.objects.get(name="service_desk").permissions.clear()
        assert create(client, world).status_code == 403  # inside: the change is seen
        raise RuntimeError
    assert create(client, world).status_code == 201


def test_company_days_reach_the_calendar_spec(other_process):
    import datetime as dt

    stamps._request_started()  # as an HTTP request does
    try:
        before = calendar_cache.spec_for_calendar(None)
        assert calendar_cache.spec_for_calendar(None) is before  # the same object while nothing changes
    finally:
        stamps._request_finished()
    CalendarDay.objects.create(date=dt.date(2030, 10, 8), is_working=True, note="调休")
    stamps._request_started()
    try:
        after = calendar_cache.spec_for_calendar(None)
    finally:
        stamps._request_finished()
    assert after.overrides == {dt.date(2030, 10, 8): True} and before.overrides == {}


def test_outside_requests_nothing_is_cached(cast, other_process):
    assert stamps.current() is None
    assert scope_of(cast.desk).kind == "all"
    Group.objects.get(name="service_desk").user_set.remove(cast.desk)
    fresh = User.objects.get(pk=cast.desk.pk)
    assert scope_of(fresh).kind == "none"  # headquarters staff without a role
    assert not fresh.has_perm("service.add_servicerequest")
