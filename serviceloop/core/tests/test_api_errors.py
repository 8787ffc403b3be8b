"""Bad input to the API (issue 9): never a 500, always JSON, and a message a person understands.

- a JSON body nested thousands of levels deep is a 400 (Python's decoder raised RecursionError: a 500);
- every /api/ response is JSON, also the 404 of an unknown address, a 400 Django refuses before any
  view runs, and a 500;
- a record id is a whole number: 1.5 is refused (it was taken as 1), in a body and in a path.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import pkgutil
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework import relations, serializers
from rest_framework.test import APIClient

import serviceloop
from serviceloop.core.models import WorkCalendar
from serviceloop.service.models import ServiceRequest
from tests.api.world import build_world, client_for

pytestmark = pytest.mark.django_db

RECORD_ID_EN = "A record id is a whole number, such as 42."
RECORD_ID_ZH = "记录 ID 须为整数，例如 42。"
NESTED_EN = "The JSON body is nested too deeply"
NESTED_ZH = "JSON 请求体嵌套过深"


@pytest.fixture
def world(cast):
    return build_world(cast)


@pytest.fixture(params=[True, False], ids=["fastpaths", "plain"])
def fastpaths(request, settings):
    settings.FASTPATHS = request.param
    return request.param


def _client(user, language="en"):
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    client.raise_request_exception = False
    return client


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), (response.status_code, response.content[:200])
    return response.json()


def _text(body) -> str:
    if isinstance(body, dict):
        return " ".join(_text(v) for v in body.values())
    if isinstance(body, list):
        return " ".join(_text(v) for v in body)
    return str(body)


# --- deeply nested JSON ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    '{"request_type": "fault_repair", "title": ' + "[" * 200 + "]" * 200 + "}",  # deep, but within Python's limit
], ids=["arrays-5000", "objects-5000", "field-200"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_deeply_nested_json_is_a_400_with_a_message(world, body, language):
    client = _client(world.cast.desk, language)
    r = client.generic("POST", "/api/v1/service-requests/", body, content_type="application/json")
    assert r.status_code == 400, r.content[:300]
    assert (NESTED_EN if language == "en" else NESTED_ZH) in _json(r)["detail"]
    assert not ServiceRequest.objects.exists()


def test_deeply_nested_json_to_a_step_is_a_400(world):
    """A step with its own parsers (the review: a file or JSON) refuses it too."""
    from serviceloop.service.tests.factories import new_request

    request = new_request(actor=world.cast.desk, customer=world.a.customer, unit=world.a.unit)
    ServiceRequest.objects.filter(pk=request.pk).update(status="under_review")  # where a review is taken
    client = _client(world.cast.desk)
    r = client.generic("POST", f"/api/v1/service-requests/{request.pk}/review/", "[" * 5000 + "]" * 5000,
                       content_type="application/json")
    assert r.status_code == 400
    assert NESTED_EN in _json(r)["detail"]


def test_deeply_nested_json_to_the_token_endpoint_is_a_400(db):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.raise_request_exception = False
    r = client.generic("POST", "/api/v1/auth/token/", '{"username":' * 5000 + '"x"' + "}" * 5000,
                       content_type="application/json")
    assert r.status_code == 400
    assert NESTED_EN in _json(r)["detail"]


def test_json_nested_a_little_is_still_parsed(world):
    """The limit is far above anything the API takes: 30 levels still go through."""
    client = _client(world.cast.desk)
    payload = json.dumps({"request_type": "fault_repair", "customer": world.a.customer.pk, "title": "温控异常",
                          "severity": "severe", "x": functools.reduce(lambda inner, _n: [inner], range(30), [])})
    r = client.generic("POST", "/api/v1/service-requests/", payload, content_type="application/json")
    assert r.status_code == 201, r.content


# --- every /api/ response is JSON --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nothing", "/api/v1/units/1/no-such-action/",
                                  "/api/v2/units/"])
def test_unknown_api_addresses_are_a_json_404(world, settings, path):
    settings.DEBUG = False
    r = _client(world.cast.desk).get(path)
    assert r.status_code == 404
    assert "/api/docs/" in _json(r)["detail"]


def test_unknown_api_address_is_json_for_anonymous_callers_too(db):
    r = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/api/v1/no-such-thing/")
    assert r.status_code == 404
    assert "/api/docs/" in _json(r)["detail"]


def test_a_web_404_is_still_the_html_page(world):
    client = _client(world.cast.desk)
    r = client.get("/customers/no-such-page/")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_a_request_django_refuses_before_any_view_is_a_json_400(db):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.raise_request_exception = False
    r = client.get("/api/v1/units/", HTTP_HOST="evil.example")
    assert r.status_code == 400
    assert _json(r)["detail"]


def test_a_server_error_in_the_api_is_json(world):
    client = _client(world.cast.desk)
    with mock.patch("serviceloop.customers.api.CustomerViewSet.list", side_effect=RuntimeError("boom")):
        r = client.get("/api/v1/customers/")
    assert r.status_code == 500
    body = _json(r)
    assert "boom" not in _text(body)
    assert "logged" in body["detail"]


def test_http404_raised_outside_drf_under_api_is_json(rf, world):
    from django.http import Http404

    from serviceloop.core.views import not_found

    request = rf.get("/api/v1/units/7/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = world.cast.desk
    r = not_found(request, Http404("x"))
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")


# --- record ids are whole numbers --------------------------------------------------------------


def _intake(world, **changes):
    data = {"request_type": "fault_repair", "customer": world.a.customer.pk, "unit": world.a.unit.pk,
            "title": "回流焊炉温度异常", "severity": "severe"}
    data.update(changes)
    return data


@pytest.mark.parametrize("field", ["unit", "customer", "site"])
@pytest.mark.parametrize("bad", ["fraction", "fraction-text", "word", "bool"])
def test_a_fractional_record_id_in_a_body_is_refused(world, fastpaths, field, bad):
    pk = {"unit": world.a.unit.pk, "customer": world.a.customer.pk, "site": world.a.site.pk}[field]
    value = {"fraction": pk + 0.5, "fraction-text": f"{pk}.5", "word": "one", "bool": True}[bad]
    r = _client(world.cast.desk).post("/api/v1/service-requests/", _intake(world, **{field: value}), format="json")
    assert r.status_code == 400, r.content
    assert RECORD_ID_EN in _text(_json(r)[field])
    assert not ServiceRequest.objects.exists()


def test_the_record_id_message_is_in_chinese_too(world):
    r = _client(world.cast.desk, "zh-hans").post("/api/v1/service-requests/", _intake(world, unit=1.5), format="json")
    assert r.status_code == 400
    assert RECORD_ID_ZH in _text(_json(r)["unit"])


def test_a_whole_record_id_is_taken_as_before(world, fastpaths):
    client = _client(world.cast.desk)
    r = client.post("/api/v1/service-requests/", _intake(world, unit=str(world.a.unit.pk)), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["unit"] == world.a.unit.pk


def test_a_fractional_id_in_a_list_of_ids_is_refused(world):
    r = _client(world.cast.desk).post("/api/v1/contracts/", {
        "number": "SC-X-9", "customer": world.a.customer.pk, "title": "维保", "start_date": "2026-01-01",
        "end_date": "2026-12-31", "sla_level": "standard", "price": "1000", "units": [world.a.unit.pk + 0.5],
    }, format="json")
    assert r.status_code == 400
    assert RECORD_ID_EN in _text(_json(r)["units"])


def test_a_fractional_calendar_id_of_an_sla_policy_is_refused(world):
    calendar = WorkCalendar.objects.create(code="24X7", name="24/7", round_the_clock=True)
    r = _client(world.cast.manager).post("/api/v1/sla-policies/", {
        "name": "重大故障", "severity": "major", "first_response_minutes": 30, "engineer_contact_minutes": 30,
        "plan_decided_minutes": 480, "onsite_arrival_minutes": 480, "resolution_minutes": 2400,
        "calendar": calendar.pk + 0.5}, format="json")
    assert r.status_code == 400
    assert RECORD_ID_EN in _text(_json(r)["calendar"])


def test_a_fractional_attachment_record_id_is_refused(world):
    client = _client(world.cast.desk)
    r = client.get("/api/v1/attachments/", {"content_type": "assets.unit", "object_id": f"{world.a.unit.pk}.5"})
    assert r.status_code == 400 and "object_id" in _json(r)
    r = client.post("/api/v1/attachments/", {"content_type": "assets.unit", "object_id": f"{world.a.unit.pk}.5",
                                             "file": SimpleUploadedFile("a.txt", b"x")}, format="multipart")
    assert r.status_code == 400 and "object_id" in _json(r)


@pytest.mark.parametrize("path", ["/api/v1/units/{pk}.5/", "/api/v1/units/{pk}.0/", "/api/v1/units/abc/",
                                  "/api/v1/service-requests/{pk}.5/sla/", "/api/v1/attachments/{pk}.5/"])
def test_a_path_id_that_is_not_a_whole_number_is_a_400(world, settings, path):
    settings.DEBUG = False
    r = _client(world.cast.desk).get(path.format(pk=world.a.unit.pk))
    assert r.status_code == 400, r.content
    assert RECORD_ID_EN in _json(r)["detail"]


def test_a_path_id_for_a_step_that_is_not_a_whole_number_is_a_400(world):
    r = _client(world.cast.desk).post("/api/v1/service-requests/1.5/start-review/", {"note": "x"}, format="json")
    assert r.status_code == 400
    assert RECORD_ID_EN in _json(r)["detail"]


def test_a_whole_path_id_is_found_as_before(world):
    client = _client(world.cast.desk)
    assert client.get(f"/api/v1/units/{world.a.unit.pk}/").status_code == 200
    assert client.get("/api/v1/units/999999/").status_code == 404


def _writable_related_fields():
    """Every writable foreign-key field of every serializer in the project."""
    seen, out = set(), []
    for info in pkgutil.walk_packages(serviceloop.__path__, "serviceloop."):
        if ".tests" in info.name or ".migrations" in info.name or info.name.endswith("settings"):
            continue
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if (not inspect.isclass(cls) or not issubclass(cls, serializers.Serializer) or cls in seen
                    or cls.__module__ != module.__name__ or not hasattr(cls, "Meta") and issubclass(
                        cls, serializers.ModelSerializer)):
                continue
            seen.add(cls)
            for name, field in cls(context={"request": None}).fields.items():
                if field.read_only:
                    continue
                target = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
                if isinstance(target, relations.RelatedField):
                    out.append((f"{cls.__module__}.{cls.__name__}.{name}", target))
    return out


def test_every_writable_foreign_key_takes_whole_numbers_only():
    from serviceloop.core.api import RecordRelatedField

    fields = _writable_related_fields()
    assert len(fields) > 20
    loose = [name for name, field in fields if not isinstance(field, RecordRelatedField)]
    # the engineers' serializers are read-only (a read-only viewset), their fields are never written
    assert [n for n in loose if ".EngineerSerializer." not in n and ".EngineerSkillSerializer." not in n] == []


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/units/", "/api/v1/units/999999/", "/api/v1/units/1.5/"])
def test_a_browser_gets_json_from_the_api_too(world, path):
    """No HTML "browsable API": a browser asking for text/html gets the same JSON (docs: /api/docs/)."""
    r = _client(world.cast.desk).get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert r.status_code in (200, 400, 404)
    _json(r)
