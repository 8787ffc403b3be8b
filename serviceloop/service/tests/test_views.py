"""Web pages of service requests: queue, intake, portal, QR, each step, SLA policies, and who may see what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.core.attachments import attachments_for
from serviceloop.service.models import ServiceRequest, SlaPolicy

from .factories import SlaPolicyFactory, new_request

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def requests_ab(cast):
    unit_a = UnitFactory(customer=cast.customer_a, serial_number="SN-A-0001")
    unit_b = UnitFactory(customer=cast.customer_b, serial_number="SN-B-0001")
    a = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit_a, title="甲公司回流焊炉报警")
    b = new_request(actor=cast.desk, customer=cast.customer_b, unit=unit_b, title="乙公司贴片机抛料")
    return a, b


# ------------------------------------------------------------- queue

def test_desk_queue_shows_open_requests_nearest_deadline_first(client, cast, requests_ab):
    a, b = requests_ab
    ServiceRequest.objects.filter(pk=b.pk).update(sla_due_at=a.sla_due_at.replace(year=2020))
    page = _login(client, cast.desk).get(reverse("service:queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(b.number) < html.index(a.number)
    assert 'data-sla="overdue"' in html  # b is long overdue


def test_queue_hides_finished_requests_and_the_all_list_shows_them(client, cast, requests_ab):
    a, b = requests_ab
    ServiceRequest.objects.filter(pk=a.pk).update(status="closed")
    _login(client, cast.desk)
    assert a.number not in client.get(reverse("service:queue")).content.decode()
    assert a.number in client.get(reverse("service:list")).content.decode()


def test_branch_staff_see_their_branch_only(client, cast, requests_ab):
    a, b = requests_ab
    html = _login(client, cast.east_staff).get(reverse("service:queue")).content.decode()
    assert a.number in html and b.number not in html
    assert client.get(reverse("service:detail", args=[b.pk])).status_code == 404


def test_queue_filters_search_and_export(client, cast, requests_ab):
    a, b = requests_ab
    _login(client, cast.desk)
    assert b.number not in client.get(reverse("service:queue"), {"q": "SN-A"}).content.decode()
    assert a.number in client.get(reverse("service:queue"), {"q": a.number[:8]}).content.decode()
    assert a.number not in client.get(reverse("service:queue"), {"q": "乙公司"}).content.decode()
    html = client.get(reverse("service:queue"), {"breached": "1"}).content.decode()
    assert a.number not in html
    fragment = client.get(reverse("service:queue"), {"status": "new"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    export = client.get(reverse("service:queue"), {"export": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_queue_query_count_does_not_grow_with_rows(client, cast, django_assert_max_num_queries):
    unit = UnitFactory(customer=cast.customer_a)
    for _ in range(3):
        new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    _login(client, cast.desk)
    client.get(reverse("service:queue"))
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("service:queue"))
    for _ in range(10):
        new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("service:queue"))


def test_outsiders_and_nobody(client, cast, requests_ab):
    a, b = requests_ab
    _login(client, cast.outsider)
    assert client.get(reverse("service:detail", args=[a.pk])).status_code == 404
    assert client.get(reverse("service:step", args=[a.pk, "confirm_plan"])).status_code == 404
    _login(client, cast.nobody)
    assert client.get(reverse("service:queue")).status_code == 403
    assert client.get(reverse("service:create")).status_code == 403
    client.logout()
    assert client.get(reverse("service:queue")).status_code == 302


# ------------------------------------------------------------- intake

def test_lookup_finds_units_and_warns_about_open_requests(client, cast, requests_ab):
    a, _b = requests_ab
    html = _login(client, cast.desk).get(reverse("service:lookup"), {"q": "SN-A"}).content.decode()
    assert "SN-A-0001" in html and a.number in html and "SN-B-0001" not in html
    east_html = _login(client, cast.east_staff).get(reverse("service:lookup"), {"q": "SN-"}).content.decode()
    assert "SN-A-0001" in east_html and "SN-B-0001" not in east_html


def test_phone_intake_of_a_known_unit_takes_a_title(client, cast):
    unit = UnitFactory(customer=cast.customer_a)
    response = _login(client, cast.desk).post(reverse("service:create"), {
        "unit": unit.pk, "title": "主轴异响", "request_type": "fault_repair", "severity": "severe", "channel": "phone",
    })
    created = ServiceRequest.objects.get(title="主轴异响")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert created.customer == cast.customer_a and created.unit == unit and created.received_by == cast.desk
    assert created.warranty_state and created.warranty_reason
    second = client.post(reverse("service:create"), {
        "unit": unit.pk, "title": "主轴又响", "request_type": "fault_repair", "severity": "general", "channel": "phone",
    }, follow=True)
    assert created.number in second.content.decode()  # the open-request warning


def test_intake_errors_keep_what_was_typed_and_write_nothing(client, cast):
    unit = UnitFactory(customer=cast.customer_a)
    _login(client, cast.desk)
    response = client.post(reverse("service:create"), {"unit": unit.pk, "title": "", "request_type": "complaint",
                                                       "severity": "general", "channel": "phone",
                                                       "contact_name": "王工"})
    assert response.status_code == 400 and ServiceRequest.objects.count() == 0
    assert "王工" in response.content.decode()
    response = client.post(reverse("service:create"), {"unit": unit.pk, "title": "质量投诉", "request_type": "complaint",
                                                       "severity": "general", "channel": "phone"})
    assert response.status_code == 400 and ServiceRequest.objects.count() == 0
    assert "SO" in response.content.decode()
    nothing = client.post(reverse("service:create"), {"title": "x", "request_type": "fault_repair",
                                                      "severity": "general", "channel": "phone"})
    assert nothing.status_code == 400 and ServiceRequest.objects.count() == 0


def test_desk_cannot_log_for_a_unit_it_may_not_see(client, cast):
    unit_b = UnitFactory(customer=cast.customer_b)
    response = _login(client, cast.east_staff).post(reverse("service:create"), {
        "unit": unit_b.pk, "title": "x", "request_type": "fault_repair", "severity": "general", "channel": "phone"})
    assert response.status_code == 400 and ServiceRequest.objects.count() == 0


def test_hand_over_from_another_department_is_on_the_timeline(client, cast):
    from serviceloop.accounts.tests.factories import DepartmentFactory
    from serviceloop.core.timeline import events_for

    sales = DepartmentFactory(name="业务部")
    r = new_request(actor=cast.desk, customer=cast.customer_a)
    _login(client, cast.desk).post(reverse("service:step", args=[r.pk, "hand_over"]),
                                   {"from_department": sales.pk, "note": "业务员转来", "version": r.version})
    r.refresh_from_db()
    assert r.handed_over_from == sales and "handed_over" in [e.verb for e in events_for(r)]


# ------------------------------------------------------------- portal and QR

def test_customer_reports_a_fault_from_the_qr_code(client, cast):
    unit = UnitFactory(customer=cast.customer_a)
    _login(client, cast.owner)
    landing = client.get(reverse("assets:unit_qr_landing", args=[unit.qr_token]))
    assert landing.status_code == 302 and "channel=qr" in landing["Location"]
    form = client.get(landing["Location"])
    assert unit.serial_number in form.content.decode()
    response = client.post(landing["Location"], {
        "unit": unit.pk, "request_type": "fault_repair", "title": "屏幕不亮", "severity": "severe",
        "contact_name": "李工", "contact_phone": "13800000000",
        "photo": SimpleUploadedFile("p.png", _png(), content_type="image/png"),
    })
    created = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert (created.channel, created.customer, created.unit) == ("qr", cast.customer_a, unit)
    assert [a.original_name for a in attachments_for(created)] == ["p.png"]


def test_qr_of_another_customers_unit_is_404(client, cast):
    unit_b = UnitFactory(customer=cast.customer_b)
    _login(client, cast.owner)
    assert client.get(reverse("assets:unit_qr_landing", args=[unit_b.qr_token])).status_code == 404
    assert client.get(reverse("service:create"), {"unit": unit_b.pk, "channel": "qr"}).status_code == 404
    response = client.post(reverse("service:create"), {"unit": unit_b.pk, "request_type": "fault_repair",
                                                       "title": "x", "severity": "general",
                                                       "contact_name": "a", "contact_phone": "1"})
    assert response.status_code == 400 and ServiceRequest.objects.count() == 0


def test_portal_lists_own_requests_only_and_customer_confirms_plan(client, cast, requests_ab):
    a, b = requests_ab
    from serviceloop.service import services

    services.request_propose_plan(actor=cast.desk, service_request=a, plan="onsite", note="派工程师上门")
    _login(client, cast.owner)
    assert client.get(reverse("home")).url == reverse("service:portal")
    html = client.get(reverse("service:portal")).content.decode()
    assert a.number in html and b.number not in html
    detail = client.get(reverse("service:detail", args=[a.pk])).content.decode()
    assert "派工程师上门" in detail and 'data-step="confirm_plan"' in detail
    timeline = detail[detail.index('data-testid="timeline"'):]
    assert "plan proposed to the customer" in timeline and "escalated" not in timeline
    assert 'data-step="cancel"' not in detail
    client.post(reverse("service:step", args=[a.pk, "confirm_plan"]))
    a.refresh_from_db()
    assert a.status == "plan_confirmed" and a.customer_confirmed_by == cast.owner
    assert client.post(reverse("service:step", args=[a.pk, "cancel"]), {"reason": "x"}).status_code == 403


# ------------------------------------------------------------- steps at the desk

def test_review_plan_phone_confirmation_work_and_resolution(client, cast):
    r = new_request(actor=cast.desk, customer=cast.customer_a)
    _login(client, cast.desk)
    client.post(reverse("service:step", args=[r.pk, "start_review"]))
    response = client.post(reverse("service:review", args=[r.pk]), {
        "review_form": "会签", "analysis": "温控板虚焊", "opinion": "上门更换", "decided_plan": "remote_support",
        "customer_feedback": SimpleUploadedFile("意见.txt", "同意".encode()),
    })
    assert response.status_code == 302
    r.refresh_from_db()
    review = r.reviews.get()
    assert [a.original_name for a in attachments_for(review)] == ["意见.txt"]
    page = client.get(reverse("service:step", args=[r.pk, "propose_plan"])).content.decode()
    assert 'value="remote_support" selected' in page
    client.post(reverse("service:step", args=[r.pk, "propose_plan"]), {"plan": "remote_support", "note": "远程指导",
                                                                       "version": r.version})
    r.refresh_from_db()
    assert r.status == "plan_proposed"
    missing = client.post(reverse("service:step", args=[r.pk, "confirm_plan"]), {"version": r.version})
    assert missing.status_code == 400
    client.post(reverse("service:step", args=[r.pk, "confirm_plan"]), {"confirmed_by_name": "王工",
                                                                       "version": r.version})
    r.refresh_from_db()
    client.post(reverse("service:step", args=[r.pk, "start_work"]), {"version": r.version})
    r.refresh_from_db()
    client.post(reverse("service:step", args=[r.pk, "resolve"]), {"resolution": "远程调整参数", "version": r.version})
    r.refresh_from_db()
    assert (r.status, r.customer_confirmed_name, r.resolution) == ("resolved", "王工", "远程调整参数")


def test_illegal_and_stale_steps_are_explained(client, cast):
    r = new_request(actor=cast.desk, customer=cast.customer_a)
    _login(client, cast.desk)
    response = client.post(reverse("service:step", args=[r.pk, "resolve"]), {"resolution": "x", "version": r.version})
    assert response.status_code == 400
    r.refresh_from_db()
    assert r.status == "new"
    stale = client.post(reverse("service:step", args=[r.pk, "cancel"]), {"reason": "重复", "version": r.version - 1 or 99})
    assert stale.status_code == 400
    r.refresh_from_db()
    assert r.status == "new"
    assert client.get(reverse("service:step", args=[r.pk, "no_such_step"])).status_code == 404


def test_pause_and_resume_the_clocks(client, cast):
    r = new_request(actor=cast.desk, customer=cast.customer_a)
    _login(client, cast.desk)
    client.post(reverse("service:step", args=[r.pk, "pause"]), {"reason": "waiting_parts"})
    r.refresh_from_db()
    assert r.sla_paused
    assert "paused" in client.get(reverse("service:queue")).content.decode() or r.sla_paused
    client.post(reverse("service:step", args=[r.pk, "resume"]))
    r.refresh_from_db()
    assert not r.sla_paused


def test_viewers_without_change_get_403_on_steps(client, cast, requests_ab):
    from serviceloop.accounts.tests.factories import UserFactory

    a, _b = requests_ab
    quality = UserFactory(username="quality", roles=["quality"])
    _login(client, quality)
    assert client.get(reverse("service:detail", args=[a.pk])).status_code == 200
    assert client.post(reverse("service:step", args=[a.pk, "cancel"]), {"reason": "x"}).status_code == 403
    a.refresh_from_db()
    assert a.status == "new"


# ------------------------------------------------------------- SLA policies

def test_manager_edits_sla_policies_and_desk_cannot(client, cast):
    policy = SlaPolicyFactory(name="A 级客户")
    _login(client, cast.manager)
    assert client.get(reverse("service:sla_policy_list")).status_code == 200
    response = client.post(reverse("service:sla_policy_edit", args=[policy.pk]), {
        "name": "A 级客户", "customer_level": "A", "first_response_minutes": 30, "engineer_contact_minutes": 60,
        "plan_decided_minutes": 480, "onsite_arrival_minutes": 480, "resolution_minutes": 2400, "active": "on",
        "version": policy.version,
    })
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response_minutes == 30
    bad = client.post(reverse("service:sla_policy_create"), {"name": "x", "first_response_minutes": 0,
                                                             "engineer_contact_minutes": 60, "plan_decided_minutes": 1,
                                                             "onsite_arrival_minutes": 1, "resolution_minutes": 1})
    assert bad.status_code == 400 and not SlaPolicy.objects.filter(name="x").exists()
    _login(client, cast.desk)
    assert client.get(reverse("service:sla_policy_edit", args=[policy.pk])).status_code == 403


def test_role_homes(client, cast):
    assert _login(client, cast.desk).get(reverse("home")).url == reverse("service:queue")
    assert _login(client, cast.east_staff).get(reverse("home")).url == reverse("service:queue")


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


def test_the_units_service_file_lists_its_requests(client, cast, requests_ab):
    a, b = requests_ab
    page = _login(client, cast.desk).get(a.unit.get_absolute_url()).content.decode()
    assert a.number in page and b.number not in page and 'data-testid="new-request"' in page
    pdf = client.get(reverse("assets:unit_print", args=[a.unit.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    own = _login(client, cast.owner).get(a.unit.get_absolute_url()).content.decode()
    assert a.number in own
    assert client.get(b.unit.get_absolute_url()).status_code == 404
