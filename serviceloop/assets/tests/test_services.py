import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from serviceloop.assets import services
from serviceloop.assets.models import SalesOrder, ServiceContract, Unit
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.timeline import events_for
from serviceloop.customers.tests.factories import SiteFactory

from .factories import ProductModelFactory, SalesOrderFactory, SalesOrderLineFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_unit_save_normalises_serial_takes_customer_from_site_and_derives_warranty(cast):
    site = SiteFactory(customer=cast.customer_a)
    unit = Unit(serial_number=" ab-12 ", product_model=ProductModelFactory(warranty_months=6), site=site,
                install_date=dt.date(2025, 3, 10))
    services.unit_save(user=cast.manager, instance=unit)
    unit.refresh_from_db()
    assert unit.serial_number == "AB-12"
    assert unit.customer == cast.customer_a
    assert (unit.warranty_basis, unit.warranty_end) == ("install", dt.date(2025, 9, 9))
    assert [e.verb for e in events_for(unit)] == ["created"]


def test_unit_save_refuses_stale_version(cast):
    unit = UnitFactory(customer=cast.customer_a)
    services.unit_save(user=cast.manager, instance=Unit.objects.get(pk=unit.pk), expected_version=1)
    with pytest.raises(StaleEditError):
        services.unit_save(user=cast.desk, instance=Unit.objects.get(pk=unit.pk), expected_version=1)


def test_sales_order_save_numbers_and_validates_lines(cast):
    model = ProductModelFactory()
    so = services.sales_order_save(
        user=cast.manager, instance=SalesOrder(customer=cast.customer_a, order_date=dt.date(2025, 1, 1)),
        lines=[{"product_model": model, "quantity": 2, "serial_numbers": "x1，x2"}],
    )
    assert so.number.startswith("SO-")
    assert so.lines.get().serial_list() == ["X1", "X2"]
    with pytest.raises(ValidationError) as exc:
        services.sales_order_save(
            user=cast.manager, instance=SalesOrder(customer=cast.customer_a, order_date=dt.date(2025, 1, 1)),
            lines=[{"product_model": model, "quantity": 1, "serial_numbers": "D1"},
                   {"product_model": model, "quantity": 1, "serial_numbers": "d1"}],
        )
    assert "lines" in exc.value.message_dict
    assert SalesOrder.objects.count() == 1


def test_sales_order_edit_keeps_units_linked_to_kept_lines(cast):
    so = SalesOrderFactory(customer=cast.customer_a)
    line = SalesOrderLineFactory(order=so, quantity=1)
    unit = UnitFactory(customer=cast.customer_a, so_line=line)
    so = SalesOrder.objects.get(pk=so.pk)
    services.sales_order_save(user=cast.manager, instance=so, lines=[
        {"id": line.pk, "product_model": line.product_model, "quantity": 1, "serial_numbers": ""},
        {"product_model": line.product_model, "quantity": 5, "serial_numbers": ""},
    ])
    unit.refresh_from_db()
    assert unit.so_line_id == line.pk
    assert list(so.lines.values_list("line_no", "quantity")) == [(1, 1), (2, 5)]


def test_contract_save_refuses_units_of_another_customer(cast):
    mine = UnitFactory(customer=cast.customer_a)
    theirs = UnitFactory(customer=cast.customer_b, serial_number="THEIRS1")
    contract = ServiceContract(customer=cast.customer_a, title="t", start_date=dt.date(2026, 1, 1),
                               end_date=dt.date(2026, 12, 31), price=1)
    with pytest.raises(ValidationError) as exc:
        services.contract_save(user=cast.manager, instance=contract, units=[mine, theirs])
    assert "THEIRS1" in str(exc.value)
    assert not ServiceContract.objects.exists()
    contract = ServiceContract(customer=cast.customer_a, title="t", start_date=dt.date(2026, 1, 1),
                               end_date=dt.date(2026, 12, 31), price=1)
    services.contract_save(user=cast.manager, instance=contract, units=[mine])
    assert list(contract.units.all()) == [mine]


def test_product_model_warranty_change_rederives_units(cast):
    unit = UnitFactory(customer=cast.customer_a, ship_date=dt.date(2025, 1, 15))
    model = unit.product_model
    model.warranty_months = 36
    services.product_model_save(user=cast.manager, instance=model)
    unit.refresh_from_db()
    assert unit.warranty_end == dt.date(2028, 1, 14)
