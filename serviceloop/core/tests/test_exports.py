"""List exports (?export=xlsx): the current filters and the access gate apply to every row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.assets.tests.factories import SalesOrderFactory, UnitFactory
from serviceloop.core.tests.xlsx import XLSX, read_xlsx, sheet_values
from serviceloop.customers.tests.factories import CustomerFactory


def export(client, url_name: str, **params):
    response = client.get(reverse(url_name), {**params, "export": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment")
    return response


def rows_of(response) -> list[list]:
    return sheet_values(response.content)[1:]


def column(response, index: int) -> set:
    return {row[index] for row in rows_of(response)}


@pytest.fixture
def installed(cast):
    """Units and sales orders of customer A (east) and customer B (south)."""
    return {
        "unit_a": UnitFactory(serial_number="SN-A-1", customer=cast.customer_a, status="in_service"),
        "unit_a_stock": UnitFactory(serial_number="SN-A-2", customer=cast.customer_a, status="in_stock"),
        "unit_b": UnitFactory(serial_number="SN-B-1", customer=cast.customer_b),
        "so_a": SalesOrderFactory(number="SO-A-1", customer=cast.customer_a, order_date=dt.date(2025, 1, 10)),
        "so_a_late": SalesOrderFactory(number="SO-A-2", customer=cast.customer_a, order_date=dt.date(2025, 6, 1)),
        "so_b": SalesOrderFactory(number="SO-B-1", customer=cast.customer_b, order_date=dt.date(2025, 2, 1)),
    }


@pytest.mark.django_db
def test_customer_export_has_the_list_columns_and_respects_filters(client, cast):
    CustomerFactory(code="CK", name="重点客户", level="A", branch=cast.customer_a.branch)
    client.force_login(cast.desk)
    response = export(client, "customers:list")
    workbook = read_xlsx(response.content)
    header = [c.value for c in workbook.worksheets[0][1]]
    with translation.override("en"):
        assert header[:3] == ["Customer code", "Customer name", "Customer level"]  # capitalised
    with translation.override("zh-hans"):
        zh_header = [c.value for c in read_xlsx(client.get(reverse("customers:list"), {"export": "xlsx"},
                                                            HTTP_ACCEPT_LANGUAGE="zh-hans").content).worksheets[0][1]]
        assert zh_header[:3] == [gettext("customer code"), gettext("customer name"), gettext("customer level")]
    assert all(c.font.bold for c in workbook.worksheets[0][1])
    assert column(response, 0) == {"CA", "CB", "CK"}
    assert column(export(client, "customers:list", level="A"), 0) == {"CK"}
    assert column(export(client, "customers:list", branch=cast.customer_b.branch.pk), 0) == {"CB"}
    assert column(export(client, "customers:list", q="乙"), 0) == {"CB"}


@pytest.mark.django_db
def test_customer_export_goes_through_the_gate(client, cast):
    client.force_login(cast.outsider)
    assert column(export(client, "customers:list"), 0) == {"CB"}
    client.force_login(cast.owner)
    assert column(export(client, "customers:list"), 0) == {"CA"}
    client.force_login(cast.south_staff)
    # a filter cannot widen the gate: the east branch's customers stay invisible
    assert rows_of(export(client, "customers:list", branch=cast.customer_a.branch.pk)) == []
    client.force_login(cast.nobody)
    assert client.get(reverse("customers:list"), {"export": "xlsx"}).status_code == 403


@pytest.mark.django_db
def test_unit_export_respects_filters_and_the_gate(client, cast, installed):
    client.force_login(cast.desk)
    assert column(export(client, "assets:unit_list"), 0) == {"SN-A-1", "SN-A-2", "SN-B-1"}
    assert column(export(client, "assets:unit_list", status="in_stock"), 0) == {"SN-A-2"}
    assert column(export(client, "assets:unit_list", q="SN-A"), 0) == {"SN-A-1", "SN-A-2"}
    client.force_login(cast.outsider)
    rows = rows_of(export(client, "assets:unit_list"))
    assert {r[0] for r in rows} == {"SN-B-1"}
    assert not any(cast.customer_a.name in [str(v) for v in r] for r in rows)
    client.force_login(cast.east_staff)
    assert column(export(client, "assets:unit_list"), 0) == {"SN-A-1", "SN-A-2"}


@pytest.mark.django_db
def test_sales_order_export_respects_filters_and_the_gate(client, cast, installed):
    client.force_login(cast.desk)
    assert column(export(client, "assets:so_list"), 0) == {"SO-A-1", "SO-A-2", "SO-B-1"}
    assert column(export(client, "assets:so_list", order_date_from="2025-01-15"), 0) == {"SO-A-2", "SO-B-1"}
    assert column(export(client, "assets:so_list", order_date_to="2025-01-31"), 0) == {"SO-A-1"}
    client.force_login(cast.outsider)
    rows = rows_of(export(client, "assets:so_list"))
    assert [r[0] for r in rows] == ["SO-B-1"]
    assert all(r[1] != cast.customer_a.name for r in rows)
    client.force_login(cast.colleague)
    assert column(export(client, "assets:so_list"), 0) == {"SO-A-1", "SO-A-2"}


@pytest.mark.django_db
def test_exported_text_never_becomes_a_formula(client, cast):
    CustomerFactory(code="CX", name='=HYPERLINK("http://evil.example","click")', branch=cast.customer_a.branch)
    client.force_login(cast.desk)
    sheet = read_xlsx(export(client, "customers:list", q="CX").content).worksheets[0]
    cell = sheet["B2"]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"
