"""Issue 9: the fee sales order made from a chargeable job, the internal charge of a help request, and the
print-outs of the intake record, the review, the help request, the support confirmation, the follow-up and
the complaint (PDFs opened and read)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from serviceloop.assets.models import SalesOrder
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.models import Notification
from serviceloop.core.timeline import events_for
from serviceloop.feedback.tests.factories import open_complaint, record_phone, resolved_request
from serviceloop.service import services as request_services
from serviceloop.service.tests.factories import new_request
from serviceloop.workorders import services
from serviceloop.workorders.models import FeeLine, HelpRequest

from .factories import dispatched, on_site

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\n", "")


def _login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def _chargeable(crew, *, fees=True):
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    wo = services.work_order_update(actor=crew.dispatcher, work_order=wo, chargeable=True)
    if fees:
        for kind, text, qty, price in (("labour", "工时费", "3.5", "200"), ("travel", "差旅费", "1", "300")):
            services.fee_line_save(user=crew.desk, instance=FeeLine(work_order=wo, kind=kind, description=text,
                                                                    quantity=Decimal(qty), unit_price=Decimal(price)))
    wo.refresh_from_db()
    return wo


# ---------------------------------------------------------------- the fee sales order

def test_a_chargeable_job_creates_its_fee_sales_order(crew):
    wo = _chargeable(crew)
    order = services.work_order_create_sales_order(actor=crew.desk, work_order=wo, note="月结",
                                                   expected_version=wo.version)
    wo.refresh_from_db()
    assert wo.billing_sales_order == order and order.customer == crew.customer_a
    assert order.number.startswith("SO-") and wo.number in order.note and "1000.00" in order.note
    assert "月结" in order.note
    assert [e.verb for e in events_for(wo)][0] == "sales_order_created"
    assert services.close_blockers(wo) == [] or "Link the sales order" not in " ".join(services.close_blockers(wo))
    with pytest.raises(ValidationError, match="already billed"):
        services.work_order_create_sales_order(actor=crew.desk, work_order=wo)
    assert SalesOrder.objects.count() == 1


def test_the_fee_sales_order_needs_fees_a_chargeable_job_and_the_role(crew):
    without_fees = _chargeable(crew, fees=False)
    with pytest.raises(ValidationError, match="Add the fees"):
        services.work_order_create_sales_order(actor=crew.desk, work_order=without_fees)
    in_warranty = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a,
                          lead=crew.east_eng)
    with pytest.raises(ValidationError, match="chargeable"):
        services.work_order_create_sales_order(actor=crew.desk, work_order=in_warranty)
    wo = _chargeable(crew)
    for nobody in (crew.east_eng, crew.dispatcher, crew.owner):
        with pytest.raises(PermissionDenied):
            services.work_order_create_sales_order(actor=nobody, work_order=wo)
    with pytest.raises(StaleEditError):
        services.work_order_create_sales_order(actor=crew.desk, work_order=wo, expected_version=wo.version - 1)
    assert SalesOrder.objects.count() == 0


def test_the_fee_sales_order_step_on_the_page_and_the_api(client, crew):
    wo = _chargeable(crew)
    page = _login(client, crew.desk).get(reverse("workorders:detail", args=[wo.pk])).content.decode()
    assert 'data-step="create_sales_order"' in page
    response = client.post(reverse("workorders:step", args=[wo.pk, "create_sales_order"]),
                           {"note": "", "version": wo.version})
    assert response.status_code == 302
    wo.refresh_from_db()
    order = wo.billing_sales_order
    so_page = client.get(reverse("assets:so_detail", args=[order.pk])).content.decode()
    assert 'data-testid="so-fees"' in so_page and "工时费" in so_page and "1000.00" in so_page
    other = _chargeable(crew)
    api = APIClient()
    api.force_authenticate(crew.east_eng)
    assert api.post(f"/api/v1/work-orders/{other.pk}/create-sales-order/", {}, format="json").status_code == 403
    api.force_authenticate(crew.outsider)
    assert api.post(f"/api/v1/work-orders/{other.pk}/create-sales-order/", {}, format="json").status_code == 404
    api.force_authenticate(crew.desk)
    answer = api.post(f"/api/v1/work-orders/{other.pk}/create-sales-order/", {"note": "x"}, format="json")
    assert answer.status_code == 200 and answer.json()["billing_sales_order"] is not None
    again = api.post(f"/api/v1/work-orders/{other.pk}/create-sales-order/", {}, format="json")
    assert again.status_code == 400


# ---------------------------------------------------------------- the internal charge of a help request

def _confirmed_help(crew) -> HelpRequest:
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    hr = services.help_request_create(actor=crew.east_eng, work_order=wo, reason="主控程序异常，需总部支援")
    services.help_request_approve(actor=crew.manager, help_request=hr, hq_engineer=crew.hq_eng)
    services.help_request_confirm(actor=crew.east_eng, help_request=hr, support_given="总部工程师现场重写 PLC 程序",
                                  rating=5)
    hr.refresh_from_db()
    return hr


def test_the_internal_charge_is_recorded_after_the_confirmation(crew):
    hr = _confirmed_help(crew)
    services.help_request_charge(actor=crew.manager, help_request=hr, amount="1600", payer="branch_pays_hq",
                                 basis="《销售公司商务文件》: 2 人天 × 800 元", expected_version=hr.version)
    hr.refresh_from_db()
    assert (hr.charge_amount, hr.charge_payer, hr.charged_by) == (Decimal("1600.00"), "branch_pays_hq", crew.manager)
    assert "help_charged" in [e.verb for e in events_for(hr)]
    assert Notification.objects.filter(recipient=crew.east_eng, kind="help_charged").exists()
    services.help_request_charge(actor=crew.manager, help_request=hr, amount="1200", payer="branch_pays_hq",
                                 basis="更正: 1.5 人天")
    hr.refresh_from_db()
    assert hr.charge_amount == Decimal("1200.00")


def test_the_internal_charge_refuses_bad_input_the_wrong_state_and_roles(crew):
    hr = _confirmed_help(crew)
    with pytest.raises(ValidationError) as excinfo:
        services.help_request_charge(actor=crew.manager, help_request=hr, amount="-5", payer="nobody", basis="")
    assert set(excinfo.value.message_dict) == {"amount", "payer", "basis"}
    for nobody in (crew.east_eng, crew.east_staff, crew.desk, crew.owner):
        with pytest.raises(PermissionDenied):
            services.help_request_charge(actor=nobody, help_request=hr, amount="1", payer="branch_pays_hq",
                                         basis="x")
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    pending = services.help_request_create(actor=crew.east_eng, work_order=wo, reason="需要总部支援")
    with pytest.raises(ValidationError, match="confirmed the support"):
        services.help_request_charge(actor=crew.manager, help_request=pending, amount="1", payer="branch_pays_hq",
                                     basis="x")
    hr.refresh_from_db()
    assert hr.charged_at is None


def test_the_charge_step_page_shows_it_and_the_api_takes_it(client, crew):
    hr = _confirmed_help(crew)
    url = reverse("workorders:help_step", args=[hr.pk, "charge"])
    assert _login(client, crew.east_staff).get(url).status_code == 403
    _login(client, crew.manager)
    bad = client.post(url, {"amount": "", "payer": "branch_pays_hq", "basis": "", "version": hr.version})
    assert bad.status_code == 400
    ok = client.post(url, {"amount": "800", "payer": "hq_pays_branch", "basis": "1 人天 × 800",
                           "version": hr.version})
    assert ok.status_code == 302
    page = client.get(reverse("workorders:help_detail", args=[hr.pk])).content.decode()
    assert 'data-testid="charge-amount">800.00' in page
    api = APIClient()
    api.force_authenticate(crew.manager)
    answer = api.post(f"/api/v1/help-requests/{hr.pk}/charge/", {"amount": "900", "payer": "branch_pays_hq",
                                                                 "basis": "x", "version": 1}, format="json")
    assert answer.status_code == 409
    answer = api.post(f"/api/v1/help-requests/{hr.pk}/charge/", {"amount": "abc", "payer": "branch_pays_hq",
                                                                 "basis": "x"}, format="json")
    assert answer.status_code == 400


# ---------------------------------------------------------------- print-outs

def test_help_request_and_support_confirmation_print(client, crew):
    hr = _confirmed_help(crew)
    services.help_request_charge(actor=crew.manager, help_request=hr, amount="1600", payer="branch_pays_hq",
                                 basis="2 人天 × 800 元")
    _login(client, crew.manager)
    help_pdf = client.get(reverse("workorders:help_pdf", args=[hr.pk]))
    assert help_pdf["Content-Type"] == "application/pdf"
    text = pdf_text(help_pdf.content)
    for expected in ("协作申请单", hr.number, "主控程序异常", str(crew.hq_eng), "1600.00", "分公司支付给总部"):
        assert expected in text, expected
    support = pdf_text(client.get(reverse("workorders:support_pdf", args=[hr.pk])).content)
    for expected in ("技术支持确认单", hr.number, "总部工程师现场重写 PLC 程序", "5 / 5", "1600.00"):
        assert expected in support, expected
    assert _login(client, crew.owner).get(reverse("workorders:help_pdf", args=[hr.pk])).status_code in (403, 404)
    assert _login(client, crew.outsider).get(reverse("workorders:help_pdf", args=[hr.pk])).status_code == 404


def test_intake_record_and_review_print(client, crew):
    request = new_request(actor=crew.desk, customer=crew.customer_a, channel="phone", title="回流焊炉温区超温",
                          contact_name="王工", contact_phone="13912345678")
    request_services.request_start_review(actor=crew.desk, service_request=request)
    review = request_services.review_record(actor=crew.desk, service_request=request, analysis="温控模块老化",
                                            opinion="保修期内免费更换", decided_plan="onsite", review_form="电话评审")
    _login(client, crew.desk)
    intake = pdf_text(client.get(reverse("service:intake_pdf", args=[request.pk])).content)
    for expected in ("电话报修登记处理表", request.number, "回流焊炉温区超温", "王工", "13912345678", crew.customer_a.name):
        assert expected in intake, expected
    page = client.get(reverse("service:detail", args=[request.pk])).content.decode()
    assert reverse("service:review_pdf", args=[review.pk]) in page
    text = pdf_text(client.get(reverse("service:review_pdf", args=[review.pk])).content)
    for expected in ("评审", request.number, "温控模块老化", "保修期内免费更换", "电话评审"):
        assert expected in text, expected
    assert _login(client, crew.owner).get(reverse("service:intake_pdf", args=[request.pk])).status_code == 403
    assert _login(client, crew.outsider).get(reverse("service:review_pdf", args=[review.pk])).status_code == 404


def test_follow_up_and_complaint_print(client, crew):
    resolved = resolved_request(actor=crew.desk, customer=crew.customer_a)
    follow_up = record_phone(actor=crew.desk, service_request=resolved, comments="工程师很专业", person="李工")
    complaint = open_complaint(actor=crew.desk, service_request=resolved_request(actor=crew.desk,
                                                                               customer=crew.customer_a))
    _login(client, crew.manager)
    with translation.override("zh-hans"):
        text = pdf_text(client.get(reverse("feedback:follow_up_pdf", args=[follow_up.pk])).content)
    for expected in ("回访记录", resolved.number, "李工", "工程师很专业", "5 / 5"):
        assert expected in text, expected
    text = pdf_text(client.get(reverse("feedback:complaint_pdf", args=[complaint.pk])).content)
    for expected in ("服务投诉", complaint.number, "工程师迟到两天", complaint.service_request.number):
        assert expected in text, expected
    detail = client.get(reverse("feedback:complaint_detail", args=[complaint.pk])).content.decode()
    assert reverse("feedback:complaint_pdf", args=[complaint.pk]) in detail
    assert _login(client, crew.owner).get(reverse("feedback:follow_up_pdf", args=[follow_up.pk])).status_code == 403
    assert _login(client, crew.outsider).get(
        reverse("feedback:complaint_pdf", args=[complaint.pk])).status_code == 404
