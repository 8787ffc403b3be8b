"""Journey: the service desk (Chinese UI) creates a customer and a unit, sees its warranty state,
imports units from Excel with a bad row, fixes it and imports again; a customer user sees only
their own units. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.assets.models import Unit
from serviceloop.assets.tests.factories import ProductModelFactory, UnitFactory
from serviceloop.customers.models import Customer
from serviceloop.customers.tests.factories import CustomerFactory

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def test_desk_creates_customer_and_unit_imports_units_and_customer_sees_only_own(new_page, live_server, shot, tmp_path):
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    east = BranchFactory(code="EAST", name="华东分公司")
    south = BranchFactory(code="SOUTH", name="华南分公司")
    model = ProductModelFactory(code="RF-800", name="全自动回流焊炉", warranty_months=24)
    other = CustomerFactory(code="CB01", name="深圳乙电子有限公司", branch=south)
    UnitFactory(serial_number="SNB-0001", customer=other, product_model=model)
    UserFactory(username="desk", display_name="服务台 王丽", branch=hq, roles=["service_desk"])
    base = live_server.url

    # 1. the service desk logs in; the UI is Chinese
    page = new_page()
    page.goto(f"{base}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot(page, "01-login-zh")
    login(page, base, "desk")
    shot(page, "02-desk-home")

    # 2. a new customer
    page.goto(f"{base}/customers/")
    page.click("a[href='/customers/new/']")
    page.fill("#id_code", "ca01")
    page.fill("#id_name", "无锡甲微电子有限公司")
    page.select_option("#id_level", "A")
    page.select_option("#id_branch", str(east.pk))
    page.fill("#id_phone", "0510-88886666")
    page.click("[data-testid=edit-form] button[type=submit]")
    page.wait_for_url("**/customers/*/")
    assert page.locator("h1").inner_text().startswith("无锡甲微电子有限公司")
    shot(page, "03-customer-created")
    customer = Customer.objects.get(code="CA01")

    # 3. a new unit of that customer, accepted two months ago: in warranty
    accepted = timezone.localdate() - dt.timedelta(days=60)
    page.goto(f"{base}/assets/units/new/")
    page.fill("#id_serial_number", "sn-2026-0001")
    page.select_option("#id_product_model", str(model.pk))
    page.select_option("#id_customer", str(customer.pk))
    page.fill("#id_ship_date", (accepted - dt.timedelta(days=20)).isoformat())
    page.fill("#id_install_date", (accepted - dt.timedelta(days=5)).isoformat())
    page.fill("#id_acceptance_date", accepted.isoformat())
    page.click("[data-testid=edit-form] button[type=submit]")
    page.wait_for_url("**/assets/units/*/")
    badge = page.locator("[data-testid=warranty-state]")
    assert badge.inner_text().strip() == zh("In warranty")
    shot(page, "04-unit-service-file")
    assert Unit.objects.get(serial_number="SN-2026-0001").customer == customer

    # 4. Excel import: download the template, fill two rows, one of them bad
    page.goto(f"{base}/imports/units/")
    with page.expect_download() as info:
        page.click("[data-testid=import-template]")
    template = tmp_path / "units.xlsx"
    info.value.save_as(template)
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    headers = [str(c.value or "").rstrip("*").strip() for c in sheet[1]]
    column = {h: i + 1 for i, h in enumerate(headers)}

    def put(row: int, label: str, value: str) -> None:
        sheet.cell(row=row, column=column[zh(label)], value=value)

    put(2, "serial number", "SN-2026-0101")
    put(2, "model code", "RF-800")
    put(2, "customer code", "CA01")
    put(2, "ship date", "2026-03-01")
    put(3, "serial number", "SN-2026-0102")
    put(3, "model code", "NO-SUCH-MODEL")
    put(3, "customer code", "CA01")
    put(3, "ship date", "2026-03-01")
    bad = tmp_path / "units-bad.xlsx"
    book.save(bad)
    page.set_input_files("[data-testid=import-form] input[type=file]", str(bad))
    page.click("[data-testid=import-form] button[type=submit]")
    errors = page.locator("[data-testid=import-errors] tbody tr")
    errors.first.wait_for()
    assert errors.count() == 1
    assert errors.first.locator("td").first.inner_text().strip() == "3"
    assert not Unit.objects.filter(serial_number__in=["SN-2026-0101", "SN-2026-0102"]).exists()
    shot(page, "05-import-errors")

    # fix the row and import again
    put(3, "model code", "RF-800")
    good = tmp_path / "units-good.xlsx"
    book.save(good)
    page.set_input_files("[data-testid=import-form] input[type=file]", str(good))
    page.click("[data-testid=import-form] button[type=submit]")
    page.locator(".alert-success").wait_for()
    shot(page, "06-import-done")
    assert set(Unit.objects.filter(customer=customer).values_list("serial_number", flat=True)) == {
        "SN-2026-0001", "SN-2026-0101", "SN-2026-0102",
    }

    # 5. a user of that customer sees only their own units
    UserFactory(username="buyer", display_name="甲公司 采购", customer=customer, roles=["customer"])
    portal = new_page(390, 844)
    login(portal, base, "buyer")
    portal.goto(f"{base}/assets/units/")
    table = portal.locator("[data-testid=list-table]").inner_text()
    for serial in ("SN-2026-0001", "SN-2026-0101", "SN-2026-0102"):
        assert serial in table
    assert "SNB-0001" not in table
    shot(portal, "07-customer-own-units")
    response = portal.goto(f"{base}/assets/units/{Unit.objects.get(serial_number='SNB-0001').pk}/")
    assert response.status == 404
