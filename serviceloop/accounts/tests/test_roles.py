"""sync_roles gives each role's group exactly its permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from serviceloop.accounts.roles import ALL_ROLES, ROLE_PERMISSIONS, sync_roles
from serviceloop.accounts.tests.factories import UserFactory


def _codes(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.django_db
def test_every_role_group_has_exactly_its_permissions():
    sync_roles()
    assert len(ALL_ROLES) == 16
    assert set(Group.objects.values_list("name", flat=True)) >= set(ALL_ROLES)
    for role in ALL_ROLES:
        assert _codes(Group.objects.get(name=role)) == ROLE_PERMISSIONS[role], role


@pytest.mark.django_db
def test_every_listed_permission_exists():
    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    wanted = set().union(*ROLE_PERMISSIONS.values())
    assert wanted - existing == set()


@pytest.mark.django_db
def test_customer_role_cannot_change_anything():
    codes = _codes(Group.objects.get(name="customer"))
    assert codes
    assert not [c for c in codes if c.split(".")[1].startswith(("change_", "delete_"))]
    # customers may raise requests in the portal, but never add master data
    assert not [c for c in codes if c.split(".")[1].startswith("add_") and c.split(".")[0] in ("customers", "assets")]
    owner = UserFactory(roles=["customer"])
    assert owner.has_perm("customers.view_customer")
    assert not owner.has_perm("customers.change_customer")
    assert not owner.has_perm("core.view_authorizationfailure")


@pytest.mark.django_db
def test_sysadmin_and_gm_office_can_view_audit_rows():
    assert UserFactory(roles=["sysadmin"]).has_perm("core.view_authorizationfailure")
    assert UserFactory(roles=["gm_office"]).has_perm("core.view_authorizationfailure")
    assert not UserFactory(roles=["service_desk"]).has_perm("core.view_authorizationfailure")


@pytest.mark.django_db
def test_sync_roles_repairs_drift():
    customer = Group.objects.get(name="customer")
    desk = Group.objects.get(name="service_desk")
    customer.permissions.add(Permission.objects.get(codename="change_customer"))
    desk.permissions.remove(Permission.objects.get(codename="view_unit"))
    Group.objects.filter(name="dispatcher").delete()
    sync_roles()
    for role in ("customer", "service_desk", "dispatcher"):
        assert _codes(Group.objects.get(name=role)) == ROLE_PERMISSIONS[role]
