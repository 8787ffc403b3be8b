"""Journey: a customer's fault from the QR code on the machine to the closed follow-up, in Chinese.

Customer on a 390x844 phone: QR code -> log in -> report form -> sent (3 screens). Service desk:
queue -> review -> on-site plan -> the customer confirms in the portal. Dispatcher assigns, the
service manager approves. The engineer (phone) accepts, calls the customer, checks in, records the
work, and the customer signs on the canvas. The signed PDF is downloaded: its text and SHA-256 are
checked. The desk calls the customer back (follow-up) and the request closes.
Screenshots go to test-artifacts/screenshots/ (names start with "loop-").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from serviceloop.accounts.models import EngineerProfile
from serviceloop.accounts.tests.factories import BranchFactory, DepartmentFactory, UserFactory
from serviceloop.assets.tests.factories import ProductModelFactory, UnitFactory
from serviceloop.customers.tests.factories import CustomerFactory, SiteFactory
from serviceloop.service.models import ServiceRequest

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


@pytest.fixture
def world():
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    east = BranchFactory(code="EAST", name="华东分公司")
    DepartmentFactory(code="SVC", name="服务部")
    model = ProductModelFactory(code="RF-800", name="全自动回流焊炉", warranty_months=24)
    customer = CustomerFactory(code="CA01", name="无锡甲微电子有限公司", branch=east, level="A")
    site = SiteFactory(customer=customer, name="无锡一厂", city="无锡", latitude="31.4912", longitude="120.3119")
    accepted = timezone.localdate() - dt.timedelta(days=90)
    unit = UnitFactory(serial_number="SN-2026-0088", customer=customer, site=site, product_model=model,
                       ship_date=accepted - dt.timedelta(days=20), acceptance_date=accepted)
    buyer = UserFactory(username="buyer", display_name="甲公司 王工", customer=customer, roles=["customer"],
                        phone="13912345678")
    desk = UserFactory(username="desk", display_name="服务台 王丽", branch=hq, roles=["service_desk"])
    dispatcher = UserFactory(username="dispatch", display_name="调度 赵敏", branch=hq, roles=["dispatcher"])
    manager = UserFactory(username="boss", display_name="服务主管 李强", branch=hq, roles=["service_manager"])
    engineer = UserFactory(username="eng", display_name="工程师 刘洋", branch=hq, roles=["field_engineer"],
                           phone="13800138000")
    EngineerProfile.objects.create(user=engineer, home_city="苏州", home_latitude="31.2989",
                                   home_longitude="120.5853", phone="13800138000")
    return {"unit": unit, "customer": customer, "buyer": buyer, "desk": desk, "dispatcher": dispatcher,
            "manager": manager, "engineer": engineer}


def test_fault_from_qr_code_to_closed_follow_up(new_page, live_server, shot, world):
    base = live_server.url
    unit = world["unit"]

    # 1. the customer scans the nameplate's QR code on a phone: login, the report form, done
    phone = new_page(390, 844)
    phone.goto(f"{base}/assets/q/{unit.qr_token}/")
    shot(phone, "loop-01-qr-login")
    phone.fill("#id_username", "buyer")
    phone.fill("#id_password", "pw-Secret-123")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[data-testid=report-form]")
    assert "SN-2026-0088" in phone.locator("[data-testid=qr-unit]").inner_text()
    phone.fill("#id_title", "回流焊炉 3 温区温度偏高报警")
    phone.fill("#id_description", "生产中报警 E203，温度比设定高 15 ℃")
    phone.click(f"label:has-text('{zh('Severe')}')")
    shot(phone, "loop-02-qr-report-form")
    phone.click("[data-testid=report-form] button[type=submit]")
    phone.wait_for_selector("[data-testid=request-status]")
    request = ServiceRequest.objects.get()
    assert (request.channel, request.unit, request.severity) == ("qr", unit, "severe")
    assert phone.locator("[data-testid=request-status]").inner_text() == zh("New")
    assert zh("In warranty") in phone.locator("[data-testid=warranty-state]").inner_text()
    shot(phone, "loop-03-qr-request-received")

    # 2. the service desk sees it in the queue, reviews it and proposes on-site service
    desk = new_page()
    login(desk, base, "desk")
    assert desk.url.endswith("/service/")
    assert request.number in desk.locator("[data-testid=list-table]").inner_text()
    shot(desk, "loop-04-desk-queue")
    desk.click(f"text={request.number}")
    desk.click("[data-step=start_review]")
    desk.click("[data-step=review]")
    desk.fill("#id_review_form", "电话评审")
    desk.fill("#id_analysis", "温控模块老化，温区超温")
    desk.fill("#id_opinion", "保修期内免费上门更换温控模块")
    desk.select_option("#id_decided_plan", "onsite")
    desk.set_input_files("#id_customer_feedback", files=[{
        "name": "客户书面意见.txt", "mimeType": "text/plain", "buffer": "同意上门维修".encode()}])
    shot(desk, "loop-05-review-form")
    desk.click("[data-testid=step-form] button[type=submit]")
    desk.click("[data-step=propose_plan]")
    desk.fill("#id_note", "明天上午派工程师上门更换温控模块")
    desk.click("[data-testid=step-form] button[type=submit]")
    desk.wait_for_selector("[data-testid=plan]")
    request.refresh_from_db()
    assert request.status == "plan_proposed" and request.plan == "onsite"
    shot(desk, "loop-06-plan-proposed")

    # 3. the customer confirms the plan in the portal
    phone.goto(f"{base}/service/portal/")
    phone.click(f"text={request.number}")
    assert "明天上午派工程师上门" in phone.locator("[data-testid=plan-for-customer]").inner_text()
    shot(phone, "loop-07-portal-confirm-plan")
    phone.click("[data-step=confirm_plan]")
    phone.wait_for_selector(".alert-success")
    request.refresh_from_db()
    assert request.status == "plan_confirmed" and request.customer_confirmed_via == "portal"

    continue_with_work_order(new_page, base, shot, world, request, desk, phone)


def continue_with_work_order(new_page, base, shot, world, request, desk, phone):
    from serviceloop.workorders.models import ServiceReport, WorkOrder

    # 4. the desk opens a work order; the dispatcher assigns the engineer ranked first
    desk.goto(f"{base}/service/requests/{request.pk}/")
    desk.click("[data-step=work_order]")
    desk.fill("#id_work_instruction", "按 SOP-SVC-003 更换温控模块并测试温区曲线")
    desk.click("[data-testid=create-submit]")
    desk.wait_for_selector("[data-testid=wo-status], h1")
    wo = WorkOrder.objects.get(service_request=request)
    dispatcher = new_page()
    login(dispatcher, base, "dispatch")
    assert wo.number in dispatcher.locator("[data-testid=needs-dispatch]").inner_text()
    shot(dispatcher, "loop-08-dispatch-board")
    dispatcher.goto(f"{base}/workorders/{wo.pk}/assign/")
    engineer = world["engineer"]
    assert dispatcher.locator(f"tr[data-engineer={engineer.username}]").count() == 1
    dispatcher.check(f"#lead-{engineer.pk}")
    dispatcher.fill("#id_planned_date", timezone.localdate().isoformat())
    shot(dispatcher, "loop-09-assign-ranked")
    dispatcher.click("[data-testid=assign-submit]")
    dispatcher.wait_for_load_state()
    wo.refresh_from_db()
    assert wo.status == "pending_approval"

    # 5. the service manager approves; the engineer and the customer are told
    manager = new_page()
    login(manager, base, "boss")
    manager.goto(f"{base}/workorders/")
    manager.click(f"[data-testid=awaiting-approval] a[href='/workorders/{wo.pk}/step/approve/']")
    manager.click("[data-testid=step-submit]")
    manager.wait_for_load_state()
    wo.refresh_from_db()
    assert wo.status == "dispatched"
    shot(manager, "loop-10-approved")

    # 6. the engineer on a phone: my jobs -> accept -> customer contacted -> check in (with position)
    eng = new_page(390, 844)
    eng.context.grant_permissions(["geolocation"])
    eng.context.set_geolocation({"latitude": 31.4913, "longitude": 120.3121})
    login(eng, base, "eng")
    assert eng.url.endswith("/workorders/mine/")
    shot(eng, "loop-11-my-jobs")
    eng.click(f"[data-testid=job-card][data-number='{wo.number}'] [data-testid=job-open]")
    eng.click("[data-testid=step-accept]")
    eng.click("[data-testid=step-contacted]")
    eng.click("[data-testid=step-check_in]")
    eng.wait_for_selector("[data-testid=on-site]")
    wo.refresh_from_db()
    visit = wo.visits.get()
    assert wo.status == "on_site" and wo.contacted_at is not None
    assert visit.check_in_latitude is not None and abs(float(visit.check_in_latitude) - 31.4913) < 0.001
    shot(eng, "loop-12-engineer-on-site")
    # work: progress, a test per the instruction, hours, parts, result
    eng.click("[data-testid=open-progress]")
    eng.fill("#id_progress_note", "拆检 3 温区温控模块，发现继电器触点烧蚀")
    eng.click("[data-testid=submit-progress]")
    eng.click("[data-testid=open-test]")
    eng.fill("#id_test_item", "温区温度曲线")
    eng.fill("#id_test_result", "各温区 ±1.5 ℃")
    eng.click("label[for=id_test_passed_0]")
    eng.click("[data-testid=submit-test]")
    eng.click("[data-testid=open-hours]")
    eng.fill("#id_hours_hours", "3.5")
    eng.click("[data-testid=submit-hours]")
    eng.click("[data-testid=step-check_out]")
    eng.click("[data-testid=open-result]")
    eng.click("label[for=id_result_result_0]")
    eng.fill("#id_result_work_done", "更换温控模块，校准温区，试生产 2 小时正常")
    eng.fill("#id_result_parts_used", "温控模块 TC-200 ×1")
    shot(eng, "loop-13-engineer-result")
    eng.click("[data-testid=submit-result]")
    eng.wait_for_load_state()
    wo.refresh_from_db()
    assert wo.status == "completed" and wo.result == "fixed"

    # 7. the service report: the customer signs on the engineer's phone
    eng.goto(f"{base}/workorders/{wo.pk}/report/")
    eng.click("[data-testid=report-save-sign]")
    eng.wait_for_selector("[data-testid=signature-canvas]")
    eng.fill("#id_signer_name", "王建国")
    eng.click("[data-testid=satisfied-yes]")
    canvas = eng.locator("[data-testid=signature-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    eng.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    eng.mouse.down()
    for step in range(1, 12):
        eng.mouse.move(box["x"] + 20 + step * 22, box["y"] + box["height"] * (0.3 if step % 2 else 0.7), steps=4)
    eng.mouse.up()
    shot(eng, "loop-14-customer-signs")
    eng.click("[data-testid=sign-submit]")
    eng.wait_for_selector("[data-testid=signed-block]")
    report = ServiceReport.objects.get(work_order=wo)
    assert report.signer_name == "王建国" and report.signed_at is not None
    shown_hash = eng.locator("[data-testid=pdf-sha256]").inner_text().strip()
    assert shown_hash == report.pdf_sha256
    shot(eng, "loop-15-report-signed")

    # 8. the PDF: downloaded, its text and SHA-256 checked, and the verify page agrees
    with eng.expect_download() as info:
        eng.click("[data-testid=report-pdf]")
    pdf_bytes = open(info.value.path(), "rb").read()  # noqa: SIM115, PTH123 - a temporary download
    assert hashlib.sha256(pdf_bytes).hexdigest() == shown_hash
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages)
    for expected in (report.number, "王建国", "更换温控模块", report.content_sha256[:16]):
        assert expected in text.replace("\n", ""), expected
    request.refresh_from_db()
    assert request.status == "resolved" and request.resolution_confirmed_via == "signature"
    eng.goto(f"{base}/workorders/reports/verify/")
    eng.set_input_files("#id_file", files=[{"name": "report.pdf", "mimeType": "application/pdf",
                                              "buffer": pdf_bytes}])
    eng.click("[data-testid=verify-submit]")
    assert eng.locator("[data-testid=verify-result]").get_attribute("data-valid") == "true"
    tampered = bytearray(pdf_bytes)
    tampered[len(tampered) // 2] ^= 0x01
    eng.set_input_files("#id_file", files=[{"name": "report.pdf", "mimeType": "application/pdf",
                                              "buffer": bytes(tampered)}])
    eng.click("[data-testid=verify-submit]")
    assert eng.locator("[data-testid=verify-result]").get_attribute("data-valid") == "false"
    shot(eng, "loop-16-verify-altered")

    # 9. the desk calls the customer back: satisfied, the request closes
    desk.goto(f"{base}/feedback/")
    desk.click(f"a[href='/feedback/requests/{request.pk}/follow-up/']")
    desk.fill("#id_person", "王建国")
    for field in ("attitude", "skill", "timeliness"):
        desk.click(f"label[for=id_{field}_4]")
    desk.click("label[for=id_satisfied_0]")
    desk.fill("#id_comments", "工程师很专业")
    shot(desk, "loop-17-follow-up-call")
    desk.click("[data-testid=follow-up-form] button[type=submit]")
    desk.wait_for_load_state()
    request.refresh_from_db()
    assert request.status == "closed"
    desk.goto(f"{base}/service/requests/{request.pk}/")
    assert desk.locator("[data-testid=request-status]").inner_text() == zh("Closed")
    shot(desk, "loop-18-closed")
    phone.goto(f"{base}/service/requests/{request.pk}/")
    shot(phone, "loop-19-customer-sees-closed")


def test_desk_phone_intake_of_a_known_unit_in_a_handful_of_inputs(new_page, live_server, shot, world):
    """The desk finds the unit by part of its serial number, picks it, types the fault, saves."""
    base = live_server.url
    desk = new_page()
    login(desk, base, "desk")
    desk.goto(f"{base}/service/requests/new/")
    desk.fill("#lookup", "SN-2026-00")
    desk.click("[data-pick-unit]")
    assert "SN-2026-0088" in desk.locator("[data-testid=chosen]").inner_text()
    desk.fill("#id_title", "贴片机吸嘴抛料")  # the focus moved here after the pick
    desk.select_option("#id_severity", "general")
    shot(desk, "loop-20-desk-phone-intake")
    desk.click("[data-testid=intake-form] button[type=submit]")
    desk.wait_for_selector("[data-testid=request-status]")
    request = ServiceRequest.objects.get()
    assert (request.unit, request.customer, request.channel) == (world["unit"], world["customer"], "phone")
    assert zh("In warranty") in desk.locator("[data-testid=warranty-state]").inner_text()
