"""Journeys of issue 9 at the desk and in the portal, in Chinese.

Intake search: the caller reads the last digits of the serial number (found, picked); a phone's last digits
find the contact and fill in who calls; a broad text matches more than 8 units, the desk says so and shows them
all; a caller who is not in the system is logged with the company they name and linked to the customer record
later. The customer rejects a proposed plan in the portal with a comment; the request goes back to the desk,
which is told. Screenshots go to test-artifacts/screenshots/ (names start with "desk-").
"""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.accounts.tests.factories import BranchFactory, DepartmentFactory, UserFactory
from serviceloop.assets.tests.factories import ProductModelFactory, UnitFactory
from serviceloop.core.models import Notification
from serviceloop.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from serviceloop.service import services
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
    aoi = ProductModelFactory(code="AOI-3D", name="三维光学检测仪", warranty_months=12)
    customer = CustomerFactory(code="CA01", name="无锡甲微电子有限公司", branch=east, level="A")
    other = CustomerFactory(code="CB02", name="苏州乙精密科技有限公司", branch=east)
    site = SiteFactory(customer=customer, name="无锡一厂", city="无锡")
    unit = UnitFactory(serial_number="RF800-2409-0042", customer=customer, site=site, product_model=model)
    for n in range(12):
        UnitFactory(serial_number=f"AOI-5501-{n:03d}", customer=other, product_model=aoi)
    contact = ContactFactory(customer=customer, site=site, name="张建国", phone="13812345678", is_primary=True)
    buyer = UserFactory(username="buyer", display_name="甲公司 王工", customer=customer, roles=["customer"])
    desk = UserFactory(username="desk", display_name="服务台 王丽", branch=hq, roles=["service_desk"])
    return {"unit": unit, "customer": customer, "contact": contact, "buyer": buyer, "desk": desk}


def test_intake_search_last_digits_contacts_many_units_and_an_unknown_caller(new_page, live_server, shot, world):
    base = live_server.url
    desk = new_page()
    login(desk, base, "desk")

    # 1. the caller reads the last digits of the serial number on the nameplate
    desk.goto(f"{base}/service/requests/new/")
    desk.fill("#lookup", "0042")
    desk.wait_for_selector("[data-testid=lookup-units] [data-pick-unit]")
    units = desk.locator("[data-testid=lookup-units] [data-pick-unit]")
    assert units.count() == 1 and "RF800-2409-0042" in units.first.inner_text()
    shot(desk, "desk-01-serial-last-digits")

    # 2. a phone's last digits: the contact is found, and picking the unit fills in who calls
    desk.fill("#lookup", "5678")
    desk.wait_for_selector("[data-testid=lookup-contacts]")
    assert "张建国" in desk.locator("[data-testid=lookup-contacts]").inner_text()
    assert "RF800-2409-0042" in desk.locator("[data-testid=lookup-units]").inner_text()
    shot(desk, "desk-02-phone-last-digits")
    desk.click("[data-testid=lookup-units] [data-pick-unit]")
    assert desk.input_value("#id_contact_name") == "张建国"
    assert desk.input_value("#id_contact_phone") == "13812345678"
    assert "RF800-2409-0042" in desk.locator("[data-testid=chosen]").inner_text()
    desk.fill("#id_title", "回流焊炉 3 温区超温报警")
    shot(desk, "desk-03-contact-filled")
    desk.click("#intake button[type=submit]")
    desk.wait_for_selector("[data-testid=request-status]")
    logged = ServiceRequest.objects.get(title="回流焊炉 3 温区超温报警")
    assert (logged.unit, logged.customer, logged.contact_name, logged.contact_phone) == (
        world["unit"], world["customer"], "张建国", "13812345678")

    # 3. more than 8 units match: the desk is told how many and sees them all
    desk.goto(f"{base}/service/requests/new/")
    desk.fill("#lookup", "AOI-5501")
    desk.wait_for_selector("[data-testid=lookup-count]")
    assert "12" in desk.locator("[data-testid=lookup-count]").inner_text()
    assert desk.locator("[data-testid=lookup-units] [data-pick-unit]").count() == 8
    shot(desk, "desk-04-more-than-eight")
    desk.click("[data-testid=lookup-show-all]")
    desk.wait_for_function("() => document.querySelectorAll('[data-testid=lookup-units] [data-pick-unit]').length === 12")
    shown = desk.locator("[data-testid=lookup-units]").inner_text()
    assert all(f"AOI-5501-{n:03d}" in shown for n in range(12))
    shot(desk, "desk-05-show-all")

    # 4. a caller who is not in the system: logged with the company they name, linked later
    desk.fill("#lookup", "新能源装备")
    desk.wait_for_selector("[data-testid=unknown-caller]")
    shot(desk, "desk-06-nothing-found")
    desk.click("[data-testid=unknown-caller]")
    assert desk.evaluate("document.activeElement.id") == "id_caller_company"
    desk.fill("#id_caller_company", "常州新能源装备有限公司")
    desk.fill("#id_contact_name", "陈工")
    desk.fill("#id_contact_phone", "13655550001")
    desk.fill("#id_title", "新购设备无法开机")
    shot(desk, "desk-07-unknown-caller-form")
    desk.click("#intake button[type=submit]")
    desk.wait_for_selector("[data-testid=request-status]")
    unknown = ServiceRequest.objects.get(title="新购设备无法开机")
    assert unknown.customer is None and unknown.caller_company == "常州新能源装备有限公司"
    assert zh("not in the system yet") in desk.locator("[data-testid=request-customer]").inner_text()
    assert desk.locator("[data-step=propose_plan]").count() == 0
    shot(desk, "desk-08-unknown-caller-logged")
    desk.click("[data-step=link_customer]")
    desk.fill("#id_customer_code", "CA01")
    desk.fill("#id_serial_number", "RF800-2409-0042")
    desk.click("[data-testid=step-form] button[type=submit]")
    desk.wait_for_selector(".alert-success")
    unknown.refresh_from_db()
    assert unknown.customer == world["customer"] and unknown.unit == world["unit"]
    assert "无锡甲微电子有限公司" in desk.locator("[data-testid=request-customer]").inner_text()
    assert desk.locator("[data-step=propose_plan]").count() == 1
    shot(desk, "desk-09-customer-linked")


def test_the_customer_rejects_the_plan_in_the_portal(new_page, live_server, shot, world):
    base = live_server.url
    desk_user = world["desk"]
    r = services.request_create(actor=desk_user, channel="phone", request_type="fault_repair",
                                customer=world["customer"], unit=world["unit"], title="回流焊炉链速不稳",
                                contact_name="张建国", contact_phone="13812345678").service_request
    services.request_start_review(actor=desk_user, service_request=r)
    services.request_propose_plan(actor=desk_user, service_request=r, plan="onsite", note="下周三派工程师上门")

    phone = new_page(390, 844)
    login(phone, base, "buyer")
    phone.goto(f"{base}/service/portal/")
    phone.click(f"text={r.number}")
    assert "下周三派工程师上门" in phone.locator("[data-testid=plan-for-customer]").inner_text()
    assert phone.locator("[data-step=reject_plan]").count() == 1
    shot(phone, "desk-10-portal-plan-proposed")
    phone.click("[data-step=reject_plan]")
    phone.click("[data-testid=step-form] button[type=submit]")  # no comment: refused, nothing changes
    phone.wait_for_selector(".errorlist, .invalid-feedback, [data-testid=form-errors]")
    r.refresh_from_db()
    assert r.status == "plan_proposed"
    phone.fill("#id_comment", "产线周三满负荷，希望先远程指导，周末再上门")
    shot(phone, "desk-11-portal-reject-form")
    phone.click("[data-testid=step-form] button[type=submit]")
    phone.wait_for_selector(".alert-success")
    r.refresh_from_db()
    assert r.status == "under_review"
    assert phone.locator("[data-testid=request-status]").inner_text() == zh("Under review")
    assert "产线周三满负荷" in phone.locator("[data-testid=timeline]").inner_text()
    shot(phone, "desk-12-portal-plan-rejected")

    told = Notification.objects.get(kind="plan_rejected")
    assert told.recipient == desk_user and "产线周三满负荷" in told.body
    desk = new_page()
    login(desk, base, "desk")
    desk.goto(f"{base}/service/requests/{r.pk}/")
    timeline = desk.locator("[data-testid=timeline]").inner_text()
    assert zh("plan rejected by the customer") in timeline and "产线周三满负荷" in timeline
    assert desk.locator("[data-step=review]").count() == 1 and desk.locator("[data-step=start_review]").count() == 0
    shot(desk, "desk-13-desk-sees-rejection")
