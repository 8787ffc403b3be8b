"""Issue 9, the desk and the customer: review attachments on the request page and in the portal, a review
started once, the customer's rejection of a plan, the intake search (any part of a serial or phone, contacts,
more than 8 units, unknown callers and linking them), plain-text Excel, SLA targets as hours and working
days, and the dispatch board's requests waiting for a work order."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.core.models import Notification
from serviceloop.core.timeline import events_for
from serviceloop.customers.tests.factories import ContactFactory
from serviceloop.service import selectors, services
from serviceloop.service.models import ServiceRequest
from serviceloop.service.sla.labels import working_time
from serviceloop.service.steps import REQUEST_STEPS
from tests.api.world import client_for as _api_client

from .factories import SlaPolicyFactory, new_request

pytestmark = pytest.mark.django_db

API = "/api/v1/service-requests/"


def _login(client, user):
    client.force_login(user)
    return client


def api(user):
    c = _api_client(user)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def _proposed(cast, customer=None, plan="onsite"):
    r = new_request(actor=cast.desk, customer=customer or cast.customer_a)
    services.request_start_review(actor=cast.desk, service_request=r)
    services.request_propose_plan(actor=cast.desk, service_request=r, plan=plan, note="派工程师上门")
    r.refresh_from_db()
    return r


def _reviewed(cast, client, *, shown: bool):
    r = new_request(actor=cast.desk, customer=cast.customer_a)
    _login(client, cast.desk)
    client.post(reverse("service:step", args=[r.pk, "start_review"]))
    data = {"analysis": "温控板虚焊", "opinion": "上门更换", "decided_plan": "onsite",
            "customer_feedback": SimpleUploadedFile("客户书面意见.txt", "同意上门".encode())}
    if shown:
        data["shown_to_customer"] = "on"
    assert client.post(reverse("service:review", args=[r.pk]), data).status_code == 302
    return r, r.reviews.get()


# ------------------------------------------------------------- 1. review attachments

def test_review_attachments_show_on_the_request_page(client, cast):
    r, review = _reviewed(cast, client, shown=False)
    assert review.shown_to_customer is False
    html = client.get(reverse("service:detail", args=[r.pk])).content.decode()
    files = html[html.index('data-testid="reviews"'):]
    assert "客户书面意见.txt" in files[:files.index("</ul></div>")]
    assert 'data-testid="shown-to-customer"' not in html


def test_the_customer_sees_review_files_only_when_shown_to_them(client, cast):
    hidden, hidden_review = _reviewed(cast, client, shown=False)
    shown, shown_review = _reviewed(cast, client, shown=True)
    assert shown_review.shown_to_customer is True
    from serviceloop.core.attachments import attachments_for

    hidden_file = attachments_for(hidden_review).get()
    shown_file = attachments_for(shown_review).get()
    _login(client, cast.owner)
    page = client.get(reverse("service:detail", args=[shown.pk])).content.decode()
    assert 'data-testid="review-files"' in page and "客户书面意见.txt" in page
    assert "温控板虚焊" not in page  # the internal analysis stays internal
    assert client.get(reverse("core:attachment_download", args=[shown_file.pk])).status_code == 200
    assert "客户书面意见.txt" not in client.get(reverse("service:detail", args=[hidden.pk])).content.decode()
    assert client.get(reverse("core:attachment_download", args=[hidden_file.pk])).status_code == 404
    _login(client, cast.outsider)  # another company's customer: nothing of it
    assert client.get(reverse("core:attachment_download", args=[shown_file.pk])).status_code == 404


def test_review_api_takes_and_tells_shown_to_customer(cast):
    r = new_request(actor=cast.desk, customer=cast.customer_a)
    services.request_start_review(actor=cast.desk, service_request=r)
    response = api(cast.desk).post(f"{API}{r.pk}/review/", {
        "analysis": "a", "opinion": "o", "decided_plan": "onsite", "shown_to_customer": True}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["shown_to_customer"] is True


# ------------------------------------------------------------- 2. a review starts once

def test_start_review_only_from_new(client, cast):
    r = _proposed(cast)
    assert r.status == "plan_proposed"
    assert "start_review" not in REQUEST_STEPS.allowed_keys(cast.desk, r)
    with pytest.raises(ValidationError):
        services.request_start_review(actor=cast.desk, service_request=r)
    page = _login(client, cast.desk).get(reverse("service:detail", args=[r.pk])).content.decode()
    assert 'data-step="start_review"' not in page
    refused = client.post(reverse("service:step", args=[r.pk, "start_review"]), {"version": r.version})
    assert refused.status_code == 400 and "cannot move" in refused.content.decode()
    response = api(cast.desk).post(f"{API}{r.pk}/start-review/", {}, format="json")
    assert response.status_code == 400
    assert "start_review" not in api(cast.desk).get(f"{API}{r.pk}/").json()["allowed_steps"]
    r.refresh_from_db()
    assert r.status == "plan_proposed"
    assert [e.verb for e in events_for(r)].count("start_review") == 1
    assert [e.verb for e in events_for(r)].count("propose_plan") == 1


# ------------------------------------------------------------- 4. the customer rejects a plan

def test_the_customer_rejects_the_plan_with_a_comment(client, cast):
    r = _proposed(cast)
    before = Notification.objects.filter(kind="plan_rejected").count()
    _login(client, cast.owner)
    page = client.get(reverse("service:detail", args=[r.pk])).content.decode()
    assert 'data-step="reject_plan"' in page and 'data-step="confirm_plan"' in page
    empty = client.post(reverse("service:step", args=[r.pk, "reject_plan"]), {"comment": "  ", "version": r.version})
    assert empty.status_code == 400
    r.refresh_from_db()
    assert r.status == "plan_proposed"
    response = client.post(reverse("service:step", args=[r.pk, "reject_plan"]),
                           {"comment": "上门时间太晚，希望先远程指导", "version": r.version})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == "under_review"
    event = events_for(r).filter(verb="reject_plan").get()
    assert event.note == "上门时间太晚，希望先远程指导" and event.actor == cast.owner
    assert event.from_state == "plan_proposed" and event.to_state == "under_review"
    told = Notification.objects.filter(kind="plan_rejected").exclude(pk__lt=0)
    assert told.count() == before + 1 and told.get().recipient == cast.desk
    assert "上门时间太晚" in told.get().body
    # the desk reviews again and proposes another plan
    assert {"review", "propose_plan"} <= set(REQUEST_STEPS.allowed_keys(cast.desk, r))
    services.request_propose_plan(actor=cast.desk, service_request=r, plan="remote_support", note="远程指导")
    r.refresh_from_db()
    assert r.status == "plan_proposed" and r.plan == "remote_support"


def test_reject_plan_refusals(client, cast):
    r = new_request(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError):  # nothing proposed yet
        services.request_reject_plan(actor=cast.owner, service_request=r, comment="不行")
    r = _proposed(cast)
    _login(client, cast.outsider)
    assert client.post(reverse("service:step", args=[r.pk, "reject_plan"]), {"comment": "x"}).status_code == 404
    response = api(cast.outsider).post(f"{API}{r.pk}/reject-plan/", {"comment": "x"}, format="json")
    assert response.status_code == 404
    no_comment = api(cast.owner).post(f"{API}{r.pk}/reject-plan/", {"comment": ""}, format="json")
    assert no_comment.status_code == 400
    r.refresh_from_db()
    assert r.status == "plan_proposed" and not events_for(r).filter(verb="reject_plan").exists()
    # the desk records a rejection heard on the phone
    ok = api(cast.desk).post(f"{API}{r.pk}/reject-plan/", {"comment": "电话：客户不同意", "version": r.version},
                             format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "under_review"


# ------------------------------------------------------------- 3. intake search

@pytest.fixture
def base(cast):
    unit = UnitFactory(customer=cast.customer_a, serial_number="RF800-2409-0042")
    other = UnitFactory(customer=cast.customer_b, serial_number="RF800-2409-0117")
    contact = ContactFactory(customer=cast.customer_a, name="张建国", phone="13812345678", is_primary=True)
    return unit, other, contact


def test_intake_search_finds_the_last_digits_of_a_serial(client, cast, base):
    unit, other, _contact = base
    found = selectors.intake_search(cast.desk, "0042")
    assert [u.pk for u in found.units] == [unit.pk]
    html = _login(client, cast.desk).get(reverse("service:lookup"), {"q": "2409-0117"}).content.decode()
    assert "RF800-2409-0117" in html and "RF800-2409-0042" not in html
    east = selectors.intake_search(cast.east_staff, "0117")  # another branch's unit stays out
    assert east.units == []


def test_intake_search_by_a_phones_last_digits_and_a_contacts_name_fills_the_contact(client, cast, base):
    unit, _other, contact = base
    found = selectors.intake_search(cast.desk, "5678")
    assert contact in found.contacts and unit in found.units
    html = _login(client, cast.desk).get(reverse("service:lookup"), {"q": "5678"}).content.decode()
    assert 'data-testid="lookup-contacts"' in html
    assert 'data-contact-name="张建国"' in html and 'data-contact-phone="13812345678"' in html
    by_name = selectors.intake_search(cast.desk, "建国")
    assert contact in by_name.contacts and unit in by_name.units


def test_more_than_eight_units_say_so_and_show_all_pages(client, cast):
    for n in range(60):
        UnitFactory(customer=cast.customer_a, serial_number=f"AOI-77{n:02d}")
    _login(client, cast.desk)
    html = client.get(reverse("service:lookup"), {"q": "AOI-77"}).content.decode()
    assert 'data-testid="lookup-count"' in html and "60 units match." in html
    assert html.count("data-pick-unit=") == 8 and 'data-testid="lookup-show-all"' in html
    first = client.get(reverse("service:lookup"), {"q": "AOI-77", "all": "1"}).content.decode()
    assert first.count("data-pick-unit=") == 50 and 'data-testid="lookup-next"' in first
    second = client.get(reverse("service:lookup"), {"q": "AOI-77", "all": "1", "page": "2"}).content.decode()
    assert second.count("data-pick-unit=") == 10 and 'data-testid="lookup-next"' not in second
    shown = {s for page in (first, second) for s in page.split("<strong>")[1:]}
    assert len(shown) == 60
    assert client.get(reverse("service:lookup"), {"q": "AOI-77", "all": "1", "page": "x"}).status_code == 200


def test_an_unknown_caller_is_logged_and_linked_later(client, cast, base):
    unit, _other, _contact = base
    _login(client, cast.desk)
    missing = client.post(reverse("service:create"), {"title": "设备报警", "request_type": "fault_repair",
                                                      "severity": "general", "channel": "phone",
                                                      "caller_company": "新客户科技"})
    assert missing.status_code == 400 and ServiceRequest.objects.count() == 0  # name or phone needed
    response = client.post(reverse("service:create"), {
        "title": "设备报警", "request_type": "fault_repair", "severity": "general", "channel": "phone",
        "caller_company": "新客户科技", "contact_name": "李工", "contact_phone": "13700009999"})
    assert response.status_code == 302
    r = ServiceRequest.objects.get()
    assert r.customer is None and r.caller_company == "新客户科技" and r.contact_phone == "13700009999"
    page = client.get(reverse("service:detail", args=[r.pk])).content.decode()
    assert "新客户科技" in page and 'data-step="link_customer"' in page and 'data-step="propose_plan"' not in page
    assert "新客户科技" in client.get(reverse("service:queue")).content.decode()
    with pytest.raises(ValidationError):  # the step's blocker and the service both refuse
        REQUEST_STEPS.run("propose_plan", cast.desk, r, {"plan": "onsite"})
    with pytest.raises(ValidationError):
        services.request_propose_plan(actor=cast.desk, service_request=r, plan="onsite")
    # branch staff do not see a request without a customer; customers cannot link
    assert _login(client, cast.east_staff).get(reverse("service:detail", args=[r.pk])).status_code == 404
    bad = _login(client, cast.desk).post(reverse("service:step", args=[r.pk, "link_customer"]),
                                         {"customer_code": "NOPE", "version": r.version})
    assert bad.status_code == 400
    wrong_unit = client.post(reverse("service:step", args=[r.pk, "link_customer"]),
                             {"customer_code": "CB", "serial_number": unit.serial_number, "version": r.version})
    assert wrong_unit.status_code == 400
    r.refresh_from_db()
    assert r.customer is None
    linked = client.post(reverse("service:step", args=[r.pk, "link_customer"]),
                         {"customer_code": "ca", "serial_number": unit.serial_number.lower(), "version": r.version})
    assert linked.status_code == 302
    r.refresh_from_db()
    assert r.customer == cast.customer_a and r.unit == unit and r.warranty_state
    assert events_for(r).filter(verb="customer_linked").exists()
    assert "link_customer" not in REQUEST_STEPS.allowed_keys(cast.desk, r)
    assert "propose_plan" in REQUEST_STEPS.allowed_keys(cast.desk, r)


def test_unknown_caller_by_api_and_link_customer_refusals(cast):
    created = api(cast.desk).post(API, {"request_type": "consultation", "title": "咨询", "channel": "phone",
                                        "caller_company": "来电公司", "contact_phone": "0512-66881234"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["customer"] is None and body["caller_company"] == "来电公司"
    r = ServiceRequest.objects.get(pk=body["id"])
    assert api(cast.owner).post(f"{API}{r.pk}/link-customer/", {"customer": cast.customer_a.pk},
                                format="json").status_code == 404
    ok = api(cast.desk).post(f"{API}{r.pk}/link-customer/", {"customer": cast.customer_a.pk}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["customer"] == cast.customer_a.pk
    again = api(cast.desk).post(f"{API}{r.pk}/link-customer/", {"customer": cast.customer_b.pk}, format="json")
    assert again.status_code == 400
    # a customer logging in the portal can never leave out the customer
    portal = api(cast.owner).post(API, {"request_type": "consultation", "title": "咨询", "caller_company": "别人"},
                                  format="json")
    assert portal.status_code == 201 and portal.json()["customer"] == cast.customer_a.pk
    assert portal.json()["caller_company"] == ""


def test_escalating_a_request_without_a_customer_notifies_headquarters(cast):
    from datetime import timedelta

    from django.utils import timezone

    r = services.request_create(actor=cast.desk, channel="phone", request_type="fault_repair", customer=None,
                                caller_company="来电公司", contact_phone="13700001234", title="报警",
                                received_at=timezone.now() - timedelta(days=5)).service_request
    created = services.sla_escalate()
    assert any(e.service_request_id == r.pk for e in created)
    assert Notification.objects.filter(recipient=cast.manager).exists()


# ------------------------------------------------------------- 5. Excel: plain text

def test_queue_export_has_no_html_in_the_sla_column(client, cast):
    new_request(actor=cast.desk, customer=cast.customer_a)
    paused = new_request(actor=cast.desk, customer=cast.customer_a)
    services.sla_pause(service_request=paused, reason="waiting_parts", actor=cast.desk)
    export = _login(client, cast.desk).get(reverse("service:queue"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("SLA")
    values = [row[column] for row in rows[1:]]
    assert values and all("<" not in str(v) and "&" not in str(v) for v in values)
    assert "paused" in values and any(str(v).startswith("left ") for v in values)


def test_excel_cells_of_safe_html_are_plain_text():
    from django.utils.html import format_html

    from serviceloop.core.excel import _cell

    assert _cell(format_html('<span class="badge" title="{}">{} {}</span>', "x", "逾期", "2h 5m")) == "逾期 2h 5m"
    assert _cell("<b>typed by a user</b>") == "<b>typed by a user</b>"  # text, not HTML the page made


# ------------------------------------------------------------- 6. SLA targets in hours and working days

def test_working_time_labels():
    assert working_time(240) == "4 h"
    assert working_time(1440) == "3 working days"
    assert working_time(480) == "1 working day"
    assert working_time(720) == "1 working day 4 h"
    assert working_time(90) == "1 h 30 min"
    assert working_time(30) == "30 min"
    assert working_time(1440, round_the_clock=True) == "1 day"


def test_sla_policy_pages_show_hours_and_working_days(client, cast):
    policy = SlaPolicyFactory(name="A 级客户", first_response_minutes=240, plan_decided_minutes=1440)
    _login(client, cast.manager)
    listing = client.get(reverse("service:sla_policy_list")).content.decode()
    assert "4 h" in listing and "3 working days" in listing and ">240<" not in listing
    detail = client.get(reverse("service:sla_policy_detail", args=[policy.pk])).content.decode()
    assert "4 h" in detail and "3 working days" in detail
    edit = client.get(reverse("service:sla_policy_edit", args=[policy.pk])).content.decode()
    assert "Now 3 working days." in edit


# ------------------------------------------------------------- 7. dispatch board: requests waiting for a WO

def test_dispatch_board_lists_confirmed_on_site_plans_waiting_for_a_work_order(client, cast):
    from serviceloop.accounts.tests.factories import UserFactory

    dispatcher = UserFactory(username="dispatcher", roles=["dispatcher"])
    waiting = _proposed(cast)
    services.request_confirm_plan(actor=cast.desk, service_request=waiting, how="phone", confirmed_by_name="王工")
    remote = _proposed(cast, plan="remote_support")
    services.request_confirm_plan(actor=cast.desk, service_request=remote, how="phone", confirmed_by_name="王工")
    elsewhere = _proposed(cast, customer=cast.customer_b)
    services.request_confirm_plan(actor=cast.desk, service_request=elsewhere, how="phone", confirmed_by_name="李工")
    html = _login(client, cast.desk).get(reverse("workorders:board")).content.decode()
    section = html[html.index('data-testid="waiting-requests"'):]
    section = section[:section.index("</ul>")]
    assert waiting.number in section and elsewhere.number in section and remote.number not in section
    assert reverse("workorders:create", args=[waiting.pk]) in section
    html = _login(client, dispatcher).get(reverse("workorders:board")).content.decode()
    assert waiting.number in html
    east = _login(client, cast.east_staff).get(reverse("workorders:board"))
    if east.status_code == 200:  # branch staff see their branch's only
        assert elsewhere.number not in east.content.decode()
    from serviceloop.workorders.services import work_order_create

    work_order_create(actor=cast.desk, service_request=waiting)
    html = _login(client, cast.desk).get(reverse("workorders:board")).content.decode()
    section = html[html.index('data-testid="waiting-requests"'):]
    assert waiting.number not in section[:section.index("</ul>")]


# ------------------------------------------------------------- the new steps' services

def _unknown(cast, **kwargs):
    return services.request_create(actor=cast.desk, channel="phone", request_type="fault_repair", customer=None,
                                   caller_company="来电公司", contact_name="陈工", title="报警", **kwargs).service_request


def test_link_customer_service_takes_the_warranty_priority_and_policy_and_checks_the_version(cast):
    from serviceloop.core.concurrency import StaleEditError

    policy = SlaPolicyFactory(name="A 级", customer_level="A")
    cast.customer_a.level = "A"
    cast.customer_a.save()
    r = _unknown(cast)
    assert r.customer is None and r.priority == "P3" and r.sla_policy is None and r.warranty_state == ""
    unit = UnitFactory(customer=cast.customer_a)
    with pytest.raises(StaleEditError):
        services.request_link_customer(actor=cast.desk, service_request=r, customer=cast.customer_a,
                                       expected_version=r.version + 5)
    with pytest.raises(ValidationError) as wrong:
        services.request_link_customer(actor=cast.desk, service_request=r, customer=cast.customer_b, unit=unit)
    assert "unit" in wrong.value.message_dict
    r.refresh_from_db()
    assert r.customer is None and r.unit is None
    services.request_link_customer(actor=cast.desk, service_request=r, customer=cast.customer_a, unit=unit,
                                   expected_version=r.version)
    r.refresh_from_db()
    assert (r.customer, r.unit, r.priority, r.sla_policy) == (cast.customer_a, unit, "P2", policy)
    assert r.warranty_state and r.caller_company == "来电公司"
    with pytest.raises(ValidationError):
        services.request_link_customer(actor=cast.desk, service_request=r, customer=cast.customer_b)


def test_intake_without_customer_needs_the_callers_company_and_a_name_or_phone(cast):
    with pytest.raises(ValidationError) as nothing:
        services.request_create(actor=cast.desk, channel="phone", request_type="fault_repair", customer=None, title="x")
    assert "customer" in nothing.value.message_dict
    with pytest.raises(ValidationError) as nobody:
        services.request_create(actor=cast.desk, channel="phone", request_type="fault_repair", customer=None,
                                caller_company="来电公司", title="x")
    assert "contact_phone" in nobody.value.message_dict
    assert ServiceRequest.objects.count() == 0


def test_reject_plan_service_checks_the_version_and_the_customer(cast):
    from serviceloop.core.concurrency import StaleEditError

    r = _proposed(cast)
    with pytest.raises(StaleEditError):
        services.request_reject_plan(actor=cast.owner, service_request=r, comment="不行", expected_version=r.version - 1)
    with pytest.raises(ValidationError):
        services.request_reject_plan(actor=cast.outsider, service_request=r, comment="不行")
    r.refresh_from_db()
    assert r.status == "plan_proposed"
    assert not Notification.objects.filter(kind="plan_rejected").exists()
