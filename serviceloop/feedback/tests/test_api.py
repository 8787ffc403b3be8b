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
    [("manager", {"a", "b"}), ("desk", {"a", "b"}), ("east_staff", {"a"}), ("south_staff", {"b"}), ("owner", {"a"}),
     ("outsider", {"b"}), ("nobody", set())],
)
def test_complaint_list_in_scope(cast, complaints, who, sees):
    ca, cb = complaints
    response = api(getattr(cast, who)).get(COMPLAINTS)
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {c.pk for k, c in (("a", ca), ("b", cb)) if k in sees}


def test_register_and_take_every_step_through_the_api(cast, office):
    desk, manager = api(cast.desk), api(cast.manager)
    assert desk.post(COMPLAINTS, {"customer": cast.customer_a.pk, "description": ""}, format="json").status_code == 400
    assert desk.post(COMPLAINTS, {"customer": "1.5", "description": "x"}, format="json").status_code == 400
    response = desk.post(COMPLAINTS, {"customer": cast.customer_a.pk, "description": "工程师态度差",
                                      "category": "attitude", "major": True}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["major"], data["channel"], data["allowed_steps"]) == ("open", True, "phone", [])
    url = f"{COMPLAINTS}{data['id']}/"
    detail = manager.get(url).json()
    assert set(detail["allowed_steps"]) == {"send"}  # major already: no escalate
    assert manager.post(f"{url}send/", {"departments": []}, format="json").status_code == 400
    assert manager.post(f"{url}send/", {"departments": ["1.5"]}, format="json").status_code == 400
    assert manager.post(f"{url}send/", {"departments": [office.qa.pk], "version": detail["version"] + 1},
                        format="json").status_code == 409
    sent = manager.post(f"{url}send/", {"departments": [office.qa.pk]}, format="json")
    assert sent.status_code == 200 and sent.json()["status"] == "analysing"
    assert [a["department_name"] for a in sent.json()["analyses"]] == ["品质部"]
    assert api(office.warehouse).post(f"{url}analyse/", {"cause": "x", "improvement": "y"},
                                      format="json").status_code == 403
    quality = api(office.quality)
    assert quality.get(url).json()["allowed_steps"] == ["analyse"]
    assert quality.post(f"{url}analyse/", {"cause": "", "improvement": "y"}, format="json").status_code == 400
    analysed = quality.post(f"{url}analyse/", {"cause": "漏检", "improvement": "全检"}, format="json")
    assert analysed.status_code == 200 and analysed.json()["status"] == "handling"
    handled = manager.post(f"{url}handle/", {"note": "已致歉"}, format="json")
    assert handled.status_code == 200 and handled.json()["status"] == "handled"
    revisit = manager.post(f"{url}revisit/", {"satisfied": False, "person": "王工", "comments": "仍不满意"},
                           format="json")
    assert revisit.status_code == 201 and revisit.json()["satisfied"] is False
    assert manager.get(url).json()["status"] == "handling"
    manager.post(f"{url}handle/", {"note": "总部上门"}, format="json")
    owner = api(cast.owner)
    assert owner.get(url).json()["analyses"] == []  # internal
    assert owner.get(url).json()["allowed_steps"] == ["revisit"]
    assert owner.post(f"{url}revisit/", {"satisfied": True}, format="json").status_code == 201
    closed = manager.post(f"{url}close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert [r["satisfied"] for r in closed.json()["revisits"]] == [False, True]


def test_the_customer_registers_through_the_api(cast, office):
    theirs = new_request(actor=cast.desk, customer=cast.customer_b)
    owner = api(cast.owner)
    assert owner.post(COMPLAINTS, {"service_request": theirs.pk, "description": "x"}, format="json").status_code == 400
    response = owner.post(COMPLAINTS, {"customer": cast.customer_b.pk, "description": "等了三天", "major": True},
                          format="json")
    assert response.status_code == 400  # another customer: not theirs to name
    response = owner.post(COMPLAINTS, {"description": "等了三天", "major": True}, format="json")
    assert response.status_code == 201
    assert (response.json()["customer"], response.json()["channel"], response.json()["major"]) == (
        cast.customer_a.pk, "portal", False)
    assert api(cast.nobody).post(COMPLAINTS, {"description": "x"}, format="json").status_code == 403


@pytest.mark.parametrize(("who", "status"), [("desk", 403), ("east_staff", 403), ("south_staff", 404),
                                             ("owner", 403), ("outsider", 404), ("nobody", 404)])
def test_the_steps_gate(cast, complaints, office, who, status):
    ca, _cb = complaints
    response = api(getattr(cast, who)).post(f"{COMPLAINTS}{ca.pk}/send/", {"departments": [office.qa.pk]},
                                            format="json")
    assert response.status_code == status
    assert ServiceComplaint.objects.get(pk=ca.pk).status == "open"


@pytest.mark.parametrize("step", ["send", "analyse", "escalate", "handle", "revisit", "close"])
def test_odd_step_bodies_are_answered_without_server_errors(cast, complaints, office, step):
    ca, _cb = complaints
    client = api(cast.manager)
    bodies = st.dictionaries(st.sampled_from(["departments", "note", "cause", "improvement", "reason", "satisfied",
                                              "person", "comments", "channel", "version"]), ANY, max_size=4)

    @hypothesis.settings(max_examples=25, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(body=bodies)
    def run(body):
        response = client.post(f"{COMPLAINTS}{ca.pk}/{step}/", body, format="json")
        assert response.status_code < 500, (body, response.status_code, response.content[:300])

    run()


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
