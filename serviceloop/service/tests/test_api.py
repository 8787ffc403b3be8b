"""Service requests through the API: intake, every move, access, concurrency, e-mail intake, reviews,
escalations and SLA policies."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.attachments import attachments_for
from serviceloop.core.models import Attachment
from serviceloop.core.timeline import record_event
from serviceloop.service import services
from serviceloop.service.models import Escalation, Review, ServiceRequest, SlaPolicy
from tests.api.world import build_world, ids
from tests.api.world import client_for as _client_for

from .factories import SlaPolicyFactory, new_request

pytestmark = pytest.mark.django_db

BASE = "/api/v1/service-requests/"


@pytest.fixture
def world(cast):
    return build_world(cast)


def client_for(user):
    """A signed-in API client that asks for English messages (the default language is Chinese)."""
    client = _client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def url(obj=None, move: str = "") -> str:
    path = BASE if obj is None else f"{BASE}{obj.pk}/"
    return f"{path}{move}/" if move else path


def request_for(world, side: str = "a", **kwargs):
    """A request of customer A or B for its unit, logged by the desk."""
    records = getattr(world, side)
    return new_request(actor=world.cast.desk, customer=records.customer, unit=records.unit, **kwargs)


def set_status(request, status: str, **fields):
    ServiceRequest.objects.filter(pk=request.pk).update(status=status, **fields)
    request.refresh_from_db()
    return request


def messages(response) -> str:
    """All error messages of a response, joined (field errors and detail)."""
    body = response.json()
    if isinstance(body, dict):
        return " ".join(str(m) for value in body.values() for m in (value if isinstance(value, list) else [value]))
    return str(body)


# ------------------------------------------------------------- create


def test_desk_creates_a_request_for_a_unit(world):
    client = client_for(world.cast.desk)
    r = client.post(BASE, {"request_type": "fault_repair", "customer": world.a.customer.pk, "unit": world.a.unit.pk,
                           "title": "回流焊炉温度异常", "severity": "severe"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    request = ServiceRequest.objects.get(pk=body["id"])
    assert body["number"] == request.number and body["number"].startswith("CSI-")
    assert body["channel"] == "api"
    assert body["status"] == "new"
    assert body["sales_order"] == world.a.order.pk  # taken from the unit's sales order line
    assert body["warranty_state"] in ("in_warranty", "contract", "chargeable")
    assert body["warranty_reason"]
    assert body["received_by"] == world.cast.desk.pk
    assert body["sla_due_at"] is not None
    assert body["warnings"] == [] and body["open_requests"] == []


def test_create_warns_about_other_open_requests_for_the_unit(world):
    first = request_for(world)
    client = client_for(world.cast.desk)
    r = client.post(BASE, {"request_type": "fault_repair", "customer": world.a.customer.pk, "unit": world.a.unit.pk,
                           "title": "again"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert [o["number"] for o in body["open_requests"]] == [first.number]
    assert len(body["warnings"]) == 1 and first.number in body["warnings"][0]


def test_create_queries_do_not_grow_with_open_requests(world):
    client = client_for(world.cast.desk)
    payload = {"request_type": "fault_repair", "customer": world.a.customer.pk, "unit": world.a.unit.pk,
               "title": "x"}
    client.post(BASE, payload, format="json")
    with CaptureQueriesContext(connection) as one:
        assert client.post(BASE, payload, format="json").status_code == 201
    for _ in range(3):
        request_for(world)
    with CaptureQueriesContext(connection) as many:
        r = client.post(BASE, payload, format="json")
    assert len(r.json()["warnings"]) == 5
    assert len(many) == len(one)
    assert len(one) <= 32  # the intake's own statements, the gate and the login; no per-row reads


def test_customer_creates_for_own_company_in_the_portal(world):
    client = client_for(world.cast.owner)
    r = client.post(BASE, {"request_type": "fault_repair", "title": "设备报警", "channel": "phone", "priority": "P1",
                           "unit": world.a.unit.pk}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["customer"] == world.a.customer.pk
    assert body["channel"] == "portal"
    assert body["priority"] != "P1" or ServiceRequest.objects.get(pk=body["id"]).priority != "P1"


def test_customer_cannot_create_for_another_company(world):
    client = client_for(world.cast.owner)
    before = ServiceRequest.objects.count()
    r = client.post(BASE, {"request_type": "fault_repair", "title": "x", "customer": world.b.customer.pk},
                    format="json")
    assert r.status_code == 400
    assert "customer" in r.json()
    r = client.post(BASE, {"request_type": "fault_repair", "title": "x", "unit": world.b.unit.pk}, format="json")
    assert r.status_code == 400
    assert "unit" in r.json()
    assert ServiceRequest.objects.count() == before


def test_invalid_create_is_a_400_with_field_errors(world):
    client = client_for(world.cast.desk)
    r = client.post(BASE, {"request_type": "complaint", "customer": world.a.customer.pk, "title": "  "},
                    format="json")
    assert r.status_code == 400
    assert "title" in r.json()
    r = client.post(BASE, {"request_type": "complaint", "customer": world.a.customer.pk, "title": "投诉"},
                    format="json")
    assert r.status_code == 400
    assert "sales_order" in r.json()  # a quality complaint needs the SO#
    r = client.post(BASE, {"request_type": "fault_repair", "title": "x"}, format="json")
    assert r.status_code == 400
    assert "customer" in r.json()
    assert not ServiceRequest.objects.exists()


def test_nobody_and_anonymous_cannot_create(world):
    payload = {"request_type": "fault_repair", "customer": world.a.customer.pk, "title": "x"}
    assert client_for(world.cast.nobody).post(BASE, payload, format="json").status_code == 403
    assert client_for(None).post(BASE, payload, format="json").status_code in (401, 403)
    assert not ServiceRequest.objects.exists()


# ------------------------------------------------------------- list and detail

SEES = {"owner": {"a"}, "colleague": {"a"}, "outsider": {"b"}, "east_staff": {"a"}, "south_staff": {"b"},
        "desk": {"a", "b"}, "manager": {"a", "b"}, "nobody": set()}


@pytest.mark.parametrize("username", list(SEES))
def test_list_and_detail_follow_the_gate(world, username):
    requests = {"a": request_for(world, "a"), "b": request_for(world, "b")}
    client = client_for(world.user(username))
    listed = ids(client.get(BASE))
    assert listed == {requests[side].pk for side in SEES[username]}
    for side, request in requests.items():
        assert client.get(url(request)).status_code == (200 if side in SEES[username] else 404)


def test_list_filters_search_and_order(world):
    a = request_for(world, "a", title="回流焊炉温度异常", severity="major")
    b = request_for(world, "b", title="贴片机抛料", channel="email")
    set_status(b, "in_progress")
    ServiceRequest.objects.filter(pk=a.pk).update(sla_breached=True)
    client = client_for(world.cast.desk)
    assert ids(client.get(BASE, {"status": "in_progress"})) == {b.pk}
    assert ids(client.get(BASE, {"status": ["new", "in_progress"]})) == {a.pk, b.pk}
    assert ids(client.get(BASE, {"breached": "true"})) == {a.pk}
    assert ids(client.get(BASE, {"customer": world.b.customer.pk})) == {b.pk}
    assert ids(client.get(BASE, {"unit": world.a.unit.pk})) == {a.pk}
    assert ids(client.get(BASE, {"channel": "email"})) == {b.pk}
    assert ids(client.get(BASE, {"severity": "major"})) == {a.pk}
    assert ids(client.get(BASE, {"request_type": "fault_repair"})) == {a.pk, b.pk}
    assert ids(client.get(BASE, {"open": "true"})) == {a.pk, b.pk}
    assert ids(client.get(BASE, {"search": a.number})) == {a.pk}
    assert ids(client.get(BASE, {"search": a.number[:-2].lower()})) >= {a.pk}
    assert ids(client.get(BASE, {"search": "抛料"})) == {b.pk}
    r = client.get(BASE, {"ordering": "sla_due_at"})
    assert r.status_code == 200
    assert client.get(BASE, {"ordering": "title"}).status_code == 200  # not allow-listed: ignored
    # a filter on another customer's unit is refused for a customer
    assert client_for(world.cast.owner).get(BASE, {"unit": world.b.unit.pk}).status_code == 400


def test_list_query_count_does_not_grow_with_rows(world):
    client = client_for(world.cast.desk)
    request_for(world, "a")
    client.get(BASE)  # the first call fills this process's cache of the desk's roles (core/stamps.py)
    with CaptureQueriesContext(connection) as one:
        client.get(BASE)
    for side in ("a", "b", "a", "b"):
        request_for(world, side)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(BASE).json()["results"]) == 5
    assert len(many) == len(one)


def test_detail_has_warranty_and_sla_deadlines(world):
    request = request_for(world)
    r = client_for(world.cast.owner).get(url(request))
    assert r.status_code == 200
    body = r.json()
    assert body["warranty_state"] == request.warranty_state
    assert body["warranty_reason"] == request.warranty_reason
    targets = {d["target"]: d for d in body["deadlines"]}
    assert set(targets) == {"first_response", "engineer_contact", "plan_decided", "onsite_arrival", "resolution"}
    assert targets["first_response"]["open"] and targets["first_response"]["due_at"]
    assert targets["engineer_contact"]["started_at"] is None  # runs from dispatch
    assert isinstance(body["time_left_minutes"], int) and body["time_left_minutes"] > 0
    assert body["allowed_moves"] == ["start_review", "propose_plan", "cancel"]


# ------------------------------------------------------------- moves: happy paths

DEPARTMENT = object()

# move -> (status before, payload, check on the request afterwards)
HAPPY = {
    "hand-over": ("new", {"from_department": DEPARTMENT, "note": "销售部转来"},
                  lambda r: r.handed_over_from_id is not None and r.channel == "other_dept"),
    "start-review": ("new", {"note": "开始分析"}, lambda r: r.status == "under_review"),
    "propose-plan": ("new", {"plan": "remote_support", "note": "远程指导"},
                     lambda r: r.status == "plan_proposed" and r.plan == "remote_support"),
    "confirm-plan": ("plan_proposed", {"how": "phone", "confirmed_by_name": "王工"},
                     lambda r: r.status == "plan_confirmed" and r.customer_confirmed_name == "王工"),
    "start-work": ("plan_confirmed", {}, lambda r: r.status == "in_progress"),
    "resolve": ("in_progress", {"resolution": "更换温控模块"}, lambda r: r.status == "resolved"),
    "confirm-resolution": ("resolved", {"how": "signature", "confirmed_by_name": "王工"},
                           lambda r: r.resolution_confirmed_via == "signature"),
    "close": ("resolved", {"no_answer": True}, lambda r: r.status == "closed"),
    "cancel": ("new", {"reason": "客户自行解决"}, lambda r: r.status == "cancelled"),
    "reopen": ("resolved", {"reason": "故障复现"}, lambda r: r.status == "in_progress"),
    "pause": ("new", {"reason": "waiting_parts"}, lambda r: r.sla_paused and r.sla_pause_reason == "waiting_parts"),
    "resume": ("paused", {"note": "备件到货"}, lambda r: not r.sla_paused),
}
MOVES = [*HAPPY, "review"]


def prepare(world, status: str):
    request = request_for(world)
    if status == "paused":
        services.sla_pause(service_request=request, reason="waiting_customer", actor=world.cast.desk)
    elif status == "resolved":
        set_status(request, status, resolved_at=timezone.now() - timedelta(days=1))
    else:
        set_status(request, status)
    return request


def payload_for(world, move: str) -> dict:
    data = dict(HAPPY[move][1]) if move in HAPPY else {"analysis": "温控模块老化", "opinion": "更换模块",
                                                      "decided_plan": "onsite"}
    return {k: (world.department.pk if v is DEPARTMENT else v) for k, v in data.items()}


@pytest.mark.parametrize("move", list(HAPPY))
def test_every_move_through_the_api(world, settings, move):
    settings.FOLLOWUP_WAIT_DAYS = 0
    status, _payload, check = HAPPY[move]
    request = prepare(world, status)
    r = client_for(world.cast.desk).post(url(request, move), payload_for(world, move), format="json")
    assert r.status_code == 200, r.content
    request.refresh_from_db()
    assert check(request)
    body = r.json()
    assert body["id"] == request.pk and body["version"] == request.version and body["status"] == request.status
    assert len(body["deadlines"]) == 5


def test_review_with_customer_feedback_files(world):
    request = prepare(world, "under_review")
    client = client_for(world.cast.desk)
    files = [SimpleUploadedFile("客户意见.txt", "客户书面意见：要求上门".encode()),
             SimpleUploadedFile("补充.txt", b"more feedback")]
    r = client.post(url(request, "review"), {**payload_for(world, "review"), "review_form": "会议评审",
                                             "customer_feedback": files}, format="multipart")
    assert r.status_code == 201, r.content
    body = r.json()
    review = Review.objects.get(pk=body["id"])
    assert review.service_request_id == request.pk and review.decided_plan == "onsite"
    assert body["review_form"] == "会议评审"
    assert sorted(a["original_name"] for a in body["customer_feedback"]) == ["客户意见.txt", "补充.txt"]
    assert attachments_for(review).count() == 2
    # then the decided plan is proposed without naming it again
    r = client.post(url(request, "propose-plan"), {}, format="json")
    assert r.status_code == 200
    assert r.json()["plan"] == "onsite"


def test_review_as_json_and_a_refused_file(world):
    request = prepare(world, "under_review")
    client = client_for(world.cast.desk)
    bad = SimpleUploadedFile("virus.exe", b"MZ....")
    r = client.post(url(request, "review"), {**payload_for(world, "review"), "customer_feedback": [bad]},
                    format="multipart")
    assert r.status_code == 400
    assert "customer_feedback" in r.json()
    assert not Review.objects.exists() and not Attachment.objects.filter(original_name="virus.exe").exists()
    r = client.post(url(request, "review"), payload_for(world, "review"), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["customer_feedback"] == []
    r = client.post(url(request, "review"), {"analysis": "", "decided_plan": "rocket"}, format="json")
    assert r.status_code == 400
    assert {"analysis", "opinion", "decided_plan"} <= set(r.json())


def test_whole_journey_with_the_customer_confirming_in_the_portal(world):
    desk, owner = client_for(world.cast.desk), client_for(world.cast.owner)
    r = owner.post(BASE, {"request_type": "fault_repair", "title": "设备停机", "unit": world.a.unit.pk},
                   format="json")
    request = ServiceRequest.objects.get(pk=r.json()["id"])
    assert desk.post(url(request, "start-review"), {}, format="json").status_code == 200
    assert desk.post(url(request, "review"), payload_for(world, "review"), format="json").status_code == 201
    assert desk.post(url(request, "propose-plan"), {}, format="json").status_code == 200
    r = owner.post(url(request, "confirm-plan"), {}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["customer_confirmed_via"] == "portal"
    assert desk.post(url(request, "start-work"), {}, format="json").status_code == 200
    assert desk.post(url(request, "resolve"), {"resolution": "更换模块"}, format="json").status_code == 200
    r = client_for(world.cast.colleague).post(url(request, "confirm-resolution"), {"how": "portal"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["resolution_confirmed_via"] == "portal"
    timeline = desk.get(url(request, "timeline"))
    assert timeline.status_code == 200
    verbs = [e["verb"] for e in timeline.json()]
    assert verbs[0] == "created"
    assert {"start_review", "reviewed", "propose_plan", "confirm_plan", "start_work", "resolve",
            "resolution_confirmed"} <= set(verbs)
    first = timeline.json()[1]
    assert first["verb_label"] and first["actor_name"]
    # the customer follows every step
    assert owner.get(url(request, "timeline")).status_code == 200


# ------------------------------------------------------------- moves: illegal, access, concurrency


@pytest.mark.parametrize("move", MOVES)
def test_illegal_move_is_a_400_with_the_services_message(world, move):
    request = prepare(world, "cancelled")
    r = client_for(world.cast.desk).post(url(request, move), payload_for(world, move), format="json")
    assert r.status_code == 400, r.content
    assert messages(r)
    request.refresh_from_db()
    assert request.status == "cancelled"


def test_illegal_transition_message(world):
    request = prepare(world, "new")
    r = client_for(world.cast.desk).post(url(request, "start-work"), {}, format="json")
    assert r.status_code == 400
    assert "cannot move to" in messages(r)
    r = client_for(world.cast.desk).post(url(request, "resume"), {}, format="json")
    assert r.status_code == 400
    assert "not paused" in messages(r)


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize("username", ["outsider", "south_staff"])
def test_another_customers_or_regions_request_is_a_404(world, move, username):
    request = prepare(world, HAPPY[move][0] if move in HAPPY else "under_review")
    request.refresh_from_db()  # prepare may have paused it (a move of its own)
    version = request.version
    r = client_for(world.user(username)).post(url(request, move), payload_for(world, move), format="json")
    assert r.status_code == 404
    request.refresh_from_db()
    assert request.version == version


STAFF_MOVES = [m for m in MOVES if m not in ("confirm-plan", "confirm-resolution")]


@pytest.mark.parametrize("move", STAFF_MOVES)
def test_customer_may_see_but_not_make_staff_moves(world, move):
    request = prepare(world, HAPPY[move][0] if move in HAPPY else "under_review")
    r = client_for(world.cast.owner).post(url(request, move), payload_for(world, move), format="json")
    assert r.status_code == 403


@pytest.mark.parametrize("move", MOVES)
def test_nobody_and_anonymous_are_refused(world, move):
    request = prepare(world, HAPPY[move][0] if move in HAPPY else "under_review")
    assert client_for(world.cast.nobody).post(url(request, move), payload_for(world, move),
                                              format="json").status_code == 403
    assert client_for(None).post(url(request, move), payload_for(world, move),
                                 format="json").status_code in (401, 403)


def test_staff_without_change_permission_is_a_403(world):
    dispatcher = UserFactory(username="dispatcher", branch=world.cast.desk.branch, roles=["dispatcher"])
    request = prepare(world, "new")
    client = client_for(dispatcher)
    assert client.get(url(request)).status_code == 200
    assert client.post(url(request, "start-review"), {}, format="json").status_code == 403
    assert client.post(url(request, "confirm-plan"), {"how": "phone", "confirmed_by_name": "王工"},
                       format="json").status_code == 403


def test_branch_staff_move_their_regions_requests(world):
    request = prepare(world, "new")
    assert client_for(world.cast.east_staff).post(url(request, "start-review"), {}, format="json").status_code == 200


def test_customer_only_confirms_in_the_portal_and_the_desk_only_records(world):
    request = prepare(world, "plan_proposed")
    desk, owner = client_for(world.cast.desk), client_for(world.cast.owner)
    assert desk.post(url(request, "confirm-plan"), {"how": "portal"}, format="json").status_code == 403
    assert owner.post(url(request, "confirm-plan"), {"how": "phone", "confirmed_by_name": "我"},
                      format="json").status_code == 403
    r = desk.post(url(request, "confirm-plan"), {}, format="json")  # phone by default: who confirmed?
    assert r.status_code == 400
    assert "confirmed_by_name" in r.json()
    set_status(request, "resolved", resolved_at=timezone.now())
    assert desk.post(url(request, "confirm-resolution"), {"how": "portal"}, format="json").status_code == 403
    assert owner.post(url(request, "confirm-resolution"), {"how": "signature"}, format="json").status_code == 403
    assert client_for(world.cast.outsider).post(url(request, "confirm-resolution"), {},
                                                format="json").status_code == 404
    assert owner.post(url(request, "confirm-resolution"), {}, format="json").status_code == 200


def test_stale_version_is_a_409(world):
    request = prepare(world, "new")
    client = client_for(world.cast.desk)
    read = client.get(url(request)).json()["version"]
    assert client.post(url(request, "hand-over"), {"from_department": world.department.pk, "version": read},
                       format="json").status_code == 200
    r = client.post(url(request, "start-review"), {"version": read}, format="json")
    assert r.status_code == 409
    assert "modified by" in r.json()["detail"]
    r = client.post(url(request, "pause"), {"reason": "waiting_parts", "version": read}, format="json")
    assert r.status_code == 409
    request.refresh_from_db()
    assert request.status == "new" and not request.sla_paused
    assert client.post(url(request, "start-review"), {"version": request.version}, format="json").status_code == 200


# ------------------------------------------------------------- timeline and SLA


def test_timeline_and_sla_are_gated(world):
    request = request_for(world)
    for path in (url(request, "timeline"), url(request, "sla")):
        assert client_for(world.cast.owner).get(path).status_code == 200
        assert client_for(world.cast.outsider).get(path).status_code == 404
        assert client_for(world.cast.south_staff).get(path).status_code == 404
        assert client_for(None).get(path).status_code in (401, 403)


def test_sla_shows_deadlines_and_pauses(world):
    request = request_for(world)
    client = client_for(world.cast.desk)
    assert client.post(url(request, "pause"), {"reason": "waiting_customer"}, format="json").status_code == 200
    body = client.get(url(request, "sla")).json()
    assert body["paused"] and body["pause_reason"] == "waiting_customer"
    assert body["pauses"][0]["ended_at"] is None
    assert not any(d["running"] for d in body["deadlines"])
    assert client.post(url(request, "resume"), {}, format="json").status_code == 200
    body = client.get(url(request, "sla")).json()
    assert not body["paused"]
    assert len(body["pauses"]) == 1 and body["pauses"][0]["ended_at"] is not None
    assert [e["kind"] for e in body["events"]] == ["started", "paused", "resumed"]
    assert {d["target"] for d in body["deadlines"]} >= {"first_response", "plan_decided", "resolution"}
    assert body["time_left_minutes"] is not None


def test_customer_sees_the_clocks_but_not_the_sla_log_or_escalations(world):
    request = request_for(world)
    services.sla_pause(service_request=request, reason="waiting_customer", actor=world.cast.desk)
    record_event(request, actor=None, verb="escalated", note="首次响应 → 服务主管")
    owner, desk = client_for(world.cast.owner), client_for(world.cast.desk)
    mine, theirs = owner.get(url(request, "sla")).json(), desk.get(url(request, "sla")).json()
    assert mine["deadlines"] == theirs["deadlines"]
    assert {d["target"]: d["started_at"] is not None for d in mine["deadlines"]}["first_response"]
    assert len(mine["pauses"]) == 1
    assert mine["events"] == [] and len(theirs["events"]) == 2
    assert "escalated" not in [e["verb"] for e in owner.get(url(request, "timeline")).json()]
    assert "escalated" in [e["verb"] for e in desk.get(url(request, "timeline")).json()]


# ------------------------------------------------------------- e-mail intake

INTAKE = f"{BASE}intake-email/"


def test_email_intake_finds_the_customer_by_contact_email(world):
    world.a.contact.email = "wang@jia.example"
    world.a.contact.save()
    r = client_for(world.cast.desk).post(INTAKE, {
        "from_address": "王工 <WANG@jia.example>", "subject": "炉温异常", "body": "今天早上炉温报警。\n请尽快处理。",
    }, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    request = ServiceRequest.objects.get(pk=body["id"])
    assert request.channel == "email"
    assert request.customer_id == world.a.customer.pk
    assert request.title == "炉温异常"
    assert request.description == "今天早上炉温报警。\n请尽快处理。"
    assert request.contact_name == world.a.contact.name
    assert request.unit_id is None
    assert body["matched_by"] == ["contact_email"]


def test_email_intake_finds_the_unit_by_a_serial_in_the_body(world):
    r = client_for(world.cast.desk).post(INTAKE, {
        "from_address": "someone@unknown.example", "subject": "设备故障",
        "body": "您好，出厂编号SN-B-1的设备无法启动。", "serial": "",
    }, format="json")
    assert r.status_code == 201, r.content
    request = ServiceRequest.objects.get(pk=r.json()["id"])
    assert request.unit_id == world.b.unit.pk
    assert request.customer_id == world.b.customer.pk
    assert request.contact_name == "someone@unknown.example"
    assert r.json()["matched_by"] == ["serial"]


def test_email_intake_with_the_serial_given_and_a_sender_of_another_customer(world):
    world.a.contact.email = "wang@jia.example"
    world.a.contact.save()
    r = client_for(world.cast.desk).post(INTAKE, {
        "from_address": "wang@jia.example", "subject": "请帮忙看看", "body": "", "serial": "sn-b-1",
    }, format="json")
    assert r.status_code == 201, r.content
    request = ServiceRequest.objects.get(pk=r.json()["id"])
    assert request.unit_id == world.b.unit.pk and request.customer_id == world.b.customer.pk
    assert any("wang@jia.example" in w for w in r.json()["warnings"])


def test_email_intake_with_an_address_of_several_customers_needs_the_serial(world):
    for side in (world.a, world.b):
        side.contact.email = "service@group.example"
        side.contact.save()
    client = client_for(world.cast.desk)
    r = client.post(INTAKE, {"from_address": "service@group.example", "subject": "故障"}, format="json")
    assert r.status_code == 400
    assert "several customers" in messages(r)
    r = client.post(INTAKE, {"from_address": "service@group.example", "subject": "SN-A-1 故障",
                             "body": "另：SN-B-1 也需保养"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["customer"] == world.a.customer.pk and body["unit"] == world.a.unit.pk
    assert body["matched_by"] == ["contact_email", "serial"]
    assert any("SN-B-1" in w for w in body["warnings"])


def test_email_intake_refuses_an_unknown_sender_without_serial(world):
    before = ServiceRequest.objects.count()
    r = client_for(world.cast.desk).post(INTAKE, {
        "from_address": "spam@nowhere.example", "subject": "Hello", "body": "Buy now 2024 offer"}, format="json")
    assert r.status_code == 400
    assert "spam@nowhere.example" in messages(r)
    assert "by hand" in messages(r)
    assert ServiceRequest.objects.count() == before


def test_email_intake_is_for_staff(world):
    payload = {"from_address": "x@y.example", "body": "SN-A-1"}
    assert client_for(world.cast.owner).post(INTAKE, payload, format="json").status_code == 403
    assert client_for(world.cast.nobody).post(INTAKE, payload, format="json").status_code == 403
    assert client_for(None).post(INTAKE, payload, format="json").status_code in (401, 403)
    # branch staff find only their own region's units
    assert client_for(world.cast.south_staff).post(INTAKE, payload, format="json").status_code == 400
    assert client_for(world.cast.east_staff).post(INTAKE, payload, format="json").status_code == 201


# ------------------------------------------------------------- reviews and escalations (read-only)


def test_reviews_are_read_only_and_gated(world):
    request = prepare(world, "under_review")
    review = services.review_record(actor=world.cast.desk, service_request=request, analysis="a", opinion="o",
                                    decided_plan="onsite",
                                    customer_feedback=[SimpleUploadedFile("fb.txt", io.BytesIO(b"x").read())])
    other = prepare(world, "under_review")
    services.review_record(actor=world.cast.desk, service_request=other, analysis="a", opinion="o", decided_plan="onsite")
    client = client_for(world.cast.desk)
    r = client.get("/api/v1/reviews/", {"service_request": request.pk})
    assert ids(r) == {review.pk}
    assert [a["original_name"] for a in r.json()["results"][0]["customer_feedback"]] == ["fb.txt"]
    assert client.get(f"/api/v1/reviews/{review.pk}/").json()["service_request_number"] == request.number
    assert client.post("/api/v1/reviews/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/reviews/{review.pk}/").status_code == 405
    assert client_for(world.cast.south_staff).get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert client_for(world.cast.east_staff).get(f"/api/v1/reviews/{review.pk}/").status_code == 200
    assert ids(client_for(world.cast.owner).get("/api/v1/reviews/")) == set()


def test_escalations_are_read_only_and_gated(world):
    a, b = request_for(world, "a"), request_for(world, "b")
    now = timezone.now()
    ea = Escalation.objects.create(service_request=a, target="first_response", level="service_manager", at=now, breached=True)
    eb = Escalation.objects.create(service_request=b, target="plan_decided", level="service_manager", at=now)
    assert ids(client_for(world.cast.desk).get("/api/v1/escalations/")) == {ea.pk, eb.pk}
    assert ids(client_for(world.cast.desk).get("/api/v1/escalations/", {"breached": "true"})) == {ea.pk}
    assert ids(client_for(world.cast.east_staff).get("/api/v1/escalations/")) == {ea.pk}
    assert client_for(world.cast.east_staff).get(f"/api/v1/escalations/{eb.pk}/").status_code == 404
    assert ids(client_for(world.cast.owner).get("/api/v1/escalations/")) == set()
    assert client_for(world.cast.manager).post("/api/v1/escalations/", {}, format="json").status_code == 405


# ------------------------------------------------------------- SLA policies

POLICIES = "/api/v1/sla-policies/"


def policy_payload(**kwargs):
    data = {"name": "重大故障", "severity": "major", "first_response_minutes": 30, "engineer_contact_minutes": 30,
            "plan_decided_minutes": 480, "onsite_arrival_minutes": 480, "resolution_minutes": 2400}
    data.update(kwargs)
    return data


def test_manager_manages_sla_policies(world):
    client = client_for(world.cast.manager)
    r = client.post(POLICIES, policy_payload(), format="json")
    assert r.status_code == 201, r.content
    policy = SlaPolicy.objects.get(pk=r.json()["id"])
    assert policy.first_response_minutes == 30
    r = client.patch(f"{POLICIES}{policy.pk}/", {"first_response_minutes": 20, "version": 1}, format="json")
    assert r.status_code == 200
    assert client.patch(f"{POLICIES}{policy.pk}/", {"first_response_minutes": 10, "version": 1},
                        format="json").status_code == 409
    # a request now uses it; then it cannot be deleted
    request = request_for(world, severity="major")
    assert request.sla_policy_id == policy.pk
    assert client.delete(f"{POLICIES}{policy.pk}/").status_code == 409
    spare = SlaPolicyFactory(name="unused")
    assert client.delete(f"{POLICIES}{spare.pk}/").status_code == 204


def test_invalid_sla_policies_are_400(world):
    client = client_for(world.cast.manager)
    SlaPolicyFactory(name="默认", is_default=True)
    r = client.post(POLICIES, policy_payload(first_response_minutes=0, severity="huge"), format="json")
    assert r.status_code == 400
    assert {"first_response_minutes", "severity"} <= set(r.json())
    r = client.post(POLICIES, policy_payload(name="默认"), format="json")
    assert r.status_code == 400
    assert "name" in r.json()
    r = client.post(POLICIES, policy_payload(name="second default", is_default=True), format="json")
    assert r.status_code == 400
    assert SlaPolicy.objects.count() == 1


def test_sla_policies_are_read_by_staff_only(world):
    policy = SlaPolicyFactory(name="默认")
    assert ids(client_for(world.cast.desk).get(POLICIES)) == {policy.pk}
    assert client_for(world.cast.desk).post(POLICIES, policy_payload(), format="json").status_code == 403
    assert client_for(world.cast.desk).patch(f"{POLICIES}{policy.pk}/", {"name": "x"},
                                             format="json").status_code == 403
    assert ids(client_for(world.cast.owner).get(POLICIES)) == set()
    assert client_for(world.cast.owner).get(f"{POLICIES}{policy.pk}/").status_code == 404
