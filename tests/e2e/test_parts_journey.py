"""Journey (in Chinese): an engineer on a 390×844 phone requests two parts from a work order → the parts
department approves one and refuses the other → issues it to the van → the engineer confirms receipt, fits
the part by its unique ID and records the old part → the old part comes back into quarantine → the part's
life page shows every step. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.customers.tests.factories import CustomerFactory
from serviceloop.parts.choices import LocationKind, PartCategory, Tracking
from serviceloop.parts.models import Location, OldPartReturn, Part, PartSerial, Requisition, StockBalance
from serviceloop.parts.services import stock_receive
from serviceloop.workorders.tests.factories import dispatcher, engineer, on_site

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    from serviceloop.accounts.roles import sync_roles

    if not Group.objects.filter(name="warehouse").exists():  # transactional tests start without groups
        sync_roles()
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    east = BranchFactory(code="EAST", name="华东分公司")
    customer = CustomerFactory(code="CA", name="甲公司", branch=east)
    office = dispatcher(hq)
    manager = UserFactory(username="manager", branch=hq, roles=["service_manager"])
    eng = engineer(branch=east, username="eng")
    keeper = UserFactory(username="keeper", branch=hq, roles=["warehouse"], display_name="仓管 杨帆")
    wh = Location.objects.create(code="WH-HQ", name="总部备件库", kind=LocationKind.HQ_WAREHOUSE, branch=hq)
    board = Part.objects.create(number="CB-2001", name="主控板", specification="V3.2", category=PartCategory.KEY,
                                tracking=Tracking.SERIAL, sale_price="2800")
    fan = Part.objects.create(number="FN-0100", name="冷却风扇", specification="24V", sale_price="120")
    stock_receive(actor=keeper, part=board, location=wh, quantity=2, serials=["CB-A001", "CB-A002"])
    stock_receive(actor=keeper, part=fan, location=wh, quantity=6)
    wo = on_site(office=office, manager=manager, customer=customer, lead=eng)
    return {"wo": wo, "board": board, "fan": fan, "wh": wh}


def test_request_approve_issue_fit_and_return_the_old_part(new_page, live_server, shot, world):
    base = live_server.url
    wo, board, fan, wh = world["wo"], world["board"], world["fan"], world["wh"]

    # 1. the engineer on the phone asks for two parts from the work order
    phone = new_page(width=390, height=844)
    login(phone, base, "eng")
    phone.goto(f"{base}/workorders/{wo.pk}/")
    phone.click("[data-step=request_parts]")
    phone.wait_for_url(f"**/parts/work-orders/{wo.pk}/request/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.fill("#id_purpose", "主控板死机，风扇异响")
    phone.select_option("#id_part_1", str(board.pk))
    phone.fill("#id_quantity_1", "1")
    phone.select_option("#id_part_2", str(fan.pk))
    phone.fill("#id_quantity_2", "2")
    shot(phone, "parts-01-engineer-requests-on-phone")
    phone.click("[data-testid=requisition-form] button[type=submit]")
    phone.wait_for_url("**/parts/requisitions/*/")
    requisition = Requisition.objects.get()
    assert requisition.status == "submitted" and requisition.lines.count() == 2

    # 2. the parts department sees the stock and approves the board, refuses the fan
    desk = new_page()
    login(desk, base, "keeper")
    desk.goto(f"{base}/parts/requisitions/{requisition.pk}/")
    desk.click("[data-step=approve]")
    assert desk.locator("[data-testid=lines]").inner_text().count("总部备件库") == 2
    lines = {line.part_id: line for line in requisition.lines.all()}
    desk.select_option("#id_source", str(wh.pk))
    desk.fill(f"#id_qty_{lines[fan.pk].pk}", "0")
    desk.fill(f"#id_reason_{lines[fan.pk].pk}", "风扇可现场清洁，不予发放")
    shot(desk, "parts-02-keeper-approves-one-refuses-one")
    desk.click("[data-testid=step-form] button[type=submit]")
    desk.wait_for_url(f"**/parts/requisitions/{requisition.pk}/")
    assert StockBalance.objects.get(part=board, location=wh).reserved == 1
    assert "风扇可现场清洁" in desk.content()

    # 3. issue to the engineer's van, scanning the unique ID
    desk.click("[data-step=issue]")
    desk.fill(f"#id_serials_{lines[board.pk].pk}", "CB-A002")
    desk.click("[data-testid=step-form] button[type=submit]")
    desk.wait_for_url(f"**/parts/requisitions/{requisition.pk}/")
    shot(desk, "parts-03-issued-to-van")
    van = Location.objects.get(kind=LocationKind.VAN)
    assert PartSerial.objects.get(serial="CB-A002").location == van

    # 4. the engineer confirms, fits the part by its unique ID, records the old part
    phone.goto(f"{base}/parts/requisitions/{requisition.pk}/")
    phone.click("[data-step=confirm]")
    phone.wait_for_url(f"**/parts/requisitions/{requisition.pk}/")
    phone.click("[data-step=fit]")
    phone.fill("#id_serial", "cb-a002")
    phone.fill("#id_old_serial", "CB-OLD-77")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "parts-04-engineer-fits-by-unique-id")
    phone.click("[data-testid=step-form] button[type=submit]")
    phone.wait_for_url(f"**/parts/requisitions/{requisition.pk}/")
    phone.goto(f"{base}/workorders/{wo.pk}/")
    assert "CB-A002" in phone.locator("[data-testid=parts-fitted]").inner_text()
    shot(phone, "parts-05-work-order-lists-the-part")

    # 5. the old part comes back into quarantine
    old = OldPartReturn.objects.get()
    desk.goto(f"{base}/parts/old-parts/")
    shot(desk, "parts-06-old-parts-due")
    desk.goto(f"{base}/parts/old-parts/{old.pk}/")
    desk.click("[data-step=receive]")
    desk.click("[data-testid=step-form] button[type=submit]")
    desk.wait_for_url(f"**/parts/old-parts/{old.pk}/")
    old.refresh_from_db()
    assert old.status == "received" and old.location.kind == LocationKind.QUARANTINE

    # 6. the fitted part's life: received, issued, fitted to the unit on the work order
    serial = PartSerial.objects.get(serial="CB-A002")
    desk.goto(f"{base}/parts/serials/{serial.pk}/")
    life = desk.locator("[data-testid=life] li")
    assert life.count() == 3
    assert wo.number in desk.locator("[data-testid=life]").inner_text()
    shot(desk, "parts-07-part-life")
