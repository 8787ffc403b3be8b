"""The fast paths on framework internals (core/fastpaths): checked on the installed libraries, the same
results as their plain paths, and really off when FASTPATHS is off.

The compiled queries and the gated lookups are compared with the ORM in test_fastpaths_compiled.py;
the intake's cached reads in service/tests/test_intake_cached.py (run with the fast paths on and off).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.backends import ModelBackend
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from serviceloop.accounts.auth import TokenAuthentication
from serviceloop.accounts.models import Branch, User
from serviceloop.assets.models import Unit
from serviceloop.core import fastpaths, scoping, stamps
from serviceloop.core.api import GatedRelatedField
from serviceloop.core.fastpaths import gated, history, tokens
from serviceloop.core.fastpaths.compiled import CompiledQuery, int_param
from serviceloop.customers.models import Customer
from serviceloop.service.api import ServiceRequestCreateSerializer, ServiceRequestSerializer
from serviceloop.service.models import ServiceRequest
from serviceloop.service.tests.factories import new_request
from tests.api.world import build_world

README = Path(fastpaths.__file__).with_name("README.md")
BASE = "/api/v1/service-requests/"


@pytest.fixture
def world(cast):
    return build_world(cast)


@contextlib.contextmanager
def in_request():
    """As during an HTTP request: the stamped per-process caches are used."""
    stamps._request_started()
    try:
        yield
    finally:
        stamps._request_finished()


def _refuse(*args, **kwargs):
    raise AssertionError("a fast path ran with FASTPATHS off")


# --- the canary: the libraries whose internals are used are the releases they were checked on --------


def _major_minor(version: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", version)
    assert found, version
    return int(found[1]), int(found[2])


@pytest.mark.parametrize("dist", sorted(fastpaths.CHECKED_ON))
def test_the_installed_library_is_not_newer_than_the_release_the_fast_paths_were_checked_on(dist):
    installed = importlib.metadata.version(dist)
    checked = fastpaths.CHECKED_ON[dist]
    assert _major_minor(installed) <= _major_minor(checked), (
        f"{dist} {installed} is installed, but the fast paths in serviceloop/core/fastpaths were checked on "
        f"{dist} {checked}. Re-check the internals listed for {dist} in serviceloop/core/fastpaths/README.md "
        f"(attribute and private method names) against {installed}, run the suite with the fast paths on and "
        f"with SERVICELOOP_FASTPATHS=0 (make pytest pytest-plain), then update CHECKED_ON in "
        f"serviceloop/core/fastpaths/__init__.py and the README table (or turn the fast path off)."
    )


def test_the_readme_records_the_same_releases_as_checked_on():
    text = README.read_text(encoding="utf-8")
    for dist, checked in fastpaths.CHECKED_ON.items():
        mentioned = set(re.findall(rf"\b{re.escape(dist)} (\d+\.\d+)", text))
        assert mentioned == {checked}, (dist, mentioned, checked)


def test_the_setting_is_on_unless_the_environment_turns_it_off(monkeypatch):
    from serviceloop import settings as module

    for value, expected in (("", True), ("1", True), ("true", True), ("on", True),
                            ("0", False), ("false", False), ("off", False), ("OFF", False)):
        monkeypatch.setenv("SERVICELOOP_FASTPATHS", value)
        assert module.env_bool("SERVICELOOP_FASTPATHS", True) is expected, value
    monkeypatch.delenv("SERVICELOOP_FASTPATHS")
    assert module.env_bool("SERVICELOOP_FASTPATHS", True) is True


def test_enabled_follows_override_settings(settings):
    settings.FASTPATHS = False
    assert fastpaths.enabled() is False
    settings.FASTPATHS = True
    assert fastpaths.enabled() is True


# --- the whole intake through the API: the same answer either way, and no compiled SQL when off ------


def _create(client, world):
    r = client.post(BASE, {"request_type": "fault_repair", "customer": world.a.customer.pk,
                           "unit": world.a.unit.pk, "title": "报警"}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


@pytest.mark.django_db
def test_an_api_intake_answers_the_same_with_the_fast_paths_off(world, settings, monkeypatch):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.cast.desk).key}")
    settings.FASTPATHS = True
    first, second = _create(client, world), _create(client, world)
    settings.FASTPATHS = False
    monkeypatch.setattr(CompiledQuery, "_plan", _refuse)  # no compiled query runs: token, lookups, intake
    plain = _create(client, world)
    noise = {key for key in first if first[key] != second[key]}  # ids, numbers, times, the other requests
    assert noise <= {"id", "number", "received_at", "created_at", "updated_at", "open_requests", "warnings",
                     "sla_due_at", "deadlines", "time_left_minutes", "sla", "history"}, noise
    assert {k: v for k, v in plain.items() if k not in noise} == {k: v for k, v in first.items() if k not in noise}
    assert [o["number"] for o in plain["open_requests"]] == [first["number"], second["number"]]
    assert len(plain["warnings"]) == 2
    assert plain["warranty_state"] == first["warranty_state"] == "contract"


# --- compiled queries ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_compiled_query_off_evaluates_its_queryset(world, settings, monkeypatch):
    query = CompiledQuery(lambda pk: Unit.objects.select_related("customer").filter(pk=pk), int_param(0))
    settings.FASTPATHS = False
    monkeypatch.setattr(CompiledQuery, "_plan", _refuse)
    assert query.all(world.a.unit.pk) == [world.a.unit] and query._plans == {}
    assert query.get(world.b.unit.pk) == world.b.unit
    with pytest.raises(Unit.DoesNotExist):
        query.get(-5)
    monkeypatch.undo()
    settings.FASTPATHS = True
    assert query.all(world.a.unit.pk) == [world.a.unit] and query._plans != {}


# --- gated foreign keys -------------------------------------------------------------------------------


class _Payload(serializers.Serializer):
    unit = GatedRelatedField(queryset=Unit.objects.select_related("so_line__order", "product_model", "site"))
    customer = GatedRelatedField(queryset=Customer.objects.all())


def _outcome(user, name: str, value):
    field = _Payload(data={}, context={"request": SimpleNamespace(user=user)}).fields[name]
    try:
        return ("ok", field.to_internal_value(value).pk)
    except serializers.ValidationError as exc:
        return ("error", [(str(e), e.code) for e in exc.detail])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "outsider", "east_staff", "desk", "nobody"])
def test_gated_foreign_keys_off_use_the_orm_and_accept_the_same(world, settings, monkeypatch, who):
    user = world.user(who)
    values = [world.a.unit.pk, world.b.unit.pk, str(world.a.unit.pk), "abc", True, -1, 2**63]
    settings.FASTPATHS = True
    fast = {(name, repr(v)): _outcome(user, name, v) for name in ("unit", "customer") for v in values}
    settings.FASTPATHS = False
    monkeypatch.setattr(gated.GatedLookup, "all", _refuse)
    field = _Payload(data={}, context={"request": SimpleNamespace(user=user)}).fields["unit"]
    assert field._compiled_lookup() is None
    plain = {(name, repr(v)): _outcome(user, name, v) for name in ("unit", "customer") for v in values}
    assert plain == fast


# --- the token query ----------------------------------------------------------------------------------


def _authenticate(key: str):
    try:
        user, token = TokenAuthentication().authenticate_credentials(key)
    except exceptions.AuthenticationFailed as exc:
        return ("refused", str(exc.detail))
    return ("ok", user.pk, token.key, user.branch_id, user.is_active)


@pytest.mark.django_db
def test_the_token_query_gives_what_drf_gives_and_off_is_drfs(cast, settings, monkeypatch):
    good = Token.objects.create(user=cast.desk).key
    inactive = Token.objects.create(user=cast.east_staff).key
    User.objects.filter(pk=cast.east_staff.pk).update(is_active=False)
    calls = []
    real_get = tokens._TOKEN.get
    monkeypatch.setattr(tokens._TOKEN, "get", lambda key: calls.append(key) or real_get(key))
    settings.FASTPATHS = True
    fast = [_authenticate(key) for key in (good, inactive, "no-such-token")]
    assert calls == [good, inactive, "no-such-token"]
    settings.FASTPATHS = False
    monkeypatch.setattr(tokens._TOKEN, "get", _refuse)
    plain = [_authenticate(key) for key in (good, inactive, "no-such-token")]
    assert plain == fast
    assert fast[0][:2] == ("ok", cast.desk.pk) and fast[1][0] == fast[2][0] == "refused"


# --- the permission cache -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["desk", "east_staff", "owner", "manager", "nobody"])
def test_the_permission_cache_holds_what_model_backend_reads_and_off_is_not_written(cast, settings, who):
    pk = getattr(cast, who).pk
    backend = ModelBackend()
    fresh = User.objects.get(pk=pk)
    expected = (backend.get_user_permissions(fresh), backend.get_group_permissions(fresh),
                backend.get_all_permissions(fresh))
    models = (ServiceRequest, Unit, Customer, Branch)
    wanted = {(m, a): fresh.has_perm(f"{m._meta.app_label}.{a}_{m._meta.model_name}")
              for m in models for a in scoping.ACTIONS}

    settings.FASTPATHS = True
    user = User.objects.get(pk=pk)
    with in_request():
        scoping._access(user)
        assert (user._user_perm_cache, user._group_perm_cache, user._perm_cache) == expected
        assert {(m, a): scoping.has_model_perm(user, m, a) for m, a in wanted} == wanted

    settings.FASTPATHS = False
    user = User.objects.get(pk=pk)
    with in_request():
        scoping._access(user)
        assert not {"_user_perm_cache", "_group_perm_cache", "_perm_cache"} & set(vars(user))
        assert {(m, a): scoping.has_model_perm(user, m, a) for m, a in wanted} == wanted


# --- serializer fields built once ---------------------------------------------------------------------


def _fields(serializer) -> dict[str, str]:
    return {name: repr(field) for name, field in serializer.fields.items()}


@pytest.mark.django_db
def test_fields_built_once_are_the_fields_drf_builds_and_off_are_built_each_time(cast, settings):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    request = ServiceRequest.objects.get(pk=request.pk)
    context = {"request": SimpleNamespace(user=cast.desk)}

    class Fresh(ServiceRequestSerializer):
        pass

    class FreshCreate(ServiceRequestCreateSerializer):
        pass

    results = {}
    for on in (False, True):
        settings.FASTPATHS = on
        for cls in (Fresh, FreshCreate):
            assert ("_built_fields" in cls.__dict__) is False or on
        results[on] = (_fields(Fresh(request, context=context)), Fresh(request, context=context).data,
                       _fields(FreshCreate(context=context)))
        assert ("_built_fields" in Fresh.__dict__) is on and ("_built_fields" in FreshCreate.__dict__) is on
    assert results[True] == results[False]
    one, two = Fresh(request, context=context).fields, Fresh(request, context=context).fields
    assert one["status"] is not two["status"] and one["status"].parent is not two["status"].parent


# --- one history manager class per model --------------------------------------------------------------


@pytest.fixture
def history_restored():
    was = history.installed()
    yield
    (history.install if was else history.uninstall)()


def test_the_history_patch_is_installed_at_start_up_when_the_fast_paths_are_on():
    assert history.installed() is bool(django_settings.FASTPATHS)


@pytest.mark.django_db
def test_history_managers_are_the_same_with_one_class_per_model(cast, history_restored):
    results = {}
    for on in (True, False):
        (history.install if on else history.uninstall)()
        assert history.installed() is on
        branch = Branch.objects.create(code=f"NORTH{int(on)}", name=f"华北分公司 {int(on)}")
        first, second = branch.history, Branch.objects.get(pk=branch.pk).history
        assert (type(first) is type(second)) is on
        assert first.instance is branch and first.model is second.model
        branch.name = f"华北 {int(on)}"
        branch.save()
        results[on] = (
            [h.history_type for h in branch.history.order_by("history_id")],
            Branch.history.filter(code=branch.code).count(),
            sorted(m for m in dir(first) if not m.startswith("_")),
            [c.__name__ for c in type(first).__mro__],
        )
    assert results[True] == results[False]
    assert results[True][:2] == (["+", "~"], 2)
