"""Journey (issue 9): the engineer on a 390x844 phone goes check-in -> one record screen -> the customer's
signature, and the taps are counted (clicks + fills, the signature stroke itself not counted): at most 12
for a full record (progress, a test, hours, parts, a photo, the result). Signing checks the engineer out,
so the signed report has its end time and the work order can close; "my jobs" then shows the job under
finished. Screenshots go to test-artifacts/screenshots/ (names start with "record-").
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image

from serviceloop.accounts.models import EngineerProfile
from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.assets.tests.factories import ProductModelFactory, UnitFactory
from serviceloop.customers.tests.factories import CustomerFactory, SiteFactory
from serviceloop.workorders import services
from serviceloop.workorders.models import ServiceReport, Visit, WorkOrder
from serviceloop.workorders.tests.factories import confirmed_request

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TAP_GOAL = 12


class Taps:
    """The engineer's taps on the phone: every click and every field filled (or photo picked) counts one."""

    def __init__(self, page):
        self.page = page
        self.log: list[str] = []

    def click(self, selector: str) -> None:
        self.log.append(f"click {selector}")
        self.page.click(selector)

    def fill(self, selector: str, value: str) -> None:
        self.log.append(f"fill {selector}")
        self.page.fill(selector, value)

    def pick_file(self, selector: str, files) -> None:
        self.log.append(f"photo {selector}")
        self.page.set_input_files(selector, files=files)

    @property
    def count(self) -> int:
        return len(self.log)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def job():
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    east = BranchFactory(code="EAST", name="华东分公司")
    customer = CustomerFactory(code="CA01", name="无锡甲微电子有限公司", branch=east)
    site = SiteFactory(customer=customer, name="无锡一厂", city="无锡", address="新吴区长江路 7 号",
                       latitude="31.4912", longitude="120.3119")
    model = ProductModelFactory(code="RF-800", name="全自动回流焊炉", warranty_months=24)
    accepted = timezone.localdate() - dt.timedelta(days=90)
    unit = UnitFactory(serial_number="SN-2026-0088", customer=customer, site=site, product_model=model,
                       ship_date=accepted - dt.timedelta(days=20), acceptance_date=accepted)
    desk = UserFactory(username="desk", display_name="服务台 王丽", branch=hq, roles=["service_desk"])
    dispatcher = UserFactory(username="dispatch", display_name="调度 赵敏", branch=hq, roles=["dispatcher"])
    manager = UserFactory(username="boss", display_name="服务主管 李强", branch=hq, roles=["service_manager"])
    engineer = UserFactory(username="eng", display_name="工程师 刘洋", branch=hq, roles=["field_engineer"])
    EngineerProfile.objects.create(user=engineer, home_city="苏州", phone="13800138000")
    request = confirmed_request(actor=desk, customer=customer, unit=unit, title="回流焊炉 3 温区温度偏高报警")
    wo = services.work_order_create(actor=desk, service_request=request, planned_date=timezone.localdate())
    services.work_order_assign(actor=dispatcher, work_order=wo, lead=engineer)
    services.work_order_approve(actor=manager, work_order=wo)
    services.work_order_accept(actor=engineer, work_order=wo)
    services.work_order_contacted(actor=engineer, work_order=wo)
    wo.refresh_from_db()
    return {"wo": wo, "engineer": engineer, "desk": desk}


def test_check_in_record_and_signature_in_at_most_twelve_taps(new_page, live_server, shot, job):
    base = live_server.url
    wo: WorkOrder = job["wo"]
    phone = new_page(390, 844)
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 31.4913, "longitude": 120.3121})
    login(phone, base, "eng")
    phone.goto(f"{base}/workorders/{wo.pk}/job/")
    taps = Taps(phone)

    # 1. check in on site: the record screen opens with the page
    taps.click("[data-testid=step-check_in]")
    phone.wait_for_selector("[data-testid=on-site]")
    phone.wait_for_selector("[data-testid=form-record]")
    # 2. one record screen: progress, a test (passed is preselected), hours, parts, a photo
    taps.fill("#id_record_note", "更换 3 温区温控模块，校准温区，试生产 2 小时正常")
    taps.fill("#id_record_test_item", "温区温度曲线")
    taps.fill("#id_record_test_result", "各温区 ±1.5 ℃")
    taps.fill("#id_record_hours", "3.5")
    taps.fill("#id_record_parts_used", "温控模块 TC-200 ×1")
    taps.pick_file("#id_record_photo", [{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    assert phone.locator("#id_record_test_passed_0").is_checked()  # "passed" unless the engineer says otherwise
    assert phone.locator("#id_record_result_0").is_checked()  # "fixed" unless the engineer says otherwise
    shot(phone, "record-01-one-record-screen")
    # 3. work done: saved in one go, the result recorded, the report prepared, the signature page opens
    taps.click("[data-testid=submit-record-finish]")
    phone.wait_for_selector("[data-testid=signature-canvas]")
    wo.refresh_from_db()
    assert wo.status == "completed" and wo.result == "fixed" and wo.parts_used == "温控模块 TC-200 ×1"
    assert wo.tests.get().passed and wo.labour.get().hours == 3.5 and wo.progress_notes.count() == 1
    assert "更换 3 温区温控模块" in phone.locator("main").inner_text()
    # 4. the customer signs on the phone
    taps.fill("#id_signer_name", "王建国")
    taps.click("[data-testid=satisfied-yes]")
    canvas = phone.locator("[data-testid=signature-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    phone.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    phone.mouse.down()
    for step in range(1, 12):
        phone.mouse.move(box["x"] + 20 + step * 22, box["y"] + box["height"] * (0.3 if step % 2 else 0.7), steps=4)
    phone.mouse.up()
    shot(phone, "record-02-customer-signs")
    taps.click("[data-testid=sign-submit]")
    phone.wait_for_selector("[data-testid=signed-block]")
    shot(phone, "record-03-signed")

    assert taps.count <= TAP_GOAL, taps.log
    report = ServiceReport.objects.get(work_order=wo)
    visit = Visit.objects.get(work_order=wo)
    assert report.is_signed and report.signer_name == "王建国"
    assert visit.check_out_at == report.signed_at  # signing checked the engineer out: the report's end time
    assert services.close_blockers(wo) == []
    services.work_order_close(actor=job["desk"], work_order=wo)
    wo.refresh_from_db()
    assert wo.status == "closed"


def test_my_jobs_shows_to_accept_to_do_and_finished_apart(new_page, live_server, shot, job):
    base = live_server.url
    wo: WorkOrder = job["wo"]
    engineer = job["engineer"]
    services.work_order_check_in(actor=engineer, work_order=wo)
    services.work_order_record(actor=engineer, work_order=wo, note="更换温控模块", finish=True, result="fixed")
    fresh = services.work_order_create(actor=job["desk"], service_request=confirmed_request(
        actor=job["desk"], customer=wo.customer, title="贴片机吸嘴堵塞"), planned_date=timezone.localdate())
    users = get_user_model().objects
    services.work_order_assign(actor=users.get(username="dispatch"), work_order=fresh, lead=engineer)
    services.work_order_approve(actor=users.get(username="boss"), work_order=fresh)
    phone = new_page(390, 844)
    login(phone, base, "eng")
    assert phone.url.endswith("/workorders/mine/")
    finished = phone.locator("[data-testid=jobs-finished]").inner_text()
    to_accept = phone.locator("[data-testid=jobs-to_accept]").inner_text()
    assert wo.number in finished and wo.number not in to_accept
    assert fresh.number in to_accept and fresh.number not in finished
    shot(phone, "record-04-my-jobs-sections")


def test_office_creates_the_fee_order_and_records_the_internal_charge(new_page, live_server, shot, job):
    """The desk makes the fee sales order of a chargeable job; the service manager records the internal charge
    of a help request from a branch, and its print-out opens."""
    from decimal import Decimal

    from serviceloop.workorders.models import FeeLine

    base = live_server.url
    wo: WorkOrder = job["wo"]
    users = get_user_model().objects
    desk, dispatcher, manager = job["desk"], users.get(username="dispatch"), users.get(username="boss")
    services.work_order_update(actor=dispatcher, work_order=wo, chargeable=True)
    services.fee_line_save(user=desk, instance=FeeLine(work_order=wo, kind="travel", description="差旅费",
                                                       quantity=Decimal("1"), unit_price=Decimal("300")))
    office = new_page()
    login(office, base, "desk")
    office.goto(f"{base}/workorders/{wo.pk}/")
    office.click("[data-step=create_sales_order]")
    office.fill("#id_note", "月结客户")
    office.click("[data-testid=step-submit]")
    office.wait_for_selector(".alert-success")
    wo.refresh_from_db()
    order = wo.billing_sales_order
    assert order is not None and order.number.startswith("SO-")
    office.goto(f"{base}/assets/sales-orders/{order.pk}/")
    assert "差旅费" in office.locator("[data-testid=so-fees]").inner_text()
    shot(office, "record-05-fee-sales-order")

    # a branch's help request, approved, confirmed by the branch; the manager records the internal charge
    east = wo.branch
    branch_engineer = UserFactory(username="east_eng", display_name="华东 工程师", branch=east,
                                  roles=["field_engineer"])
    EngineerProfile.objects.create(user=branch_engineer, home_city="无锡", phone="13700000000")
    hq_engineer = UserFactory(username="hq_eng", display_name="总部 专家", branch=job["engineer"].branch,
                              roles=["field_engineer"])
    EngineerProfile.objects.create(user=hq_engineer, home_city="苏州", phone="13600000000")
    other = services.work_order_create(actor=desk, service_request=confirmed_request(
        actor=desk, customer=wo.customer, title="贴片机吸嘴堵塞"), planned_date=timezone.localdate())
    services.work_order_assign(actor=dispatcher, work_order=other, lead=branch_engineer)
    services.work_order_approve(actor=manager, work_order=other)
    help_request = services.help_request_create(actor=branch_engineer, work_order=other, reason="需总部专家支援")
    services.help_request_approve(actor=manager, help_request=help_request, hq_engineer=hq_engineer)
    services.help_request_confirm(actor=branch_engineer, help_request=help_request, support_given="总部专家现场调试",
                                  rating=5)
    boss = new_page()
    login(boss, base, "boss")
    boss.goto(f"{base}/workorders/help/{help_request.pk}/")
    boss.click("[data-step=charge]")
    boss.fill("#id_amount", "1600")
    boss.fill("#id_basis", "《销售公司商务文件》：2 人天 × 800 元")
    boss.click("[data-testid=help-submit]")
    boss.wait_for_selector("[data-testid=charge]")
    assert boss.locator("[data-testid=charge-amount]").inner_text().strip() == "1600.00"
    shot(boss, "record-06-help-request-charged")
    response = boss.request.get(f"{base}/workorders/help/{help_request.pk}/pdf/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
