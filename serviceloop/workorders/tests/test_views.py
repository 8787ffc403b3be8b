"""Web pages of work orders: every page and every step through the browser's forms, and who may see
and do what (404 for what one may not see, 403 for what one may see but not do)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.assets.tests.factories import SalesOrderFactory, UnitFactory
from serviceloop.core.attachments import attachments_for
from serviceloop.customers.tests.factories import SiteFactory
from serviceloop.service.tests.factories import new_request
from serviceloop.workorders import services
from serviceloop.workorders.models import (
    FeeLine,
    HelpRequest,
    LabourEntry,
    ProgressNote,
    ServiceReport,
    TestRecord,
    Visit,
    WorkOrder,
    WorkReport,
)

from .factories import (
    completed,
    confirmed_request,
    dispatched,
    new_work_order,
    on_site,
    signature_data_url,
    today,
)

pytestmark = pytest.mark.django_db


def _login(client, user):
    """Log in and read the pages in English (the default language is Chinese; messages are asserted in English)."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _text(response) -> str:
    return response.content.decode()


def _step(wo, key):
    return reverse("workorders:step", args=[wo.pk, key])


def _png(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def old_unit(crew):
    """A unit of customer A long out of warranty: its jobs are chargeable."""
    site = SiteFactory(customer=crew.customer_a, name="一号车间", city="上海", latitude=31.2, longitude=121.5)
    return UnitFactory(customer=crew.customer_a, serial_number="SN-A-0001", ship_date=dt.date(2020, 1, 1), site=site)


def _dispatched(crew, **kwargs):
    return dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                      **kwargs)


# ------------------------------------------------------------- creation

def test_create_from_a_confirmed_onsite_request(client, crew):
    request = confirmed_request(actor=crew.desk, customer=crew.customer_a, title="回流焊炉报警")
    _login(client, crew.dispatcher)
    request_page = _text(client.get(request.get_absolute_url()))
    assert reverse("workorders:create", args=[request.pk]) in request_page
    url = reverse("workorders:create", args=[request.pk])
    page = client.get(url)
    assert page.status_code == 200 and request.number in _text(page) and 'accesskey="s"' in _text(page)
    response = client.post(url, {"description": "更换温控模块", "work_instruction": "1. 断电\n2. 测炉温曲线",
                                 "required_skill": crew.skill.pk, "planned_date": today().isoformat()})
    wo = WorkOrder.objects.get(service_request=request)
    assert response.status_code == 302 and response["Location"] == reverse("workorders:detail", args=[wo.pk])
    assert (wo.description, wo.required_skill, wo.planned_date, wo.status) == ("更换温控模块", crew.skill, today(),
                                                                             "draft")
    detail = _text(client.get(response["Location"]))
    assert wo.number in detail and 'data-testid="step-assign"' in detail and "2. 测炉温曲线" in detail


def test_create_refusals_keep_what_was_typed(client, crew):
    request = new_request(actor=crew.desk, customer=crew.customer_a)  # not yet planned
    _login(client, crew.dispatcher)
    response = client.post(reverse("workorders:create", args=[request.pk]), {"description": "我写的任务"})
    assert response.status_code == 400
    assert "on-site plan the customer confirmed" in _text(response) and "我写的任务" in _text(response)
    confirmed = confirmed_request(actor=crew.desk, customer=crew.customer_a)
    past = (today() - dt.timedelta(days=2)).isoformat()
    response = client.post(reverse("workorders:create", args=[confirmed.pk]), {"planned_date": past})
    assert response.status_code == 400 and "cannot be in the past" in _text(response)
    assert not WorkOrder.objects.exists()
    _login(client, crew.east_eng)  # engineers do not create work orders
    assert client.get(reverse("workorders:create", args=[confirmed.pk])).status_code == 403


# ------------------------------------------------------------- dispatch board, assignment, approval

def test_board_lists_waiting_and_awaiting_approval_with_links(client, crew):
    draft = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    pending = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=pending, lead=crew.east_eng)
    _login(client, crew.dispatcher)
    html = _text(client.get(reverse("workorders:board")))
    needs, awaiting = html.split('data-testid="awaiting-approval"')
    assert draft.number in needs and pending.number not in needs
    assert pending.number in awaiting and str(crew.east_eng) in awaiting
    assert reverse("workorders:assign", args=[draft.pk]) in needs
    assert reverse("workorders:detail", args=[draft.pk]) in needs
    assert 'data-step="approve"' not in html  # the dispatcher does not approve
    fragment = client.get(reverse("workorders:board"), {"q": draft.number}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"<html" not in fragment.content and draft.number in _text(fragment)
    export = client.get(reverse("workorders:board"), {"export": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    manager_html = _text(_login(client, crew.manager).get(reverse("workorders:board")))
    assert reverse("workorders:step", args=[pending.pk, "approve"]) in manager_html
    everything = _text(client.get(reverse("workorders:list"), {"status": "pending_approval"}))
    assert pending.number in everything and draft.number not in everything


def test_board_and_my_jobs_query_counts_do_not_grow(client, crew, django_assert_max_num_queries):
    def add_rows():
        new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
        pending = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
        services.work_order_assign(actor=crew.dispatcher, work_order=pending, lead=crew.east_eng,
                                   helpers=[crew.east_helper])
        _dispatched(crew, helpers=[crew.east_helper])

    pages = {"workorders:board": crew.manager, "workorders:my_jobs": crew.east_eng}
    add_rows()
    counts = {}
    for name, user in pages.items():
        _login(client, user)
        client.get(reverse(name))
        with django_assert_max_num_queries(30) as few:
            client.get(reverse(name))
        counts[name] = len(few.captured_queries)
    for _ in range(3):
        add_rows()
    for name, user in pages.items():
        _login(client, user)
        with django_assert_max_num_queries(counts[name]):
            response = client.get(reverse(name))
        assert response.status_code == 200
    assert _text(client.get(reverse("workorders:my_jobs"))).count('data-testid="job-card"') == 4


def test_assign_shows_the_ranking_and_sends_for_approval(client, crew, old_unit):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a, unit=old_unit, required_skill=crew.skill)
    _login(client, crew.dispatcher)
    page = _text(client.get(reverse("workorders:assign", args=[wo.pk])))
    assert 'data-testid="ranking"' in page
    row = page.split('data-engineer="east_eng"')[1].split("</tr>")[0]
    assert "level 4" in row and "same branch" in row and "km" in row and "open jobs" in row
    assert 'data-engineer="south_eng"' not in page  # another branch's engineer does not serve customer A
    assert page.index('data-engineer="east_eng"') < page.index('data-engineer="east_helper"')
    response = client.post(reverse("workorders:assign", args=[wo.pk]), {
        "lead": crew.east_eng.pk, "helpers": [crew.east_helper.pk], "planned_date": today().isoformat(),
        "note": "带上温控模块", "version": wo.version,
    })
    assert response.status_code == 302
    wo.refresh_from_db()
    assert wo.status == "pending_approval"
    assert [(a.engineer, a.role) for a in services.team(wo)] == [(crew.east_eng, "lead"), (crew.east_helper, "helper")]


def test_assign_errors_keep_the_choices(client, crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    _login(client, crew.dispatcher)
    response = client.post(reverse("workorders:assign", args=[wo.pk]),
                           {"helpers": [crew.east_helper.pk], "note": "我的备注"})
    html = _text(response)
    assert response.status_code == 400 and "Choose the lead engineer." in html and "我的备注" in html
    assert f'name="helpers" value="{crew.east_helper.pk}" id="helper-{crew.east_helper.pk}" checked' in html
    response = client.post(reverse("workorders:assign", args=[wo.pk]), {"lead": crew.south_eng.pk})
    assert response.status_code == 400 and "Select a valid choice" in _text(response)  # not ranked for A
    assert WorkOrder.objects.get(pk=wo.pk).status == "draft"
    _login(client, crew.east_eng)
    assert client.get(reverse("workorders:assign", args=[wo.pk])).status_code == 403


def test_only_the_service_manager_approves(client, crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    _login(client, crew.dispatcher)
    assert 'data-step="approve"' not in _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    assert client.post(_step(wo, "approve"), {"note": ""}).status_code == 403
    assert WorkOrder.objects.get(pk=wo.pk).status == "pending_approval"
    _login(client, crew.manager)
    assert 'data-step="approve"' in _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    response = client.post(_step(wo, "reject"), {"reason": ""})
    assert response.status_code == 400 and "Say why the dispatch is returned." in _text(response)
    response = client.post(_step(wo, "approve"), {"note": "同意", "version": wo.version})
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).status == "dispatched"


def test_manager_returns_a_dispatch(client, crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    response = _login(client, crew.manager).post(_step(wo, "reject"), {"reason": "人手不足, 改派"})
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).status == "draft"


# ------------------------------------------------------------- the engineer on the phone

def test_engineer_does_the_job_on_the_phone(client, crew, old_unit):
    wo = _dispatched(crew, unit=old_unit)
    _login(client, crew.east_eng)
    jobs = _text(client.get(reverse("workorders:my_jobs")))
    assert wo.number in jobs and 'data-testid="needs-accept"' in jobs
    assert reverse("workorders:job", args=[wo.pk]) in jobs
    job_url = reverse("workorders:job", args=[wo.pk])
    page = _text(client.get(job_url))
    assert 'data-testid="step-accept"' in page and 'data-testid="step-contacted"' in page
    assert 'data-testid="step-check_in"' not in page  # accept first

    response = client.post(_step(wo, "accept"), {"next": "job"})
    assert response.status_code == 302 and response["Location"] == job_url
    assert WorkOrder.objects.get(pk=wo.pk).status == "accepted"
    assert client.post(_step(wo, "contacted"), {"next": "job"}).status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).contacted_at is not None
    page = _text(client.get(job_url))
    assert 'data-testid="step-contacted"' not in page
    assert 'data-testid="step-check_in"' in page and "data-geolocate" in page
    assert 'name="latitude"' in page and "navigator.geolocation" in page

    # check in without a position (the browser gave none), out, and in again with one
    response = client.post(_step(wo, "check_in"), {"next": "job", "latitude": "", "longitude": ""}, follow=True)
    assert "without a position" in _text(response)
    visit = Visit.objects.get(work_order=wo)
    assert visit.check_in_latitude is None and WorkOrder.objects.get(pk=wo.pk).status == "on_site"
    assert 'data-testid="step-check_out"' in _text(response)
    assert client.post(_step(wo, "check_out"), {"next": "job", "latitude": "31.230416",
                                                "longitude": "121.473701"}).status_code == 302
    response = client.post(_step(wo, "check_in"), {"next": "job", "latitude": "31.230416",
                                                   "longitude": "121.473701"}, follow=True)
    assert "with the position" in _text(response)
    last = Visit.objects.filter(work_order=wo).order_by("-id").first()
    assert (last.check_in_latitude, last.check_in_longitude) == (Decimal("31.230416"), Decimal("121.473701"))

    assert client.post(_step(wo, "progress"), {"next": "job", "note": "更换温控模块, 待测炉温",
                                               "day": today().isoformat()}).status_code == 302
    assert client.post(_step(wo, "test"), {"next": "job", "item": "炉温曲线", "result": "245℃",
                                           "passed": "yes"}).status_code == 302
    assert client.post(_step(wo, "hours"), {"next": "job", "day": today().isoformat(),
                                            "hours": "3.5"}).status_code == 302
    assert client.post(_step(wo, "parts"), {"next": "job", "parts_used": "温控模块 x1"}).status_code == 302
    photo = SimpleUploadedFile("site.png", _png(), content_type="image/png")
    assert client.post(_step(wo, "photo"), {"next": "job", "file": photo,
                                            "description": "更换后"}).status_code == 302
    assert ProgressNote.objects.get(work_order=wo).note == "更换温控模块, 待测炉温"
    test = TestRecord.objects.get(work_order=wo)
    assert (test.item, test.result, test.passed) == ("炉温曲线", "245℃", True)
    assert LabourEntry.objects.get(work_order=wo).hours == Decimal("3.50")
    assert WorkOrder.objects.get(pk=wo.pk).parts_used == "温控模块 x1"
    assert attachments_for(wo).get().description == "更换后"

    page = _text(client.get(job_url))
    assert 'data-testid="form-result"' in page and 'capture="environment"' in page and 'accept="image/*"' in page
    response = client.post(_step(wo, "result"), {"next": "job", "result": "fixed", "work_done": "更换温控模块",
                                                  "parts_used": "温控模块 x1"})
    assert response.status_code == 302
    wo.refresh_from_db()
    assert (wo.status, wo.result) == ("completed", "fixed")
    detail = _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    for shown in ("炉温曲线", "245℃", "3.50", "温控模块 x1", "更换温控模块, 待测炉温", "31.230416", "site.png"):
        assert shown in detail


def test_step_errors_show_next_to_the_form_with_the_input_kept(client, crew):
    wo = _dispatched(crew)
    _login(client, crew.east_eng)
    response = client.post(_step(wo, "decline"), {"next": "job", "reason": ""})
    assert response.status_code == 400 and "Say why you decline." in _text(response)
    assert 'name="next" value="job"' in _text(response)
    services.work_order_accept(actor=crew.east_eng, work_order=wo)
    response = client.post(_step(wo, "check_in"), {"latitude": "31.2", "longitude": ""})
    assert response.status_code == 400 and "Give both latitude and longitude" in _text(response)
    assert not Visit.objects.exists()
    services.work_order_check_in(actor=crew.east_eng, work_order=wo)
    response = client.post(_step(wo, "test"), {"item": "", "result": "我量的结果", "passed": "no"})
    assert response.status_code == 400 and "Name the test item." in _text(response)
    assert "我量的结果" in _text(response)
    response = client.post(_step(wo, "hours"), {"day": today().isoformat(), "hours": "30"})
    assert response.status_code == 400 and "at most 24" in _text(response)
    response = client.post(_step(wo, "result"), {"result": "", "work_done": "做了一半"})
    assert response.status_code == 400 and "Choose the result." in _text(response) and "做了一半" in _text(response)
    response = client.post(_step(wo, "photo"), {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert response.status_code == 400 and "JPEG, PNG or WebP" in _text(response)
    assert client.get(_step(wo, "no-such-step")).status_code == 404


def test_lead_declines_and_the_work_order_goes_back_to_the_board(client, crew):
    wo = _dispatched(crew)
    _login(client, crew.east_eng)
    assert client.post(_step(wo, "decline"), {"reason": "外地出差"}).status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).status == "declined"
    assert wo.number not in _text(client.get(reverse("workorders:my_jobs")))
    board = _text(_login(client, crew.dispatcher).get(reverse("workorders:board")))
    assert wo.number in board.split('data-testid="awaiting-approval"')[0]


def test_escalation_with_the_departments_plan(client, crew):
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    _login(client, crew.east_eng)
    response = client.post(_step(wo, "result"), {"result": "escalate_process", "work_done": "工艺参数不稳定",
                                                  "escalation_plan": ""})
    assert response.status_code == 302 and WorkOrder.objects.get(pk=wo.pk).result == "escalate_process"
    process = UserFactory(username="process", branch=crew.hq, roles=["process_tech"])
    _login(client, process)
    assert 'data-step="escalation_plan"' in _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    assert client.post(_step(wo, "escalation_plan"), {"plan": ""}).status_code == 400
    assert client.post(_step(wo, "escalation_plan"), {"plan": "与品质部联合调整回流曲线"}).status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).escalation_plan == "与品质部联合调整回流曲线"


def test_cancel_needs_a_reason_and_a_confirmation(client, crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    _login(client, crew.dispatcher)
    page = _text(client.get(_step(wo, "cancel")))
    assert 'data-testid="cancel-warning"' in page
    response = client.post(_step(wo, "cancel"), {"reason": "客户取消"})
    assert response.status_code == 400 and "客户取消" in _text(response)
    response = client.post(_step(wo, "cancel"), {"reason": "", "confirm": "on"})
    assert response.status_code == 400 and "Say why the work order is cancelled." in _text(response)
    assert client.post(_step(wo, "cancel"), {"reason": "客户取消", "confirm": "on"}).status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).status == "cancelled"


# ------------------------------------------------------------- service report: prepare, sign, PDF, verify

def test_report_prepare_sign_download_and_verify(client, crew):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    _login(client, crew.east_eng)
    report_url = reverse("workorders:report", args=[wo.pk])
    page = _text(client.get(report_url))
    assert 'data-testid="report-form"' in page and "更换温控模块" in page
    response = client.post(report_url, {"fault_description": "炉温报警, 三区温度偏低", "work_done": "更换三区温控模块",
                                        "parts_used": "温控模块 x1", "then": "sign"})
    sign_url = reverse("workorders:report_sign", args=[wo.pk])
    assert response.status_code == 302 and response["Location"] == sign_url
    report = ServiceReport.objects.get(work_order=wo)
    assert (report.status, report.fault_description, report.work_done) == ("draft", "炉温报警, 三区温度偏低",
                                                                          "更换三区温控模块")
    page = _text(client.get(sign_url))
    assert 'data-testid="signature-canvas"' in page and 'data-testid="sign-submit"' in page
    assert "signature_pad.umd.min.js" in page and "js/signature.js" in page and "更换三区温控模块" in page

    # a blank canvas: the message next to the signature, the name kept, nothing written
    response = client.post(sign_url, {"signer_name": "王工", "satisfied": "yes",
                                      "signature": signature_data_url(blank=True)})
    assert response.status_code == 400 and "The signature is blank" in _text(response)
    assert 'value="王工"' in _text(response)
    report.refresh_from_db()
    assert report.status == "draft" and not report.signature and not report.pdf and not report.signed_at
    response = client.post(sign_url, {"signer_name": "王工", "satisfied": "no", "unsatisfied_reason": "",
                                      "signature": signature_data_url()})
    html = _text(response)
    assert response.status_code == 400 and "write why" in html
    assert 'data-restore="data:image/png;base64,' in html  # the signature given is not lost
    response = client.post(sign_url, {"signer_name": "王工", "satisfied": "yes", "signature": signature_data_url()})
    assert response.status_code == 302 and response["Location"] == report_url
    report.refresh_from_db()
    assert report.is_signed and report.signer_name == "王工" and report.pdf_sha256
    page = _text(client.get(report_url))
    assert "王工" in page and report.pdf_sha256 in page and report.content_sha256 in page
    pdf_url = reverse("workorders:report_pdf", args=[report.pk])
    assert pdf_url in page and 'data-testid="report-pdf"' in page
    assert client.get(sign_url).status_code == 302  # signed once

    download = client.get(pdf_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    content = b"".join(download.streaming_content) if download.streaming else download.content
    assert content.startswith(b"%PDF")

    # verification: any logged-in user with the exact bytes; one changed byte is "altered"
    _login(client, crew.south_staff)
    verify_url = reverse("workorders:report_verify")
    assert client.get(verify_url).status_code == 200
    response = client.post(verify_url, {"file": SimpleUploadedFile("r.pdf", content, content_type="application/pdf")})
    html = _text(response)
    assert response.status_code == 200 and 'data-valid="true"' in html
    assert f"Unaltered: report {report.number}, signed by 王工" in html
    changed = bytearray(content)
    changed[len(changed) // 2] ^= 0x01
    response = client.post(verify_url, {"file": SimpleUploadedFile("r.pdf", bytes(changed))})
    assert 'data-valid="false"' in _text(response) and "Not a report of this system, or altered." in _text(response)

    # the service desk closes the job once the customer signed: the signature checked the engineer out
    _login(client, crew.desk)
    detail = _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    assert 'data-step="close"' in detail and "still checked in" not in detail
    assert _login(client, crew.desk).post(_step(wo, "close"), {"note": ""}).status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).status == "closed"

    # the customer sees the signed report and downloads its PDF, without any step
    _login(client, crew.owner)
    page = _text(client.get(report_url))
    assert "王工" in page and 'data-testid="report-form"' not in page
    assert client.get(pdf_url).status_code == 200
    assert client.post(report_url, {"work_done": "x"}).status_code == 403
    assert _login(client, crew.outsider).get(pdf_url).status_code == 404


def test_a_report_is_signed_only_after_the_result(client, crew):
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    _login(client, crew.east_eng)
    client.post(reverse("workorders:report", args=[wo.pk]), {"work_done": "进行中"})
    response = client.post(reverse("workorders:report_sign", args=[wo.pk]), {
        "signer_name": "王工", "satisfied": "yes", "signature": signature_data_url()})
    assert response.status_code == 400 and "Record the result of the work" in _text(response)
    assert ServiceReport.objects.get(work_order=wo).status == "draft"
    # not on the team: the signing page is refused too (the blocker of the declared step), not only its POST
    assert _login(client, crew.east_helper).get(reverse("workorders:report_sign", args=[wo.pk])).status_code == 403
    response = client.post(reverse("workorders:report_sign", args=[wo.pk]), {"signer_name": "王工"})
    assert response.status_code == 403  # not on the team


def test_work_report_of_a_major_fault_and_the_work_order_pdf(client, crew):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   severity="major")
    _login(client, crew.east_eng)
    detail = _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    assert 'data-step="work_report"' in detail and "major fault" in detail
    url = reverse("workorders:work_report", args=[wo.pk])
    response = client.post(url, {"fault_phenomenon": "压机不启动", "cause_analysis": "", "actions_taken": ""})
    html = _text(response)
    assert response.status_code == 400 and "Write the cause analysis." in html and "压机不启动" in html
    response = client.post(url, {"fault_phenomenon": "压机不启动", "cause_analysis": "电控板烧毁",
                                 "actions_taken": "更换电控板", "preventive_suggestion": "加装浪涌保护"})
    assert response.status_code == 302
    assert WorkReport.objects.get(work_order=wo).cause_analysis == "电控板烧毁"
    pdf = client.get(reverse("workorders:work_report_pdf", args=[wo.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    wo_pdf = client.get(reverse("workorders:pdf", args=[wo.pk]))
    assert wo_pdf.status_code == 200 and wo_pdf["Content-Type"] == "application/pdf"
    assert wo_pdf.content.startswith(b"%PDF")


# ------------------------------------------------------------- fees

def test_fee_lines_and_the_fee_statement(client, crew, old_unit):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   unit=old_unit)
    assert wo.chargeable
    _login(client, crew.desk)
    detail = _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    assert 'data-testid="fee-add"' in detail and 'data-testid="fee-statement"' in detail
    add_url = reverse("workorders:fee_add", args=[wo.pk])
    response = client.post(add_url, {"kind": "labour", "description": "工时费", "quantity": "0", "unit_price": "200"})
    assert response.status_code == 400 and "工时费" in _text(response)
    response = client.post(add_url, {"kind": "labour", "description": "工时费", "quantity": "3.5",
                                     "unit_price": "200"})
    assert response.status_code == 302
    line = FeeLine.objects.get(work_order=wo)
    assert line.amount == Decimal("700.00")
    detail = _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    assert "700.00" in detail and "Link the sales order" in detail  # a close blocker until the SO is linked
    statement = client.get(reverse("workorders:fee_statement", args=[wo.pk]))
    assert statement.status_code == 200 and statement["Content-Type"] == "application/pdf"
    so = SalesOrderFactory(customer=crew.customer_a, number="SO-FEE-0001")
    other = SalesOrderFactory(customer=crew.customer_b)
    page = _text(client.get(_step(wo, "link_sales_order")))
    assert "SO-FEE-0001" in page and other.number not in page
    assert client.post(_step(wo, "link_sales_order"), {"sales_order": so.pk}).status_code == 302
    assert WorkOrder.objects.get(pk=wo.pk).billing_sales_order == so
    delete_url = reverse("workorders:fee_delete", args=[wo.pk, line.pk])
    assert client.get(delete_url).status_code == 200
    assert client.post(delete_url).status_code == 302 and not FeeLine.objects.exists()
    _login(client, crew.owner)
    assert client.get(add_url).status_code == 403
    assert 'data-testid="fee-lines"' not in _text(client.get(reverse("workorders:detail", args=[wo.pk])))


def test_no_fees_on_a_job_in_warranty(client, crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    assert not wo.chargeable
    _login(client, crew.desk)
    response = client.post(reverse("workorders:fee_add", args=[wo.pk]), {
        "kind": "travel", "description": "差旅", "quantity": "1", "unit_price": "100"})
    assert response.status_code == 400 and "not chargeable" in _text(response)
    assert not FeeLine.objects.exists()


# ------------------------------------------------------------- help requests to headquarters

def test_help_request_created_approved_and_confirmed(client, crew):
    wo = _dispatched(crew)
    _login(client, crew.east_eng)
    assert 'data-step="help"' in _text(client.get(reverse("workorders:detail", args=[wo.pk])))
    url = reverse("workorders:help_create", args=[wo.pk])
    response = client.post(url, {"reason": "", "skill": crew.skill.pk})
    assert response.status_code == 400 and "Say what help is needed" in _text(response)
    response = client.post(url, {"reason": "主控程序异常, 需总部支援", "skill": crew.skill.pk, "skill_note": "PLC"})
    help_request = HelpRequest.objects.get(work_order=wo)
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:help_detail", args=[help_request.pk])

    _login(client, crew.manager)
    listing = _text(client.get(reverse("workorders:help_list")))
    assert help_request.number in listing and reverse("workorders:help_detail", args=[help_request.pk]) in listing
    detail = _text(client.get(reverse("workorders:help_detail", args=[help_request.pk])))
    assert 'data-step="approve"' in detail
    approve_url = reverse("workorders:help_approve", args=[help_request.pk])
    page = _text(client.get(approve_url))
    assert 'data-engineer="hq_eng"' in page and 'data-engineer="east_eng"' not in page
    response = client.post(approve_url, {"note": ""})
    assert response.status_code == 400 and "Choose the headquarters engineer." in _text(response)
    assert client.post(approve_url, {"hq_engineer": crew.hq_eng.pk, "note": "派总部张工"}).status_code == 302
    help_request.refresh_from_db()
    assert help_request.status == "approved" and help_request.hq_engineer == crew.hq_eng
    assert crew.hq_eng in [a.engineer for a in services.team(wo)]
    assert wo.number in _text(_login(client, crew.hq_eng).get(reverse("workorders:my_jobs")))
    assert client.get(reverse("workorders:help_confirm", args=[help_request.pk])).status_code == 403
    response = client.post(reverse("workorders:help_confirm", args=[help_request.pk]),
                           {"support_given": "远程+现场调试", "rating": "5"})
    assert response.status_code == 403  # the HQ engineer does not confirm their own support

    _login(client, crew.east_eng)
    confirm_url = reverse("workorders:help_confirm", args=[help_request.pk])
    response = client.post(confirm_url, {"support_given": "远程+现场调试", "rating": ""})
    assert response.status_code == 400 and "Rate the support from 1 to 5." in _text(response)
    assert client.post(confirm_url, {"support_given": "远程+现场调试", "rating": "5"}).status_code == 302
    help_request.refresh_from_db()
    assert help_request.status == "confirmed" and help_request.confirmation.rating == 5
    assert "5 / 5" in _text(client.get(reverse("workorders:help_detail", args=[help_request.pk])))


def test_help_request_rejected_with_a_reason_and_who_decides(client, crew):
    wo = _dispatched(crew)
    help_request = services.help_request_create(actor=crew.east_staff, work_order=wo, reason="缺少调试经验")
    _login(client, crew.dispatcher)
    assert client.post(reverse("workorders:help_reject", args=[help_request.pk]),
                       {"reason": "x"}).status_code == 403
    _login(client, crew.manager)
    response = client.post(reverse("workorders:help_reject", args=[help_request.pk]), {"reason": ""})
    assert response.status_code == 400 and "Say why the help request is rejected." in _text(response)
    assert client.post(reverse("workorders:help_reject", args=[help_request.pk]),
                       {"reason": "分公司自行处理"}).status_code == 302
    assert HelpRequest.objects.get(pk=help_request.pk).status == "rejected"
    _login(client, crew.owner)
    assert client.get(reverse("workorders:help_detail", args=[help_request.pk])).status_code == 404
    assert client.get(reverse("workorders:help_list")).status_code == 403


# ------------------------------------------------------------- who sees what, who does what

def test_customer_sees_own_work_order_read_only(client, crew):
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    _login(client, crew.owner)
    response = client.get(reverse("workorders:detail", args=[wo.pk]))
    html = _text(response)
    assert response.status_code == 200 and wo.number in html
    assert 'data-testid="steps"' not in html and "data-step=" not in html and 'data-testid="help-requests"' not in html
    assert 'data-testid="history"' not in html and 'data-testid="visits"' not in html
    assert client.get(_step(wo, "progress")).status_code == 403
    assert client.post(_step(wo, "check_out"), {}).status_code == 403
    assert client.get(reverse("workorders:job", args=[wo.pk])).status_code == 302
    assert client.get(reverse("workorders:board")).status_code == 403
    assert client.get(reverse("workorders:my_jobs")).status_code == 403
    assert client.get(reverse("workorders:pdf", args=[wo.pk])).status_code == 200
    _login(client, crew.outsider)
    assert client.get(reverse("workorders:detail", args=[wo.pk])).status_code == 404
    assert client.post(_step(wo, "check_out"), {}).status_code == 404
    assert client.get(reverse("workorders:pdf", args=[wo.pk])).status_code == 404


def test_branches_see_their_own_region_and_nobody_sees_nothing(client, crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)  # customer A: east branch
    _login(client, crew.east_staff)
    assert client.get(reverse("workorders:detail", args=[wo.pk])).status_code == 200
    _login(client, crew.south_staff)
    assert client.get(reverse("workorders:detail", args=[wo.pk])).status_code == 404
    assert wo.number not in _text(client.get(reverse("workorders:list")))
    _login(client, crew.south_eng)
    assert client.get(reverse("workorders:job", args=[wo.pk])).status_code == 404
    _login(client, crew.nobody)
    assert client.get(reverse("workorders:board")).status_code == 403
    assert client.get(reverse("workorders:my_jobs")).status_code == 403
    assert client.get(reverse("workorders:help_list")).status_code == 403
    assert client.get(reverse("workorders:detail", args=[wo.pk])).status_code == 404
    client.logout()
    client.cookies.clear()
    assert client.get(reverse("workorders:board")).status_code == 302
    assert client.get(reverse("workorders:report_verify")).status_code == 302


def test_an_engineer_not_on_the_work_order_cannot_act(client, crew):
    wo = _dispatched(crew)
    _login(client, crew.east_helper)  # same branch, not on the team
    page = _text(client.get(reverse("workorders:job", args=[wo.pk])))
    assert "not on this job" in page and 'data-testid="step-accept"' not in page
    assert client.post(_step(wo, "accept"), {}).status_code == 403
    assert client.post(_step(wo, "contacted"), {}).status_code == 403
    wo.refresh_from_db()
    assert wo.status == "dispatched" and wo.contacted_at is None
    assert client.get(reverse("workorders:report", args=[wo.pk])).status_code == 200  # "not prepared yet"
