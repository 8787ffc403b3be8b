"""The work order API: every endpoint through the gate (404 invisible, 403 visible but not allowed,
400 with a message for a bad move), and the allowed call working."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from serviceloop.assets.tests.factories import SalesOrderFactory, UnitFactory
from serviceloop.core.models import AuthorizationFailure
from serviceloop.workorders import services
from serviceloop.workorders.models import FeeLine, WorkOrder

from .factories import confirmed_request, new_work_order, on_site, signature_data_url, today

pytestmark = pytest.mark.django_db

# who sees customer A's and customer B's work orders and service reports
SEES = {
    "owner": {"a"}, "colleague": {"a"}, "outsider": {"b"}, "east_staff": {"a"}, "south_staff": {"b"},
    "desk": {"a", "b"}, "manager": {"a", "b"}, "nobody": set(),
}
# internal records (help requests, work reports, fees): staff only
STAFF_SEES = {**SEES, "owner": set(), "colleague": set(), "outsider": set()}


@dataclass
class Side:
    wo: Any
    draft: Any
    request: Any
    help_request: Any
    report: Any
    work_report: Any
    fee: Any
    lead: Any


def _side(crew, customer, lead) -> Side:
    unit = UnitFactory(customer=customer, ship_date=dt.date(2020, 1, 1))  # out of warranty: chargeable
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=customer, lead=lead, unit=unit)
    help_request = services.help_request_create(actor=lead, work_order=wo, reason="需要总部支援")
    report = services.service_report_prepare(actor=lead, work_order=wo)
    work_report = services.work_report_save(actor=lead, work_order=wo, fault_phenomenon="不启动",
                                            cause_analysis="保险丝熔断", actions_taken="更换保险丝")
    fee = services.fee_line_save(user=crew.desk, instance=FeeLine(work_order=wo, kind="travel", description="差旅费",
                                                                  quantity=Decimal("1"), unit_price=Decimal("300")))
    draft = new_work_order(actor=crew.dispatcher, customer=customer)
    request = confirmed_request(actor=crew.desk, customer=customer)
    return Side(wo=wo, draft=draft, request=request, help_request=help_request, report=report,
                work_report=work_report, fee=fee, lead=lead)


class World:
    def __init__(self, crew):
        self.crew = crew
        self.a = _side(crew, crew.customer_a, crew.east_eng)
        self.b = _side(crew, crew.customer_b, crew.south_eng)

    def user(self, name):
        return getattr(self.crew, name)

    def dispatch(self, wo, *, accept=False):
        services.work_order_assign(actor=self.crew.dispatcher, work_order=wo, lead=self.crew.east_eng)
        services.work_order_approve(actor=self.crew.manager, work_order=wo)
        if accept:
            services.work_order_accept(actor=self.crew.east_eng, work_order=wo)


@pytest.fixture
def world(crew):
    return World(crew)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _call(client, method, url, body=None, fmt="json"):
    return getattr(client, method)(url, body if body is not None else {}, format=fmt)


# ------------------------------------------------------------- lists and details

RECORDS = {
    "work-orders": ("wo", SEES),
    "service-reports": ("report", SEES),
    "help-requests": ("help_request", STAFF_SEES),
    "work-reports": ("work_report", STAFF_SEES),
    "fee-lines": ("fee", STAFF_SEES),
}


@pytest.mark.parametrize("username", list(SEES))
def test_lists_and_details_follow_the_gate(world, username):
    client = client_for(world.user(username))
    for endpoint, (attr, sees) in RECORDS.items():
        listed = ids(client.get(f"/api/v1/{endpoint}/"))
        for side in ("a", "b"):
            obj = getattr(getattr(world, side), attr)
            detail = client.get(f"/api/v1/{endpoint}/{obj.pk}/")
            if side in sees[username]:
                assert obj.pk in listed, (endpoint, side)
                assert detail.status_code == 200, (endpoint, side)
            else:
                assert obj.pk not in listed, (endpoint, side)
                assert detail.status_code == 404, (endpoint, side)


def test_work_order_detail_shows_team_and_records(world):
    data = client_for(world.crew.owner).get(f"/api/v1/work-orders/{world.a.wo.pk}/").json()
    assert data["status"] == "on_site" and data["lead"] == world.crew.east_eng.pk
    assert [m["engineer_name"] for m in data["team"]] == [str(world.crew.east_eng)]
    assert data["team"][0]["phone"] == "13911112222"
    assert len(data["visits"]) == 1 and "complete" in data["allowed_moves"]


def test_list_filters(world):
    client = client_for(world.crew.desk)
    assert ids(client.get("/api/v1/work-orders/", {"status": "draft"})) == {world.a.draft.pk, world.b.draft.pk}
    assert ids(client.get("/api/v1/work-orders/", {"customer": world.crew.customer_a.pk})) == {
        world.a.wo.pk, world.a.draft.pk}
    assert ids(client.get("/api/v1/work-orders/", {"search": world.a.wo.number})) == {world.a.wo.pk}
    assert ids(client.get("/api/v1/fee-lines/", {"work_order": world.a.wo.pk})) == {world.a.fee.pk}
    # a filter naming another customer's record is refused for a customer
    response = client_for(world.crew.owner).get("/api/v1/work-orders/", {"customer": world.crew.customer_b.pk})
    assert response.status_code == 400


# ------------------------------------------------------------- every action: 404, 403, allowed
# name -> (method, url, body, the visible-but-not-allowed user, the allowed user, its status, prepare)

def _png_upload():
    import base64

    return SimpleUploadedFile("photo.png", base64.b64decode(signature_data_url().split(",", 1)[1]),
                              content_type="image/png")


def cases(w: World) -> dict[str, tuple]:
    a, c = w.a, w.crew
    wo = f"/api/v1/work-orders/{a.wo.pk}"
    draft = f"/api/v1/work-orders/{a.draft.pk}"
    hr = f"/api/v1/help-requests/{a.help_request.pk}"
    rpt = f"/api/v1/service-reports/{a.report.pk}"
    wr = f"/api/v1/work-reports/{a.work_report.pk}"
    fee = f"/api/v1/fee-lines/{a.fee.pk}"
    hq_profile = c.hq_eng.engineer.pk
    east_profile = c.east_eng.engineer.pk
    return {
        "plan": ("patch", f"{draft}/", lambda: {"work_instruction": "按作业指导书 SOP-12"}, "owner", "dispatcher",
                 200, None),
        "assign": ("post", f"{draft}/assign/", lambda: {"lead": east_profile, "planned_date": today().isoformat()},
                   "east_staff", "dispatcher", 200, None),
        "approve": ("post", f"{draft}/approve/", lambda: {}, "desk", "manager", 200,
                    lambda: services.work_order_assign(actor=c.dispatcher, work_order=a.draft, lead=c.east_eng)),
        "reject": ("post", f"{draft}/reject/", lambda: {"reason": "再议"}, "dispatcher", "manager", 200,
                   lambda: services.work_order_assign(actor=c.dispatcher, work_order=a.draft, lead=c.east_eng)),
        "ranking": ("get", f"{draft}/ranking/", None, "east_staff", "dispatcher", 200, None),
        "accept": ("post", f"{draft}/accept/", lambda: {}, "east_helper", "east_eng", 200,
                   lambda: w.dispatch(a.draft)),
        "decline": ("post", f"{draft}/decline/", lambda: {"reason": "出差"}, "east_helper", "east_eng", 200,
                    lambda: w.dispatch(a.draft)),
        "contacted": ("post", f"{draft}/contacted/", lambda: {"note": "已电话联系"}, "owner", "east_eng", 200,
                      lambda: w.dispatch(a.draft)),
        "check_in": ("post", f"{draft}/check-in/", lambda: {"latitude": "31.230400", "longitude": "121.473700"},
                     "east_helper", "east_eng", 201, lambda: w.dispatch(a.draft, accept=True)),
        "check_out": ("post", f"{wo}/check-out/", lambda: {}, "owner", "east_eng", 200, None),
        "progress": ("post", f"{wo}/progress/", lambda: {"note": "更换传感器"}, "desk", "east_eng", 201, None),
        "tests": ("post", f"{wo}/tests/", lambda: {"item": "空载运行", "result": "正常", "passed": True}, "manager",
                  "east_eng", 201, None),
        "hours": ("post", f"{wo}/hours/", lambda: {"day": today().isoformat(), "hours": "2.5"}, "east_staff",
                  "east_eng", 200, None),
        "parts": ("post", f"{wo}/parts/", lambda: {"parts_used": "传感器 x2"}, "owner", "east_eng", 200, None),
        "photos": ("post", f"{wo}/photos/", lambda: {"file": _png_upload(), "description": "现场"}, "owner",
                   "east_eng", 201, None),
        "result": ("post", f"{wo}/result/", lambda: {"result": "fixed", "work_done": "更换传感器"}, "dispatcher",
                   "east_eng", 200, None),
        "escalation_plan": ("post", f"{wo}/escalation-plan/", lambda: {"plan": "技术部出方案"}, "east_eng", "manager",
                            200, lambda: services.work_order_record_result(
                                actor=c.east_eng, work_order=a.wo, result="escalate_technical", work_done="无法修复")),
        "close": ("post", f"{wo}/close/", lambda: {}, "east_eng", "desk", 400,
                  lambda: services.work_order_record_result(actor=c.east_eng, work_order=a.wo, result="fixed",
                                                            work_done="更换传感器")),
        "cancel": ("post", f"{draft}/cancel/", lambda: {"reason": "客户取消"}, "owner", "dispatcher", 200, None),
        "link_so": ("post", f"{wo}/link-sales-order/", lambda: {"sales_order": w.so_a.pk}, "east_eng", "desk", 200,
                    None),
        "wo_pdf": ("get", f"{wo}/pdf/", None, None, "owner", 200, None),
        "fee_pdf": ("get", f"{wo}/fee-statement/", None, "owner", "desk", 200, None),
        "help_approve": ("post", f"{hr}/approve/", lambda: {"hq_engineer": hq_profile}, "east_staff", "manager", 200,
                         None),
        "help_reject": ("post", f"{hr}/reject/", lambda: {"reason": "无人可派"}, "east_eng", "manager", 200, None),
        "help_confirm": ("post", f"{hr}/confirm/", lambda: {"support_given": "远程指导", "rating": 4}, "manager",
                         "east_eng", 200, lambda: services.help_request_approve(
                             actor=c.manager, help_request=a.help_request, hq_engineer=c.hq_eng)),
        "report_edit": ("patch", f"{rpt}/", lambda: {"work_done": "更换传感器并调试"}, "owner", "east_eng", 200, None),
        "report_sign": ("post", f"{rpt}/sign/", lambda: {"signature": signature_data_url(), "signer_name": "王工",
                                                         "satisfied": True}, "owner", "east_eng", 200,
                        lambda: services.work_order_record_result(actor=c.east_eng, work_order=a.wo, result="fixed",
                                                                  work_done="更换传感器")),
        "report_pdf": ("get", f"{rpt}/pdf/", None, None, "owner", 200, None),
        "work_report_edit": ("patch", f"{wr}/", lambda: {"preventive_suggestion": "定期点检"}, "east_staff",
                             "east_eng", 200, None),
        "work_report_pdf": ("get", f"{wr}/pdf/", None, None, "desk", 200, None),
        "fee_update": ("patch", f"{fee}/", lambda: {"quantity": "2"}, "east_staff", "desk", 200, None),
        "fee_delete": ("delete", f"{fee}/", None, "east_staff", "desk", 204, None),
    }


CASE_NAMES = sorted([
    "plan", "assign", "approve", "reject", "ranking", "accept", "decline", "contacted", "check_in", "check_out",
    "progress", "tests", "hours", "parts", "photos", "result", "escalation_plan", "close", "cancel", "link_so",
    "wo_pdf", "fee_pdf", "help_approve", "help_reject", "help_confirm", "report_edit", "report_sign", "report_pdf",
    "work_report_edit", "work_report_pdf", "fee_update", "fee_delete",
])


def _fmt(name):
    return "multipart" if name == "photos" else "json"


def test_the_case_table_covers_every_case(world):
    world.so_a = SalesOrderFactory(customer=world.crew.customer_a)
    assert set(cases(world)) == set(CASE_NAMES)


def test_invisible_records_are_404_everywhere(world):
    world.so_a = SalesOrderFactory(customer=world.crew.customer_a)
    before = AuthorizationFailure.objects.count()
    for name, (method, url, body, _f, _ok, _code, _prep) in cases(world).items():
        for username in ("outsider", "south_staff", "nobody"):
            response = _call(client_for(world.user(username)), method, url, body() if body else None, _fmt(name))
            assert response.status_code == 404, (name, username, response.content)
    assert AuthorizationFailure.objects.count() > before


def test_visible_but_not_allowed_is_403_everywhere(world):
    world.so_a = SalesOrderFactory(customer=world.crew.customer_a)
    for name, (method, url, body, forbidden, _ok, _code, prepare) in cases(world).items():
        if forbidden is None:
            continue
        response = _call(client_for(world.user(forbidden)), method, url, body() if body else None, _fmt(name))
        assert response.status_code == 403, (name, forbidden, response.content)
        assert response.json()["detail"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_the_allowed_call_works(world, name):
    world.so_a = SalesOrderFactory(customer=world.crew.customer_a)
    method, url, body, _forbidden, allowed, code, prepare = cases(world)[name]
    if prepare is not None:
        prepare()
    response = _call(client_for(world.user(allowed)), method, url, body() if body else None, _fmt(name))
    assert response.status_code == code, (name, response.content)
    if method == "get" and url.endswith("pdf/") or url.endswith("fee-statement/"):
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    if code == 400:
        assert "signed" in str(response.json())  # a clear message from the service


# ------------------------------------------------------------- creation endpoints

def test_create_work_order(world):
    crew = world.crew
    body = {"service_request": world.a.request.pk, "planned_date": today().isoformat(), "required_skill": crew.skill.pk}
    assert client_for(crew.owner).post("/api/v1/work-orders/", body, format="json").status_code == 403
    assert client_for(crew.east_eng).post("/api/v1/work-orders/", body, format="json").status_code == 403
    response = client_for(crew.south_staff).post("/api/v1/work-orders/", body, format="json")
    assert response.status_code == 403
    response = client_for(crew.desk).post("/api/v1/work-orders/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["number"].startswith("WO-") and response.json()["status"] == "draft"
    again = client_for(crew.desk).post("/api/v1/work-orders/", body, format="json")
    assert again.status_code == 400 and "still open" in str(again.json())


def test_create_work_order_for_a_request_the_dispatcher_cannot_see(world, crew):
    east_dispatcher = crew.dispatcher
    east_dispatcher.branch = crew.east
    east_dispatcher.save()
    east_dispatcher = type(east_dispatcher).objects.get(pk=east_dispatcher.pk)
    response = client_for(east_dispatcher).post("/api/v1/work-orders/", {"service_request": world.b.request.pk},
                                                format="json")
    assert response.status_code == 400 and "service_request" in response.json()


def test_create_help_request_report_work_report_and_fee(world):
    crew, a = world.crew, world.a
    world.dispatch(a.draft)
    body = {"work_order": a.draft.pk, "reason": "PLC 程序异常", "skill": crew.skill.pk}
    assert client_for(crew.owner).post("/api/v1/help-requests/", body, format="json").status_code == 403
    assert client_for(crew.south_staff).post("/api/v1/help-requests/", body, format="json").status_code == 400
    response = client_for(crew.east_staff).post("/api/v1/help-requests/", body, format="json")
    assert response.status_code == 201 and response.json()["number"].startswith("HR-")

    response = client_for(crew.east_eng).post("/api/v1/service-reports/", {"work_order": a.wo.pk}, format="json")
    assert response.status_code == 201 and response.json()["id"] == a.report.pk
    assert client_for(crew.owner).post("/api/v1/service-reports/", {"work_order": a.wo.pk},
                                       format="json").status_code == 403

    wr = {"work_order": a.wo.pk, "fault_phenomenon": "x", "cause_analysis": "y", "actions_taken": "z"}
    assert client_for(crew.east_eng).post("/api/v1/work-reports/", wr, format="json").status_code == 201
    assert client_for(crew.owner).post("/api/v1/work-reports/", wr, format="json").status_code == 403
    wr_bad = {**wr, "cause_analysis": ""}
    bad = client_for(crew.east_eng).post("/api/v1/work-reports/", wr_bad, format="json")
    assert bad.status_code == 400 and "cause_analysis" in bad.json()

    fee = {"work_order": a.wo.pk, "kind": "parts", "description": "传感器", "quantity": "2", "unit_price": "150.5"}
    response = client_for(crew.desk).post("/api/v1/fee-lines/", fee, format="json")
    assert response.status_code == 201 and response.json()["amount"] == "301.00"
    assert client_for(crew.owner).post("/api/v1/fee-lines/", fee, format="json").status_code == 403
    other = client_for(crew.east_helper).post("/api/v1/fee-lines/", fee, format="json")
    assert other.status_code == 403  # an engineer not on the job


def test_illegal_moves_are_400_with_the_message(world):
    response = client_for(world.crew.manager).post(f"/api/v1/work-orders/{world.a.wo.pk}/approve/", {},
                                                   format="json")
    assert response.status_code == 400
    assert "cannot move to" in str(response.json())


def test_sign_and_verify_through_the_api(world):
    crew, a = world.crew, world.a
    services.work_order_record_result(actor=crew.east_eng, work_order=a.wo, result="fixed", work_done="更换传感器")
    url = f"/api/v1/service-reports/{a.report.pk}/sign/"
    blank = client_for(crew.east_eng).post(url, {"signature": signature_data_url(blank=True), "signer_name": "王工",
                                                 "satisfied": True}, format="json")
    assert blank.status_code == 400 and "blank" in str(blank.json()["signature"])
    unhappy = client_for(crew.east_eng).post(url, {"signature": signature_data_url(), "signer_name": "王工",
                                                   "satisfied": False}, format="json")
    assert unhappy.status_code == 400 and "unsatisfied_reason" in unhappy.json()
    signed = client_for(crew.east_eng).post(url, {"signature": signature_data_url(), "signer_name": "王工",
                                                  "satisfied": True}, format="json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    pdf = client_for(crew.owner).get(f"/api/v1/service-reports/{a.report.pk}/pdf/").content

    def verify(user, content):
        upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
        return client_for(user).post("/api/v1/service-reports/verify/", {"file": upload}, format="multipart")

    ok = verify(crew.owner, pdf)
    assert ok.status_code == 200 and ok.json()["valid"] is True and ok.json()["report"] == a.report.pk
    altered = bytearray(pdf)
    altered[100] ^= 0x01
    assert verify(crew.owner, bytes(altered)).json()["valid"] is False
    assert verify(crew.outsider, pdf).json()["valid"] is False  # another customer's report is not confirmed
    assert verify(crew.nobody, pdf).status_code == 403


def test_put_is_not_offered_on_work_orders(world):
    response = client_for(world.crew.dispatcher).put(f"/api/v1/work-orders/{world.a.draft.pk}/", {}, format="json")
    assert response.status_code == 405


def test_work_order_list_has_no_n_plus_one(world, django_assert_max_num_queries):
    for _ in range(3):
        new_work_order(actor=world.crew.dispatcher, customer=world.crew.customer_a)
    client = client_for(world.crew.desk)
    client.get("/api/v1/work-orders/")  # warm the permission caches
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/work-orders/")
    assert len(response.json()["results"]) == WorkOrder.objects.count()



# ------------------------------------------------------------- the renamed field (0.2 -> 0.3)

def test_the_old_name_request_is_still_accepted_on_input(world):
    """``request`` was renamed ``service_request``: the old name still works in bodies and filters for
    one release (form data too), both at once is a 400, and answers carry only the new name."""
    crew, a = world.crew, world.a
    client = client_for(crew.desk)
    response = client.post("/api/v1/work-orders/", {"request": a.request.pk}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["service_request"] == a.request.pk and "request" not in created
    assert WorkOrder.objects.get(pk=created["id"]).service_request == a.request
    by_old = ids(client.get("/api/v1/work-orders/", {"request": a.request.pk}))
    by_new = ids(client.get("/api/v1/work-orders/", {"service_request": a.request.pk}))
    assert by_old == by_new == {created["id"]}
    assert ids(client.get("/api/v1/work-orders/", {"request": a.wo.service_request_id})) == {a.wo.pk}
    other = confirmed_request(actor=crew.desk, customer=crew.customer_a)
    assert client.post("/api/v1/work-orders/", {"request": other.pk}, format="multipart").status_code == 201
    both = client.post("/api/v1/work-orders/", {"request": a.request.pk, "service_request": other.pk},
                       format="json")
    assert both.status_code == 400 and "service_request" in both.json()["request"][0]
    assert client.get("/api/v1/work-orders/", {"request": a.request.pk,
                                                "service_request": a.request.pk}).status_code == 400
