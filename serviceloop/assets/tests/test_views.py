import datetime as dt

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from serviceloop.assets.models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit
from serviceloop.core.timeline import events_for
from serviceloop.customers.tests.factories import SiteFactory

from .factories import (
    ProductModelFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    ServiceContractFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_a(cast):
    return UnitFactory(serial_number="SNA0001", customer=cast.customer_a)


@pytest.fixture
def unit_b(cast):
    return UnitFactory(serial_number="SNB0001", customer=cast.customer_b)


def unit_post(unit=None, **changes):
    data = {
        "serial_number": "sn-new-1", "product_model": ProductModelFactory(code="PM-X").pk, "customer": "",
        "site": "", "so_line": "", "status": "in_service", "ship_date": "2025-03-01", "install_date": "",
        "acceptance_date": "", "note": "",
    }
    if unit is not None:
        data.update({
            "serial_number": unit.serial_number, "product_model": unit.product_model_id,
            "customer": unit.customer_id or "", "site": unit.site_id or "", "so_line": unit.so_line_id or "",
            "status": unit.status, "ship_date": unit.ship_date or "", "version": unit.version,
        })
    data.update(changes)
    return data


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("owner", 200), ("colleague", 200), ("desk", 200), ("manager", 200), ("east_staff", 200),
    ("outsider", 404), ("south_staff", 404), ("nobody", 404),
])
def test_unit_service_file_access(client, cast, unit_a, who, status):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("assets:unit_detail", args=[unit_a.pk])).status_code == status


def test_branch_staff_sees_own_region_only(client, cast, unit_a, unit_b):
    client.force_login(cast.east_staff)
    page = client.get(reverse("assets:unit_list")).content.decode()
    assert "SNA0001" in page and "SNB0001" not in page
    assert client.get(reverse("assets:unit_detail", args=[unit_b.pk])).status_code == 404
    assert client.get(reverse("assets:unit_edit", args=[unit_b.pk])).status_code == 404


def test_portal_customer_may_not_edit_own_unit(client, cast, unit_a):
    client.force_login(cast.owner)
    assert client.get(reverse("assets:unit_edit", args=[unit_a.pk])).status_code == 403
    r = client.post(reverse("assets:unit_edit", args=[unit_a.pk]), unit_post(unit_a, note="hack"))
    assert r.status_code == 403
    unit_a.refresh_from_db()
    assert unit_a.note == ""
    assert client.get(reverse("assets:unit_create")).status_code == 403
    assert client.get(reverse("assets:unit_delete", args=[unit_a.pk])).status_code == 403


def test_nobody_gets_403_on_create_and_404_on_records(client, cast, unit_a):
    client.force_login(cast.nobody)
    assert client.get(reverse("assets:unit_create")).status_code == 403
    assert client.get(reverse("assets:so_create")).status_code == 403
    assert client.get(reverse("assets:unit_edit", args=[unit_a.pk])).status_code == 404
    assert client.get(reverse("assets:unit_list")).status_code == 403


def test_outsider_cannot_edit_other_customers_unit(client, cast, unit_a):
    client.force_login(cast.outsider)
    assert client.post(reverse("assets:unit_delete", args=[unit_a.pk])).status_code == 404
    assert Unit.objects.filter(pk=unit_a.pk).exists()


def test_anonymous_is_sent_to_login(client, unit_a):
    r = client.get(reverse("assets:unit_detail", args=[unit_a.pk]))
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


# --- the service file page ----------------------------------------------------------------------

def test_service_file_shows_unit_warranty_contracts_qr_and_panels(client, cast):
    site = SiteFactory(customer=cast.customer_a, name="二号车间")
    so = SalesOrderFactory(customer=cast.customer_a, number="SO-2501-0001")
    line = SalesOrderLineFactory(order=so)
    unit = UnitFactory(serial_number="SNFILE1", customer=cast.customer_a, site=site, so_line=line,
                       ship_date=dt.date(2020, 1, 1))
    contract = ServiceContractFactory(customer=cast.customer_a, number="SC-FILE-1",
                                      start_date=dt.date(2020, 1, 1), end_date=dt.date(2099, 1, 1))
    contract.units.add(unit)
    client.force_login(cast.manager)
    r = client.get(reverse("assets:unit_detail", args=[unit.pk]))
    page = r.content.decode()
    assert r.context["verdict"].state == "contract"
    assert r.context["verdict"].reason in page
    assert 'data-testid="warranty-state"' in page
    for text in ("甲公司", "二号车间", "SO-2501-0001", "SC-FILE-1", 'data-testid="timeline"',
                 'data-testid="attachments"', 'data-testid="history"'):
        assert text in page
    for name in ("unit_qr", "unit_edit", "unit_delete", "unit_print", "unit_label"):
        assert reverse(f"assets:{name}", args=[unit.pk]) in page


def test_service_file_hides_edit_and_delete_from_customer(client, cast, unit_a):
    client.force_login(cast.owner)
    page = client.get(reverse("assets:unit_detail", args=[unit_a.pk])).content.decode()
    assert reverse("assets:unit_edit", args=[unit_a.pk]) not in page
    assert reverse("assets:unit_delete", args=[unit_a.pk]) not in page
    assert reverse("assets:unit_print", args=[unit_a.pk]) in page


def test_so_detail_shows_lines_and_units(client, cast):
    so = SalesOrderFactory(customer=cast.customer_a, number="SO-DET-1")
    line = SalesOrderLineFactory(order=so, quantity=2, serial_numbers="SND1\nSND2",
                                 product_model=ProductModelFactory(code="SOD-PM"))
    UnitFactory(serial_number="SND1", customer=cast.customer_a, so_line=line)
    client.force_login(cast.owner)
    page = client.get(reverse("assets:so_detail", args=[so.pk])).content.decode()
    assert "SOD-PM" in page and "SND1, SND2" in page
    assert reverse("assets:unit_detail", args=[Unit.objects.get(serial_number="SND1").pk]) in page


@pytest.mark.parametrize("start, end, state", [
    (dt.date(2000, 1, 1), dt.date(2099, 1, 1), "in force today"),
    (dt.date(2000, 1, 1), dt.date(2001, 1, 1), "expired"),
    (dt.date(2098, 1, 1), dt.date(2099, 1, 1), "not yet started"),
])
def test_contract_detail_shows_period_state_coverage_and_units(client, cast, unit_a, start, end, state):
    from django.utils.translation import gettext

    contract = ServiceContractFactory(customer=cast.customer_a, start_date=start, end_date=end)
    contract.units.add(unit_a)
    client.force_login(cast.colleague)
    r = client.get(reverse("assets:contract_detail", args=[contract.pk]))
    page = r.content.decode()
    assert r.context["period_state"] == gettext(state)
    assert "SNA0001" in page
    assert "、".join(contract.coverage_labels()) in page


def test_product_model_detail_caps_unit_count(client, cast, monkeypatch):
    from serviceloop.assets import views

    model = ProductModelFactory(code="CAP-1", warranty_months=18)
    for _ in range(3):
        UnitFactory(product_model=model, customer=cast.customer_a)
    client.force_login(cast.desk)
    r = client.get(reverse("assets:model_detail", args=[model.pk]))
    assert r.context["unit_count"] == "3"
    assert 'data-testid="warranty-months">18<' in r.content.decode()
    monkeypatch.setattr(views, "UNIT_COUNT_CAP", 2)
    r = client.get(reverse("assets:model_detail", args=[model.pk]))
    assert r.context["unit_count"] == "2+"


# --- product models -------------------------------------------------------------------------------

def test_product_model_create_edit_delete(client, cast):
    client.force_login(cast.manager)
    data = {"code": " rf-900 ", "name": "回流焊炉", "service_class": "equipment", "warranty_months": 24,
            "description": "", "active": "on"}
    r = client.post(reverse("assets:model_create"), data)
    model = ProductModel.objects.get(code="RF-900")
    assert r.status_code == 302 and r["Location"] == model.get_absolute_url()
    r = client.post(reverse("assets:model_edit", args=[model.pk]), {**data, "name": "回流焊炉 二代",
                                                                     "version": model.version})
    assert r.status_code == 302
    model.refresh_from_db()
    assert model.name == "回流焊炉 二代" and model.version == 2
    assert client.get(reverse("assets:model_delete", args=[model.pk])).status_code == 200
    r = client.post(reverse("assets:model_delete", args=[model.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("assets:model_list")
    assert not ProductModel.objects.filter(pk=model.pk).exists()


def test_product_model_in_use_cannot_be_deleted(client, cast, unit_a):
    client.force_login(cast.manager)
    r = client.post(reverse("assets:model_delete", args=[unit_a.product_model_id]), follow=True)
    assert ProductModel.objects.filter(pk=unit_a.product_model_id).exists()
    assert r.status_code == 200


def test_product_model_invalid_input_is_400(client, cast):
    ProductModelFactory(code="DUP")
    client.force_login(cast.manager)
    r = client.post(reverse("assets:model_create"), {"code": "DUP", "name": "", "service_class": "x",
                                                     "warranty_months": 999})
    assert r.status_code == 400
    form = r.context["form"]
    assert {"code", "name", "service_class", "warranty_months"} <= set(form.errors)
    assert ProductModel.objects.count() == 1


def test_warranty_months_change_updates_units(client, cast, unit_a):
    model = unit_a.product_model
    client.force_login(cast.manager)
    client.post(reverse("assets:model_edit", args=[model.pk]), {
        "code": model.code, "name": model.name, "service_class": model.service_class, "warranty_months": 24,
        "active": "on", "version": model.version})
    unit_a.refresh_from_db()
    assert unit_a.warranty_end == dt.date(2027, 1, 14)


# --- units ----------------------------------------------------------------------------------------

def test_unit_create_edit_delete(client, cast):
    site = SiteFactory(customer=cast.customer_a)
    client.force_login(cast.manager)
    r = client.post(reverse("assets:unit_create"), unit_post(customer=cast.customer_a.pk, site=site.pk,
                                                            acceptance_date="2025-04-01"))
    unit = Unit.objects.get(serial_number="SN-NEW-1")
    assert r.status_code == 302 and r["Location"] == unit.get_absolute_url()
    assert unit.warranty_basis == "acceptance" and unit.warranty_start == dt.date(2025, 4, 1)
    assert [e.verb for e in events_for(unit)] == ["created"]
    r = client.post(reverse("assets:unit_edit", args=[unit.pk]), unit_post(unit, note="移至二号线",
                                                                           acceptance_date="2025-04-01"))
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.note == "移至二号线" and unit.version == 2
    r = client.post(reverse("assets:unit_delete", args=[unit.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("assets:unit_list")
    assert not Unit.objects.filter(pk=unit.pk).exists()


def test_branch_staff_creates_unit_for_own_region_only(client, cast):
    client.force_login(cast.east_staff)
    r = client.get(reverse("assets:unit_create"))
    choices = list(r.context["form"].fields["customer"].queryset)
    assert choices == [cast.customer_a]
    r = client.post(reverse("assets:unit_create"), unit_post(customer=cast.customer_b.pk))
    assert r.status_code == 400
    assert "customer" in r.context["form"].errors
    assert not Unit.objects.filter(serial_number="SN-NEW-1").exists()
    r = client.post(reverse("assets:unit_create"), unit_post(customer=cast.customer_a.pk))
    assert r.status_code == 302


def test_unit_stale_edit_is_refused(client, cast, unit_a):
    client.force_login(cast.manager)
    first = unit_post(unit_a, note="first")
    second = unit_post(unit_a, note="second")
    assert client.post(reverse("assets:unit_edit", args=[unit_a.pk]), first).status_code == 302
    r = client.post(reverse("assets:unit_edit", args=[unit_a.pk]), second)
    assert r.status_code == 400
    assert cast.manager.display_name in " ".join(r.context["form"].non_field_errors())
    unit_a.refresh_from_db()
    assert unit_a.note == "first"


def test_unit_invalid_input_is_400_with_messages_and_nothing_written(client, cast):
    other_site = SiteFactory(customer=cast.customer_b)
    client.force_login(cast.manager)
    r = client.post(reverse("assets:unit_create"), unit_post(
        customer=cast.customer_a.pk, install_date="2025-02-01", ship_date="2025-03-01", site=other_site.pk))
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert "install_date" in errors or "site" in errors
    assert "errorlist" in r.content.decode()
    assert not Unit.objects.exists()
    r = client.post(reverse("assets:unit_create"), unit_post(customer=cast.customer_a.pk,
                                                             install_date="2025-02-01", ship_date="2025-03-01"))
    assert r.status_code == 400
    assert "install_date" in r.context["form"].errors
    assert not Unit.objects.exists()


def test_unit_duplicate_serial_is_refused(client, cast, unit_a):
    client.force_login(cast.manager)
    r = client.post(reverse("assets:unit_create"), unit_post(serial_number="sna0001", customer=cast.customer_a.pk))
    assert r.status_code == 400
    assert Unit.objects.count() == 1


def test_unit_form_customer_choice_reloads_sites(client, cast):
    site = SiteFactory(customer=cast.customer_a, name="三号车间")
    SiteFactory(customer=cast.customer_b, name="乙现场")
    client.force_login(cast.manager)
    r = client.get(reverse("assets:unit_create") + f"?customer={cast.customer_a.pk}")
    assert list(r.context["form"].fields["site"].queryset) == [site]


# --- sales orders ---------------------------------------------------------------------------------

def so_post(order=None, lines=(), **changes):
    """What the rendered form posts: existing lines (with their id) first, counted as initial forms."""
    initial = sum(1 for line in lines if line.get("id"))
    data = {"number": "", "customer": "", "order_date": "2025-05-01", "note": "",
            "lines-TOTAL_FORMS": str(max(3, len(lines))), "lines-INITIAL_FORMS": str(initial),
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "50"}
    if order is not None:
        data.update({"number": order.number, "customer": order.customer_id, "order_date": order.order_date,
                     "version": order.version})
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    data.update(changes)
    return data


def test_sales_order_create_with_lines_edit_delete(client, cast):
    model = ProductModelFactory(code="SO-PM")
    client.force_login(cast.manager)
    r = client.post(reverse("assets:so_create"), so_post(customer=cast.customer_a.pk, lines=[
        {"product_model": model.pk, "quantity": 2, "serial_numbers": "a1, a2"},
        {"product_model": model.pk, "quantity": 1, "serial_numbers": ""},
    ]))
    so = SalesOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == so.get_absolute_url()
    assert so.number.startswith("SO-")
    lines = list(so.lines.order_by("line_no"))
    assert [(ln.line_no, ln.quantity, ln.serial_list()) for ln in lines] == [(1, 2, ["A1", "A2"]), (2, 1, [])]
    # the edit form shows the existing lines
    r = client.get(reverse("assets:so_edit", args=[so.pk]))
    assert r.context["form"].lines.forms[0].initial["quantity"] == 2
    r = client.post(reverse("assets:so_edit", args=[so.pk]), so_post(so, note="改", lines=[
        {"product_model": model.pk, "quantity": 3, "serial_numbers": ""},
        {"product_model": model.pk, "quantity": 1, "serial_numbers": "", "DELETE": "on"},
    ]))
    assert r.status_code == 302
    so.refresh_from_db()
    assert so.note == "改"
    assert list(so.lines.values_list("quantity", flat=True)) == [3]
    r = client.post(reverse("assets:so_delete", args=[so.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("assets:so_list")
    assert not SalesOrder.objects.exists() and not SalesOrderLine.objects.exists()


def test_sales_order_bad_lines_are_400_and_nothing_written(client, cast):
    model = ProductModelFactory(code="SO-PM")
    client.force_login(cast.manager)
    # serial count does not match the quantity: refused by the service, whole SO rolled back
    r = client.post(reverse("assets:so_create"), so_post(customer=cast.customer_a.pk, lines=[
        {"product_model": model.pk, "quantity": 3, "serial_numbers": "a1, a2"},
    ]))
    assert r.status_code == 400
    expected = gettext("Line %(n)s: %(s)s serial numbers for a quantity of %(q)s.") % {"n": 1, "s": 2, "q": 3}
    assert expected in " ".join(r.context["form"].non_field_errors())
    assert r.context["object"] is None
    assert not SalesOrder.objects.exists()
    # no lines at all, and a bad quantity
    r = client.post(reverse("assets:so_create"), so_post(customer=cast.customer_a.pk))
    assert r.status_code == 400
    assert r.context["form"].lines.non_form_errors()
    r = client.post(reverse("assets:so_create"), so_post(customer=cast.customer_a.pk, lines=[
        {"product_model": model.pk, "quantity": 0},
    ]))
    assert r.status_code == 400
    assert "quantity" in r.context["form"].lines.forms[0].errors
    assert not SalesOrder.objects.exists()


def test_sales_order_stale_edit_is_refused(client, cast):
    so = SalesOrderFactory(customer=cast.customer_a)
    line = {"product_model": ProductModelFactory().pk, "quantity": 1}
    client.force_login(cast.manager)
    assert client.post(reverse("assets:so_edit", args=[so.pk]), so_post(so, note="one", lines=[line])).status_code == 302
    r = client.post(reverse("assets:so_edit", args=[so.pk]), so_post(so, note="two", lines=[line]))
    assert r.status_code == 400
    so.refresh_from_db()
    assert so.note == "one"


def test_branch_staff_may_not_create_sales_orders(client, cast):
    client.force_login(cast.east_staff)
    assert client.get(reverse("assets:so_create")).status_code == 403


# --- service contracts ----------------------------------------------------------------------------

def contract_post(contract=None, **changes):
    data = {"number": "", "customer": "", "title": "年度维保", "start_date": "2026-01-01", "end_date": "2026-12-31",
            "sla_level": "standard", "price": "12000.00", "covers_parts": "on", "covers_labour": "on", "note": ""}
    if contract is not None:
        data.update({"number": contract.number, "customer": contract.customer_id, "version": contract.version})
    data.update(changes)
    return data


def test_contract_create_with_units_edit_delete(client, cast, unit_a):
    client.force_login(cast.manager)
    r = client.get(reverse("assets:contract_create") + f"?customer={cast.customer_a.pk}")
    assert list(r.context["form"].fields["units"].queryset) == [unit_a]
    r = client.post(reverse("assets:contract_create"), contract_post(customer=cast.customer_a.pk, units=[unit_a.pk]))
    contract = ServiceContract.objects.get()
    assert r.status_code == 302 and r["Location"] == contract.get_absolute_url()
    assert list(contract.units.all()) == [unit_a]
    assert contract.number.startswith("SC-")
    r = client.post(reverse("assets:contract_edit", args=[contract.pk]), contract_post(contract, title="新标题"))
    assert r.status_code == 302
    contract.refresh_from_db()
    assert contract.title == "新标题" and not contract.units.exists()
    r = client.post(reverse("assets:contract_delete", args=[contract.pk]))
    assert r.status_code == 302
    assert not ServiceContract.objects.exists()


def test_contract_units_must_belong_to_the_customer(client, cast, unit_a, unit_b):
    client.force_login(cast.manager)
    r = client.post(reverse("assets:contract_create"), contract_post(customer=cast.customer_a.pk,
                                                                    units=[unit_a.pk, unit_b.pk]))
    assert r.status_code == 400
    assert "units" in r.context["form"].errors
    assert not ServiceContract.objects.exists()


def test_contract_invalid_period_is_400(client, cast):
    client.force_login(cast.manager)
    r = client.post(reverse("assets:contract_create"), contract_post(customer=cast.customer_a.pk,
                                                                    end_date="2025-01-01", price="-1"))
    assert r.status_code == 400
    assert {"end_date", "price"} <= set(r.context["form"].errors)
    assert not ServiceContract.objects.exists()


def test_contract_stale_edit_is_refused(client, cast):
    contract = ServiceContractFactory(customer=cast.customer_a)
    client.force_login(cast.manager)
    assert client.post(reverse("assets:contract_edit", args=[contract.pk]),
                       contract_post(contract, title="A")).status_code == 302
    r = client.post(reverse("assets:contract_edit", args=[contract.pk]), contract_post(contract, title="B"))
    assert r.status_code == 400
    contract.refresh_from_db()
    assert contract.title == "A"


# --- lists ----------------------------------------------------------------------------------------

def test_list_pages_have_create_links_and_no_import_link_until_it_exists(client, cast):
    client.force_login(cast.manager)
    for name, create in [("unit_list", "unit_create"), ("so_list", "so_create"),
                         ("contract_list", "contract_create"), ("model_list", "model_create")]:
        r = client.get(reverse(f"assets:{name}"))
        assert r.status_code == 200
        assert reverse(f"assets:{create}") in r.content.decode()
        assert r.context["import_url_name"] in (None, "imports:units", "imports:sales_orders")


def test_customer_sees_no_create_link(client, cast):
    client.force_login(cast.owner)
    r = client.get(reverse("assets:unit_list"))
    assert reverse("assets:unit_create") not in r.content.decode()


@pytest.mark.parametrize("name", ["unit_list", "so_list", "contract_list", "model_list"])
def test_list_pages_query_count_does_not_grow_with_rows(client, cast, name, django_assert_max_num_queries):
    site = SiteFactory(customer=cast.customer_a)
    for i in range(30):
        model = ProductModelFactory(code=f"QC-{i}")
        so = SalesOrderFactory(customer=cast.customer_a if i % 2 else cast.customer_b)
        UnitFactory(product_model=model, customer=so.customer, site=site if i % 2 else None)
        ServiceContractFactory(customer=so.customer)
    client.force_login(cast.manager)
    client.get(reverse(f"assets:{name}"))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(14):
        r = client.get(reverse(f"assets:{name}") + "?sort=-id" * (name == "unit_list"))
    assert r.status_code == 200
    assert len(r.context["page"].rows()) == 25


def test_sales_order_edit_through_the_form_keeps_units_linked(client, cast):
    so = SalesOrderFactory(customer=cast.customer_a)
    line = SalesOrderLineFactory(order=so, quantity=1, serial_numbers="KEEP1")
    unit = UnitFactory(serial_number="KEEP1", customer=cast.customer_a, so_line=line)
    client.force_login(cast.manager)
    form = client.get(reverse("assets:so_edit", args=[so.pk])).context["form"]
    assert form.lines.forms[0].initial["id"] == line.pk
    r = client.post(reverse("assets:so_edit", args=[so.pk]), so_post(so, lines=[
        {"id": line.pk, "product_model": line.product_model_id, "quantity": 1, "serial_numbers": "KEEP1"},
        {"product_model": line.product_model_id, "quantity": 2},
    ]))
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.so_line_id == line.pk
    assert so.lines.count() == 2
