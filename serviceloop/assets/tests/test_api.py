"""Product models, sales orders, units and contracts through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from serviceloop.assets.models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit
from serviceloop.core.models import TimelineEvent
from tests.api.world import build_world, client_for


@pytest.fixture
def world(cast):
    return build_world(cast)


def _url(endpoint, obj=None, action=""):
    base = f"/api/v1/{endpoint}/" if obj is None else f"/api/v1/{endpoint}/{obj.pk}/"
    return f"{base}{action}/" if action else base


# --- product models ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_desk_may_not_write_product_models(world):
    client = client_for(world.cast.desk)
    before = ProductModel.objects.count()
    assert client.post(_url("product-models"), {"code": "X", "name": "x", "service_class": "equipment"},
                       format="json").status_code == 403
    assert client.patch(_url("product-models", world.product_model), {"name": "x"},
                        format="json").status_code == 403
    assert ProductModel.objects.count() == before


@pytest.mark.django_db
def test_manager_creates_and_updates_a_product_model(world):
    client = client_for(world.cast.manager)
    r = client.post(_url("product-models"), {"code": "aoi-3d", "name": "3D AOI", "service_class": "equipment",
                                             "warranty_months": 24}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["code"] == "AOI-3D"
    model = ProductModel.objects.get(pk=r.json()["id"])
    r = client.patch(_url("product-models", model), {"warranty_months": 18, "version": 1}, format="json")
    assert r.status_code == 200
    assert client.patch(_url("product-models", model), {"warranty_months": 6, "version": 1},
                        format="json").status_code == 409
    model.refresh_from_db()
    assert model.warranty_months == 18


@pytest.mark.django_db
def test_changing_warranty_months_rederives_the_units_warranty(world):
    client = client_for(world.cast.manager)
    r = client.patch(_url("product-models", world.product_model), {"warranty_months": 24}, format="json")
    assert r.status_code == 200
    world.a.unit.refresh_from_db()
    assert world.a.unit.warranty_end == dt.date(2027, 2, 28)


@pytest.mark.django_db
def test_invalid_product_model_writes_nothing(world):
    client = client_for(world.cast.manager)
    before = ProductModel.objects.count()
    r = client.post(_url("product-models"), {"code": "", "name": "x", "service_class": "rocket",
                                             "warranty_months": 999}, format="json")
    assert r.status_code == 400
    assert {"code", "service_class", "warranty_months"} <= set(r.json())
    assert ProductModel.objects.count() == before


@pytest.mark.django_db
def test_portal_user_reads_but_may_not_change_product_models(world):
    client = client_for(world.cast.owner)
    assert client.get(_url("product-models", world.product_model)).status_code == 200
    assert client.patch(_url("product-models", world.product_model), {"name": "x"},
                        format="json").status_code == 403


# --- sales orders ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sales_order_reads_with_its_lines(world):
    body = client_for(world.cast.owner).get(_url("sales-orders", world.a.order)).json()
    assert body["number"] == "SO-A-001"
    assert body["lines"] == [{"id": world.a.line.pk, "line_no": 1, "product_model": world.product_model.pk,
                              "quantity": 1, "serial_numbers": "SN-A-1"}]


@pytest.mark.django_db
def test_desk_creates_a_sales_order_with_lines(world):
    client = client_for(world.cast.desk)
    payload = {
        "customer": world.a.customer.pk,
        "order_date": "2026-03-02",
        "lines": [
            {"product_model": world.product_model.pk, "quantity": 2, "serial_numbers": "sn-x1, sn-x2"},
            {"product_model": world.product_model.pk, "quantity": 5},
        ],
    }
    r = client.post(_url("sales-orders"), payload, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("SO-")  # numbered by the service
    order = SalesOrder.objects.get(pk=body["id"])
    assert [(line.line_no, line.quantity, line.serial_list()) for line in order.lines.all()] == [
        (1, 2, ["SN-X1", "SN-X2"]), (2, 5, [])]
    assert [line["serial_numbers"] for line in body["lines"]] == ["SN-X1\nSN-X2", ""]
    assert TimelineEvent.objects.filter(object_id=order.pk, verb="created", content_type__model="salesorder").exists()


@pytest.mark.django_db
def test_update_replaces_lines_only_when_given(world):
    client = client_for(world.cast.desk)
    r = client.patch(_url("sales-orders", world.a.order), {"note": "加急"}, format="json")
    assert r.status_code == 200
    assert len(r.json()["lines"]) == 1
    assert r.json()["number"] == "SO-A-001"
    r = client.patch(_url("sales-orders", world.a.order), {
        "number": "",  # empty keeps the number
        "version": r.json()["version"],
        "lines": [{"product_model": world.product_model.pk, "quantity": 3}],
    }, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["number"] == "SO-A-001"
    assert [(line["line_no"], line["quantity"]) for line in r.json()["lines"]] == [(1, 3)]
    assert SalesOrderLine.objects.filter(order=world.a.order).count() == 1


@pytest.mark.django_db
def test_invalid_sales_order_writes_nothing(world):
    client = client_for(world.cast.desk)
    orders, lines = SalesOrder.objects.count(), SalesOrderLine.objects.count()
    # the service refuses serial numbers that do not match the quantity (after saving the order)
    r = client.post(_url("sales-orders"), {
        "customer": world.a.customer.pk, "order_date": "2026-03-02",
        "lines": [{"product_model": world.product_model.pk, "quantity": 3, "serial_numbers": "A1,A2"}],
    }, format="json")
    assert r.status_code == 400
    assert "lines" in r.json()
    r = client.post(_url("sales-orders"), {
        "customer": world.a.customer.pk, "order_date": "02/03/2026",
        "lines": [{"product_model": world.product_model.pk, "quantity": 0}],
    }, format="json")
    assert r.status_code == 400
    assert {"order_date", "lines"} <= set(r.json())
    assert r.json()["lines"]["0"]["quantity"]  # errors of the first line
    r = client.post(_url("sales-orders"), {"customer": world.a.customer.pk, "order_date": "9999-01-01"},
                    format="json")
    assert r.status_code == 400
    assert "order_date" in r.json()
    assert (SalesOrder.objects.count(), SalesOrderLine.objects.count()) == (orders, lines)


@pytest.mark.django_db
def test_sales_order_refusals(world):
    assert client_for(world.cast.owner).patch(_url("sales-orders", world.a.order), {"note": "x"},
                                              format="json").status_code == 403
    assert client_for(world.cast.outsider).patch(_url("sales-orders", world.a.order), {"note": "x"},
                                                 format="json").status_code == 404
    # branch staff see their region's orders but their role does not write them
    assert client_for(world.cast.east_staff).patch(_url("sales-orders", world.a.order), {"note": "x"},
                                                   format="json").status_code == 403
    desk = client_for(world.cast.desk)
    assert desk.patch(_url("sales-orders", world.a.order), {"note": "1"}, format="json").status_code == 200
    assert desk.patch(_url("sales-orders", world.a.order), {"note": "2", "version": 1},
                      format="json").status_code == 409
    world.a.order.refresh_from_db()
    assert world.a.order.note == "1"


# --- units -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unit_reads_include_the_derived_warranty(world):
    body = client_for(world.cast.owner).get(_url("units", world.a.unit)).json()
    assert body["serial_number"] == "SN-A-1"
    assert body["warranty_basis"] == "ship"
    assert body["warranty_start"] == "2025-03-01"
    assert body["warranty_end"] == "2026-02-28"
    assert body["sales_order_number"] == "SO-A-001"
    assert "qr_token" not in body


@pytest.mark.django_db
def test_desk_creates_a_unit_through_the_service(world):
    client = client_for(world.cast.desk)
    r = client.post(_url("units"), {
        "serial_number": " sn-new-7 ", "product_model": world.product_model.pk, "site": world.a.site.pk,
        "ship_date": "2026-01-10", "install_date": "2026-01-20",
        # warranty fields are derived, whatever the client sends
        "warranty_end": "2099-01-01",
    }, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["serial_number"] == "SN-NEW-7"
    assert body["customer"] == world.a.customer.pk  # taken from the site
    assert (body["warranty_basis"], body["warranty_end"]) == ("install", "2027-01-19")
    unit = Unit.objects.get(pk=body["id"])
    assert TimelineEvent.objects.filter(object_id=unit.pk, verb="created", content_type__model="unit").exists()


@pytest.mark.django_db
def test_unit_update_rederives_warranty_and_checks_the_version(world):
    client = client_for(world.cast.desk)
    r = client.patch(_url("units", world.a.unit), {"acceptance_date": "2025-06-30", "version": 1}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["warranty_basis"], r.json()["warranty_end"]) == ("acceptance", "2026-06-29")
    r = client.patch(_url("units", world.a.unit), {"note": "x", "version": 1}, format="json")
    assert r.status_code == 409


@pytest.mark.django_db
def test_invalid_unit_writes_nothing(world):
    client = client_for(world.cast.desk)
    before = Unit.objects.count()
    cases = [
        ({"serial_number": "SN-Z", "product_model": world.product_model.pk, "customer": world.a.customer.pk,
          "ship_date": "2026-02-01", "install_date": "2026-01-01"}, "install_date"),
        ({"serial_number": "SN-Z", "product_model": world.product_model.pk, "customer": world.a.customer.pk,
          "site": world.b.site.pk}, "site"),
        ({"serial_number": "SN-Z", "product_model": world.product_model.pk, "customer": world.b.customer.pk,
          "so_line": world.a.line.pk}, "so_line"),
        ({"serial_number": "sn-a-1", "product_model": world.product_model.pk}, "serial_number"),
        ({"serial_number": "SN-Z", "product_model": world.product_model.pk, "ship_date": "9990-06-01"},
         "ship_date"),
        ({"serial_number": "SN-Z", "product_model": 999999}, "product_model"),
    ]
    for payload, field in cases:
        r = client.post(_url("units"), payload, format="json")
        assert r.status_code == 400, (payload, r.content)
        assert field in r.json(), (payload, r.json())
    assert Unit.objects.count() == before


@pytest.mark.django_db
def test_branch_staff_writes_units_only_in_its_region(world):
    client = client_for(world.cast.east_staff)
    before = Unit.objects.count()
    base = {"serial_number": "SN-E-9", "product_model": world.product_model.pk}
    # a customer of another region cannot even be pointed at
    r = client.post(_url("units"), {**base, "customer": world.b.customer.pk}, format="json")
    assert r.status_code == 400
    assert "customer" in r.json()
    # a unit without a customer would be invisible to its own writer
    r = client.post(_url("units"), base, format="json")
    assert r.status_code == 400
    assert "customer" in r.json()
    assert Unit.objects.count() == before
    r = client.post(_url("units"), {**base, "customer": world.a.customer.pk}, format="json")
    assert r.status_code == 201


@pytest.mark.django_db
def test_unit_refusals(world):
    assert client_for(world.cast.colleague).patch(_url("units", world.a.unit), {"note": "x"},
                                                  format="json").status_code == 403
    assert client_for(world.cast.south_staff).patch(_url("units", world.a.unit), {"note": "x"},
                                                    format="json").status_code == 404
    world.a.unit.refresh_from_db()
    assert world.a.unit.note == ""


@pytest.mark.django_db
def test_warranty_action(world):
    client = client_for(world.cast.owner)
    r = client.get(_url("units", world.a.unit, "warranty"), {"on": "2025-06-01"})
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "in_warranty"
    assert body["warranty_end"] == "2026-02-28"
    assert body["label"] and body["reason"]
    # after the warranty the contract covers it (the world's contracts run through 2026)
    body = client.get(_url("units", world.a.unit, "warranty"), {"on": "2026-05-01"}).json()
    assert (body["state"], body["contract"], body["contracts"]) == ("contract", "SC-A-001", ["SC-A-001"])
    body = client.get(_url("units", world.a.unit, "warranty"), {"on": "2027-05-01"}).json()
    assert (body["state"], body["contract"]) == ("chargeable", None)
    # today when no date is given
    assert client.get(_url("units", world.a.unit, "warranty")).json()["on"] == timezone.localdate().isoformat()


@pytest.mark.django_db
def test_warranty_action_rejects_bad_dates(world):
    client = client_for(world.cast.desk)
    for bad in ("2025-13-01", "tomorrow", "0001-01-01"):
        r = client.get(_url("units", world.a.unit, "warranty"), {"on": bad})
        assert r.status_code == 400
        assert "on" in r.json()


# --- service contracts ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_contract_reads_its_units_as_ids(world):
    body = client_for(world.cast.east_staff).get(_url("contracts", world.a.contract)).json()
    assert body["units"] == [world.a.unit.pk]
    assert body["number"] == "SC-A-001"


@pytest.mark.django_db
def test_desk_creates_a_contract_with_units(world):
    client = client_for(world.cast.desk)
    r = client.post(_url("contracts"), {
        "customer": world.a.customer.pk, "title": "2027 年度维保", "start_date": "2027-01-01",
        "end_date": "2027-12-31", "price": "88000.00", "sla_level": "24x7", "units": [world.a.unit.pk],
    }, format="json")
    assert r.status_code == 201, r.content
    contract = ServiceContract.objects.get(pk=r.json()["id"])
    assert contract.number.startswith("SC-")
    assert list(contract.units.all()) == [world.a.unit]
    assert TimelineEvent.objects.filter(object_id=contract.pk, verb="created",
                                        content_type__model="servicecontract").exists()


@pytest.mark.django_db
def test_contract_units_kept_unless_given(world):
    client = client_for(world.cast.desk)
    r = client.patch(_url("contracts", world.a.contract), {"title": "续签"}, format="json")
    assert r.status_code == 200
    assert r.json()["units"] == [world.a.unit.pk]
    r = client.patch(_url("contracts", world.a.contract), {"units": []}, format="json")
    assert r.status_code == 200
    assert r.json()["units"] == []
    assert not world.a.contract.units.exists()


@pytest.mark.django_db
def test_invalid_contract_writes_nothing(world):
    client = client_for(world.cast.desk)
    before = ServiceContract.objects.count()
    base = {"customer": world.a.customer.pk, "title": "t", "start_date": "2027-01-01", "end_date": "2027-12-31",
            "price": "100.00"}
    cases = [
        ({**base, "units": [world.b.unit.pk]}, "units"),  # another customer's unit (the service refuses)
        ({**base, "end_date": "2026-01-01"}, "end_date"),
        ({**base, "price": "-1"}, "price"),
        ({**base, "units": ["x"]}, "units"),
        ({**base, "number": world.b.contract.number}, "number"),
    ]
    for payload, field in cases:
        r = client.post(_url("contracts"), payload, format="json")
        assert r.status_code == 400, (payload, r.content)
        assert field in r.json(), (payload, r.json())
    assert ServiceContract.objects.count() == before


@pytest.mark.django_db
def test_contract_refusals(world):
    assert client_for(world.cast.owner).patch(_url("contracts", world.a.contract), {"title": "x"},
                                              format="json").status_code == 403
    assert client_for(world.cast.outsider).patch(_url("contracts", world.a.contract), {"title": "x"},
                                                 format="json").status_code == 404
    desk = client_for(world.cast.desk)
    assert desk.patch(_url("contracts", world.a.contract), {"title": "1"}, format="json").status_code == 200
    assert desk.patch(_url("contracts", world.a.contract), {"title": "2", "version": 1},
                      format="json").status_code == 409
    world.a.contract.refresh_from_db()
    assert world.a.contract.title == "1"
