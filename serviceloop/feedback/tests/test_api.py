"""API v1 follow-ups and service complaints: the same gate, writes through the services, 400 never 500."""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import strategies as st
from rest_framework.test import APIClient

from serviceloop.feedback.models import FollowUp, ServiceComplaint
from serviceloop.service.models import ServiceRequest
from serviceloop.service.tests.factories import new_request

from .factories import open_complaint, record_phone, resolved_request

pytestmark = pytest.mark.django_db

FOLLOW_UPS = "/api/v1/follow-ups/"
COMPLAINTS = "/api/v1/service-complaints/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def a(cast):
    return resolved_request(actor=cast.desk, customer=cast.customer_a)


@pytest.fixture
def b(cast):
    return resolved_request(actor=cast.desk, customer=cast.customer_b)


def _body(request, **overrides):
    body = {"service_request": request.pk, "attitude": 5, "skill": 4, "timeliness": 5, "satisfied": True, "person": "王工"}
    body.update(overrides)
    return body


def _status(request) -> str:
    return ServiceRequest.objects.get(pk=request.pk).status


def test_the_desk_records_a_call(cast, a):
    response = api(cast.desk).post(FOLLOW_UPS, _body(a), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["channel"], data["outcome"], data["service_request_number"]) == ("phone", "closed", a.number)
    assert _status(a) == "closed"
    assert api(cast.desk).get(f"{FOLLOW_UPS}{data['id']}/").json()["attitude"] == 5


def test_a_customer_rates_through_the_api(cast, a):
    response = api(cast.owner).post(FOLLOW_UPS, _body(a, satisfied=False, comments="没修好", person=""), format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["channel"], response.json()["outcome"]) == ("portal", "reopened")
    assert _status(a) == "in_progress"


def test_a_complaint_through_the_api(cast, a):
    response = api(cast.desk).post(
        FOLLOW_UPS, _body(a, satisfied=False, comments="态度差", unsatisfied_action="complaint"), format="json")
    assert response.status_code == 201
    assert ServiceComplaint.objects.get(service_request=a).follow_up_id == response.json()["id"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"attitude": 0}, "attitude"), ({"skill": 6}, "skill"), ({"timeliness": "x"}, "timeliness"),
     ({"satisfied": False, "comments": ""}, "comments"), ({"person": ""}, "person"), ({"channel": "portal"}, "channel"),
     ({"unsatisfied_action": "both"}, "unsatisfied_action"), ({"comments": "a\x00b"}, "comments")],
)
def test_bad_input_is_a_400_with_the_field(cast, a, overrides, field):
    response = api(cast.desk).post(FOLLOW_UPS, _body(a, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _status(a) == "resolved"


def test_not_resolved_and_twice_are_400(cast, a):
    fresh = new_request(actor=cast.desk, customer=cast.customer_a)
    response = api(cast.desk).post(FOLLOW_UPS, _body(fresh), format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert api(cast.desk).post(FOLLOW_UPS, _body(a), format="json").status_code == 201
    response = api(cast.desk).post(FOLLOW_UPS, _body(a), format="json")
    assert response.status_code == 400
    assert "already been followed up" in response.json()["non_field_errors"][0]


def test_customer_b_cannot_rate_customer_as_request(cast, a):
    response = api(cast.outsider).post(FOLLOW_UPS, _body(a, person=""), format="json")
    assert response.status_code == 400 and "service_request" in response.json()  # not a request B can see
    assert _status(a) == "resolved"


@pytest.mark.parametrize("who", ["east_staff", "south_staff", "nobody"])
def test_without_the_permission_it_is_403(cast, a, who):
    assert api(getattr(cast, who)).post(FOLLOW_UPS, _body(a), format="json").status_code == 403
    assert _status(a) == "resolved"


@pytest.mark.parametrize(
    ("who", "sees"),
    [("desk", {"a", "b"}), ("owner", {"a"}), ("outsider", {"b"}), ("east_staff", {"a"}), ("south_staff", {"b"}),
     ("nobody", set())],
)
def test_follow_up_list_and_detail_in_scope(cast, a, b, who, sees):
    follow_ups = {"a": record_phone(actor=cast.desk, service_request=a), "b": record_phone(actor=cast.desk, service_request=b)}
    client = api(getattr(cast, who))
    response = client.get(FOLLOW_UPS)
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {follow_ups[k].pk for k in sees}
    for key, follow_up in follow_ups.items():
        assert client.get(f"{FOLLOW_UPS}{follow_up.pk}/").status_code == (200 if key in sees else 404)
    assert client.get(FOLLOW_UPS, {"service_request": a.pk}).status_code == (200 if "a" in sees else 400)


@pytest.fixture
def complaints(cast, a, b):
    return open_complaint(actor=cast.desk, service_request=a), open_complaint(actor=cast.desk, service_request=b)


@pytest.mark.parametrize(
    ("who", "sees"),
    [("manager", {"a", "b"}), ("desk", {"a", "b"}), ("east_staff", {"a"}), ("south_staff", {"b"}), ("owner", set()),
     ("nobody", set())],
)
def test_complaint_list_in_scope(cast, complaints, who, sees):
    ca, cb = complaints
    response = api(getattr(cast, who)).get(COMPLAINTS)
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {c.pk for k, c in (("a", ca), ("b", cb)) if k in sees}


def test_the_manager_handles_through_the_api(cast, complaints):
    ca, _cb = complaints
    url = f"{COMPLAINTS}{ca.pk}/handle/"
    client = api(cast.manager)
    assert client.post(url, {"note": ""}, format="json").status_code == 400
    assert client.post(url, {"note": "已处理", "version": ca.version + 3}, format="json").status_code == 409
    response = client.post(url, {"note": "已处理", "version": ca.version}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["handling_note"]) == ("handled", "已处理")
    assert client.post(url, {"note": "再次"}, format="json").status_code == 400


@pytest.mark.parametrize(("who", "status"), [("desk", 403), ("east_staff", 403), ("south_staff", 404),
                                             ("owner", 404), ("nobody", 404)])
def test_handling_gate(cast, complaints, who, status):
    ca, _cb = complaints
    assert api(getattr(cast, who)).post(f"{COMPLAINTS}{ca.pk}/handle/", {"note": "x"}, format="json").status_code == status
    assert ServiceComplaint.objects.get(pk=ca.pk).status == "open"


def test_follow_ups_are_not_changed_or_deleted_through_the_api(cast, a):
    follow_up = record_phone(actor=cast.desk, service_request=a)
    client = api(cast.manager)
    assert client.patch(f"{FOLLOW_UPS}{follow_up.pk}/", {"attitude": 1}, format="json").status_code == 405
    assert client.delete(f"{FOLLOW_UPS}{follow_up.pk}/").status_code == 405
    assert FollowUp.objects.get(pk=follow_up.pk).attitude == 5


# ------------------------------------------------------------------ odd input never makes a 500

ANY = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=30), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                          st.integers(), max_size=2))


def _maybe(strategy):
    return st.one_of(strategy, ANY)


@pytest.mark.parametrize("who", ["desk", "owner"])
def test_odd_follow_up_bodies_are_answered_without_server_errors(cast, who):
    request = resolved_request(actor=cast.desk, customer=cast.customer_a)
    client = api(getattr(cast, who))
    scores = st.integers(-1, 7)
    bodies = st.fixed_dictionaries(
        {"service_request": _maybe(st.just(request.pk))},
        optional={"attitude": _maybe(scores), "skill": _maybe(scores), "timeliness": _maybe(scores),
                  "satisfied": _maybe(st.booleans()), "comments": _maybe(st.text(max_size=20)),
                  "person": _maybe(st.text(max_size=120)), "channel": _maybe(st.sampled_from(["phone", "portal"])),
                  "unsatisfied_action": _maybe(st.sampled_from(["reopen", "complaint"]))},
    )

    @hypothesis.settings(max_examples=60, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(body=bodies)
    def run(body):
        response = client.post(FOLLOW_UPS, body, format="json")
        assert response.status_code in (201, 400), (body, response.status_code, response.content[:300])

    run()
