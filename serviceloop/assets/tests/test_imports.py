"""Excel imports of units and sales orders: services, the gate, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.assets.models import SalesOrder, Unit
from serviceloop.assets.tests.factories import (
    ProductModelFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    UnitFactory,
)
from serviceloop.core.models import TimelineEvent
from serviceloop.core.tests.xlsx import error_rows, post_import
from serviceloop.customers.tests.factories import SiteFactory

UNIT_HEADER = ["serial number", "model code", "customer code", "site name", "SO number", "status", "ship date",
               "installation date", "acceptance date", "note"]
SO_HEADER = ["SO number", "customer code", "order date", "model code", "quantity", "serial numbers", "note"]


def _t(msgid: str, lang: str = "en") -> str:
    with translation.override(lang):
        return gettext(msgid)


@pytest.fixture
def reflow(db):
    return ProductModelFactory(code="RF-8800", warranty_months=12)


@pytest.fixture
def oven(db):
    return ProductModelFactory(code="OV-100", warranty_months=24)


# --- units ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_units_import_with_real_and_text_dates(client, cast, reflow):
    SiteFactory(customer=cast.customer_a, name="一号车间")
    client.force_login(cast.desk)
    rows = [
        UNIT_HEADER,
        ["sn-a-001", "rf-8800", "CA", "一号车间", None, "In service", dt.datetime(2025, 3, 1), "2025/03/10", None, ""],
        ["SN-A-002", "RF-8800", "ca", None, None, "in_stock", "2025-04-01", None, None, "库存"],
    ]
    response = post_import(client, "units", rows, follow=True)
    assert response.status_code == 200
    assert "2 rows imported (2 created, 0 updated)." in response.content.decode()
    first = Unit.objects.get(serial_number="SN-A-001")
    assert (first.customer, first.site.name, first.ship_date, first.install_date) == (
        cast.customer_a, "一号车间", dt.date(2025, 3, 1), dt.date(2025, 3, 10))
    assert first.warranty_end == dt.date(2026, 3, 9)  # from installation, 12 months
    second = Unit.objects.get(serial_number="SN-A-002")
    assert (second.status, second.note) == ("in_stock", "库存")
    assert TimelineEvent.objects.filter(object_id=first.pk, verb="created", content_type__model="unit").exists()


@pytest.mark.django_db
def test_a_customer_the_user_cannot_see_is_unknown(client, cast, reflow):
    client.force_login(cast.east_staff)
    rows = [
        UNIT_HEADER,
        ["SN-E-001", "RF-8800", "CA", None, None, None, "2025-03-01", None, None, None],
        ["SN-E-002", "RF-8800", "CB", None, None, None, "2025-03-01", None, None, None],
        ["SN-E-003", "RF-8800", "NOPE", None, None, None, "2025-03-01", None, None, None],
    ]
    response = post_import(client, "units", rows)
    assert response.status_code == 400
    unknown = _t("Unknown customer code.")
    assert error_rows(response) == [(3, "customer code", unknown), (4, "customer code", unknown)]
    assert not Unit.objects.filter(serial_number__startswith="SN-E-").exists()


@pytest.mark.django_db
def test_unit_errors_from_the_model_are_reported_and_nothing_is_written(client, cast, reflow):
    client.force_login(cast.desk)
    rows = [
        UNIT_HEADER,
        ["SN-B-001", "RF-8800", "CA", None, None, None, "2025-03-10", "2025-03-01", None, None],
        ["SN-B-002", "RF-8800", "CA", "没有这个现场", None, None, "2025-31-01", None, None, None],
        ["SN-B-003", "NO-MODEL", "CA", None, None, None, None, None, None, None],
        ["SN-B-004", "RF-8800", "CA", None, None, None, None, None, None, None],
    ]
    response = post_import(client, "units", rows)
    assert response.status_code == 400
    errors = error_rows(response)
    assert (2, "installation date", _t("Installation cannot be before shipping.")) in errors
    assert (3, "site name", _t("The customer has no site of this name.")) in errors
    assert (3, "ship date", _t("Enter a date such as 2025-03-01 or 2025/03/01.")) in errors
    assert (4, "model code", _t("Unknown product model code.")) in errors
    assert not Unit.objects.filter(serial_number__startswith="SN-B-").exists()
    assert not TimelineEvent.objects.filter(content_type__model="unit").exists()


@pytest.mark.django_db
def test_unit_update_mode(client, cast, reflow):
    unit = UnitFactory(serial_number="SN-U-001", product_model=reflow, customer=cast.customer_a,
                       ship_date=dt.date(2025, 1, 15), note="旧备注")
    client.force_login(cast.desk)
    rows = [UNIT_HEADER, ["sn-u-001", "RF-8800", None, None, None, "Returned to factory", None, "2025-02-01", None,
                          None]]
    response = post_import(client, "units", rows)
    assert response.status_code == 400
    assert error_rows(response)[0][:2] == (2, "serial number")
    response = post_import(client, "units", rows, update=True, follow=True)
    assert response.status_code == 200
    unit.refresh_from_db()
    assert (unit.status, unit.install_date, unit.ship_date, unit.note, unit.customer) == (
        "returned", dt.date(2025, 2, 1), dt.date(2025, 1, 15), "旧备注", cast.customer_a)
    assert unit.warranty_start == dt.date(2025, 2, 1)


@pytest.mark.django_db
def test_unit_of_an_invisible_customer_cannot_be_updated(client, cast, reflow):
    UnitFactory(serial_number="SN-U-002", product_model=reflow, customer=cast.customer_b)
    client.force_login(cast.east_staff)
    rows = [UNIT_HEADER, ["SN-U-002", "RF-8800", "CA", None, None, None, None, None, None, "抢过来"]]
    response = post_import(client, "units", rows, update=True)
    assert response.status_code == 400
    assert error_rows(response) == [(2, "serial number", _t(
        "A unit with this serial number already exists and you may not change it."))]
    assert Unit.objects.get(serial_number="SN-U-002").customer == cast.customer_b


@pytest.mark.django_db
def test_unit_linked_to_the_sales_order_line(client, cast, reflow):
    order = SalesOrderFactory(customer=cast.customer_a, number="SO-L-1")
    line = SalesOrderLineFactory(order=order, product_model=reflow, line_no=1)
    client.force_login(cast.desk)
    rows = [UNIT_HEADER, ["SN-L-001", "RF-8800", None, None, "so-l-1", None, "2025-01-20", None, None, None]]
    response = post_import(client, "units", rows, follow=True)
    assert response.status_code == 200
    unit = Unit.objects.get(serial_number="SN-L-001")
    assert (unit.so_line, unit.customer) == (line, cast.customer_a)


# --- sales orders --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sales_orders_import_groups_lines_and_creates_units(client, cast, reflow, oven):
    existing = UnitFactory(serial_number="SN-X-009", product_model=oven, customer=cast.customer_a, ship_date=None)
    client.force_login(cast.desk)
    rows = [
        SO_HEADER,
        ["SO-2503-0001", "CA", "2025-03-01", "RF-8800", 2, "SN-X-001, SN-X-002", "首单"],
        ["SO-2503-0002", "CB", dt.datetime(2025, 3, 5), "RF-8800", 1, None, None],
        ["so-2503-0001", "CA", "2025/03/01", "OV-100", 1, "sn-x-009", None],
    ]
    response = post_import(client, "sales_orders", rows, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 rows imported (2 created, 0 updated)." in page
    assert "Units created: 2." in page
    first = SalesOrder.objects.get(number="SO-2503-0001")
    assert (first.customer, first.order_date, first.note) == (cast.customer_a, dt.date(2025, 3, 1), "首单")
    lines = list(first.lines.order_by("line_no"))
    assert [(li.product_model.code, li.quantity) for li in lines] == [("RF-8800", 2), ("OV-100", 1)]
    assert lines[0].serial_list() == ["SN-X-001", "SN-X-002"]
    created = Unit.objects.get(serial_number="SN-X-001")
    assert (created.so_line, created.customer, created.ship_date, created.product_model) == (
        lines[0], cast.customer_a, dt.date(2025, 3, 1), reflow)
    assert created.warranty_end == dt.date(2026, 2, 28)
    existing.refresh_from_db()
    assert (existing.so_line, existing.ship_date) == (lines[1], dt.date(2025, 3, 1))
    assert SalesOrder.objects.get(number="SO-2503-0002").lines.count() == 1
    assert TimelineEvent.objects.filter(object_id=first.pk, verb="created", content_type__model="salesorder").exists()
    assert TimelineEvent.objects.filter(object_id=created.pk, verb="created", content_type__model="unit").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_sales_order_errors_import_nothing(client, cast, reflow, lang):
    SalesOrderFactory(number="SO-OLD-1", customer=cast.customer_b)
    UnitFactory(serial_number="SN-Y-009", product_model=reflow, customer=cast.customer_b)
    client.force_login(cast.desk)
    rows = [
        SO_HEADER,
        ["SO-NEW-1", "CA", "2025-03-01", "RF-8800", 2, "SN-Y-001", None],
        ["SO-NEW-1", "CB", "2025-03-01", "RF-8800", 1, None, None],
        ["SO-OLD-1", "CB", "2025-03-01", "RF-8800", 1, None, None],
        ["SO-NEW-2", "CA", "2025-03-01", "RF-8800", 1, "SN-Y-009", None],
        ["SO-NEW-3", "CA", "2025-03-01", "RF-8800", 0, None, None],
        ["SO-NEW-4", "CA", "2025-03-02", "RF-8800", 1, "SN-Y-100", None],
    ]
    response = post_import(client, "sales_orders", rows, lang=lang)
    assert response.status_code == 400
    with translation.override(lang):
        expected = [
            (2, "serial numbers", gettext("%(s)s serial numbers for a quantity of %(q)s.") % {"s": 1, "q": 2}),
            (3, "customer code", gettext("Rows of one sales order must have the same customer code (see row "
                                         "%(row)s).") % {"row": 2}),
            (4, "SO number", gettext("A sales order with this number already exists.")),
            (5, "serial numbers", gettext("Serial number %(serial)s belongs to a unit of another customer.")
             % {"serial": "SN-Y-009"}),
            (6, "quantity", gettext("Enter a number of at least %(min)s.") % {"min": 1}),
        ]
    assert error_rows(response) == expected
    assert not SalesOrder.objects.filter(number__startswith="SO-NEW").exists()
    assert not Unit.objects.filter(serial_number="SN-Y-100").exists()


@pytest.mark.django_db
def test_sales_order_for_an_invisible_customer_is_unknown(client, cast, reflow):
    # a sales user of a branch: sees the east region only
    from serviceloop.accounts.tests.factories import UserFactory

    seller = UserFactory(username="seller", branch=cast.east_staff.branch, roles=["sales"])
    client.force_login(seller)
    rows = [SO_HEADER, ["SO-S-1", "CB", "2025-03-01", "RF-8800", 1, None, None],
            ["SO-S-2", "CA", "2025-03-01", "RF-8800", 1, None, None]]
    response = post_import(client, "sales_orders", rows)
    assert response.status_code == 400
    assert error_rows(response) == [(2, "customer code", _t("Unknown customer code."))]
    assert not SalesOrder.objects.filter(number__startswith="SO-S-").exists()
    response = post_import(client, "sales_orders", rows[:1] + rows[2:], follow=True)
    assert response.status_code == 200
    assert SalesOrder.objects.get(number="SO-S-2").customer == cast.customer_a


@pytest.mark.django_db
def test_sales_order_import_needs_the_add_permission(client, cast):
    client.force_login(cast.east_staff)  # branch staff may add units, not sales orders
    response = post_import(client, "sales_orders", [SO_HEADER])
    assert response.status_code == 403
    from django.urls import reverse

    assert client.get(reverse("imports:sales_orders")).status_code == 403
    assert client.get(reverse("imports:sales_orders_template")).status_code == 403
    assert client.get(reverse("imports:units")).status_code == 200
