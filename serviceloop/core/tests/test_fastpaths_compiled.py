"""Queries compiled once (core/fastpaths/compiled.py) give what their querysets give, and the gated
foreign keys of the API that use them (core/fastpaths/gated.py) accept and refuse exactly what the
ORM lookup would. The fast paths are on here whatever SERVICELOOP_FASTPATHS says (the plain paths
are what they are compared with)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from rest_framework import serializers
from rest_framework.authtoken.models import Token

from serviceloop.assets.models import ServiceContract, Unit
from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.core import stamps
from serviceloop.core.api import GatedRelatedField, RecordRelatedField
from serviceloop.core.fastpaths.compiled import CompiledQuery, int_param, str_param
from serviceloop.customers.models import Customer
from tests.api.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_paths_on(settings):
    settings.FASTPATHS = True

UNITS = CompiledQuery(
    lambda pk: Unit.objects.select_related("so_line__order", "product_model", "site", "customer").filter(pk=pk),
    int_param(0),
)


@pytest.fixture
def world(cast):
    return build_world(cast)


def _same(a, b) -> None:
    assert type(a) is type(b) and a.pk == b.pk
    assert {k: v for k, v in vars(a).items() if k != "_state"} == {k: v for k, v in vars(b).items() if k != "_state"}
    assert a._state.adding is b._state.adding is False and a._state.db == b._state.db


def test_rows_with_their_related_records_as_the_queryset_builds_them(world):
    bare = UnitFactory(customer=None, site=None, so_line=None)
    for unit in (world.a.unit, world.b.unit, bare):
        expected = Unit.objects.select_related("so_line__order", "product_model", "site", "customer").get(pk=unit.pk)
        got = UNITS.get(unit.pk)
        _same(got, expected)
        for name in ("so_line", "product_model", "site", "customer"):
            assert Unit._meta.get_field(name).is_cached(got)
            related, wanted = getattr(got, name), getattr(expected, name)
            assert (related is None and wanted is None) or _same(related, wanted) is None
        if got.so_line is not None:
            _same(got.so_line.order, expected.so_line.order)


def test_converted_values_and_ordering(world):
    contracts = CompiledQuery(lambda unit: ServiceContract.objects.filter(units=unit), int_param(0))
    world.a.contract.price = "12345.60"
    world.a.contract.save()
    got = contracts.all(world.a.unit.pk)
    assert got == list(world.a.unit.contracts.all())
    assert got[0].price == ServiceContract.objects.get(pk=world.a.contract.pk).price
    assert contracts.all(world.b.unit.pk) == [world.b.contract]


def test_annotations_and_string_parameters(cast):
    token = Token.objects.create(user=cast.desk)
    query = CompiledQuery(
        lambda key: Token.objects.select_related("user", "user__branch").annotate(stamp=stamps.subquery()).filter(key=key),
        str_param(0),
    )
    stamps.bump()
    got = query.get(token.key)
    assert got.user == cast.desk and got.user.branch == cast.desk.branch and got.stamp == stamps.read() != ""
    with pytest.raises(Token.DoesNotExist):
        query.get("no-such-token")


def test_get_refuses_none_or_many_and_empty_filters_give_nothing(world):
    by_customer = CompiledQuery(lambda customer: Unit.objects.filter(customer=customer), int_param(0))
    UnitFactory(customer=world.a.customer)
    with pytest.raises(Unit.MultipleObjectsReturned):
        by_customer.get(world.a.customer.pk)
    with pytest.raises(Unit.DoesNotExist):
        by_customer.get(-1)
    nothing = CompiledQuery(lambda pk: Unit.objects.filter(pk__in=[]).filter(pk=pk), int_param(0))
    assert nothing.all(world.a.unit.pk) == []


def test_placeholders_must_be_found_once():
    with pytest.raises(ValueError, match="found 0 times"):
        CompiledQuery(lambda pk: Customer.objects.all(), int_param(0)).all(1)
    with pytest.raises(ValueError, match="found 2 times"):
        CompiledQuery(lambda pk: Customer.objects.filter(pk=pk).exclude(branch=pk), int_param(0)).all(1)


# --- the gated foreign keys of the API -------------------------------------------------------


class _Payload(serializers.Serializer):
    unit = GatedRelatedField(queryset=Unit.objects.select_related("so_line__order", "product_model", "site"))
    customer = GatedRelatedField(queryset=Customer.objects.all())


def _outcome(user, name: str, value, *, fast: bool):
    payload = _Payload(data={}, context={"request": SimpleNamespace(user=user)})
    field = payload.fields[name]
    try:
        if fast:
            assert field._compiled_lookup() is not None
            return ("ok", field.to_internal_value(value).pk)
        # the plain path: the record id check, then DRF's lookup through the gate's queryset
        return ("ok", RecordRelatedField.to_internal_value(field, value).pk)
    except serializers.ValidationError as exc:
        return ("error", [(str(e), e.code) for e in exc.detail])


@pytest.mark.parametrize("who", ["owner", "outsider", "east_staff", "south_staff", "desk", "manager"])
def test_gated_lookups_accept_and_refuse_as_the_orm_does(world, who):
    user = world.user(who)
    values = [world.a.unit.pk, world.b.unit.pk, str(world.a.unit.pk), f" {world.b.unit.pk} ", float(world.a.unit.pk),
              world.a.unit.pk + 0.5, f"{world.a.unit.pk}.5", "abc", "", True, [1], {"id": 1}, -1, 0, 2**63,
              -(2**63) - 1, 10**30]
    for name, pks in (("unit", values), ("customer", [world.a.customer.pk, world.b.customer.pk, *values[2:]])):
        for value in pks:
            assert _outcome(user, name, value, fast=True) == _outcome(user, name, value, fast=False), (name, value)


def test_a_role_without_the_view_permission_finds_nothing(world):
    desk = world.cast.desk
    Group.objects.get(name="service_desk").permissions.remove(
        *Group.objects.get(name="service_desk").permissions.filter(codename="view_unit"))
    desk = type(desk).objects.get(pk=desk.pk)
    assert _outcome(desk, "unit", world.a.unit.pk, fast=True)[0] == "error"
    assert _outcome(desk, "unit", world.a.unit.pk, fast=True) == _outcome(desk, "unit", world.a.unit.pk, fast=False)
    assert _outcome(desk, "customer", world.a.customer.pk, fast=True) == ("ok", world.a.customer.pk)
