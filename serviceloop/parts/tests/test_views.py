"""The spare parts pages: access (roles, branches, one's own van), the step pages with bad input, the
work order panel, lists with bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from serviceloop.core.tests.xlsx import error_rows, post_import
from serviceloop.parts import services
from serviceloop.parts.choices import LocationKind, PartCategory, RequisitionStatus, Tracking
from serviceloop.parts.models import Part, Requisition, StockBalance, StockMove

from .factories import approved, issued, job, location, part, received, requested, stock

pytestmark = pytest.mark.django_db
RS = RequisitionStatus


@pytest.fixture
def wh(crew):
    return location(code="HQ-WH", branch=crew.hq, name="总部仓")


@pytest.fixture
def stocked(crew, wh):
    key = part(number="KEY-1", name="主控板", tracking=Tracking.SERIAL, category=PartCategory.KEY)
    common = part(number="COM-1", name="保险丝")
    stock(actor=crew.keeper, part=key, location=wh, quantity=2, serials=["K1", "K2"])
    stock(actor=crew.keeper, part=common, location=wh, quantity=10)
    return key, common


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize("name", ["parts:part_list", "parts:stock", "parts:location_list", "parts:move_list",
                                  "parts:requisition_list", "parts:old_part_list", "parts:reorder"])
def test_staff_see_the_lists_customers_and_roleless_users_do_not(client, crew, stocked, name):
    url = reverse(name)
    assert _get(client, crew.keeper, url).status_code == 200
    assert _get(client, crew.east_eng, url).status_code == 200
    assert _get(client, crew.owner, url).status_code == 403
    assert _get(client, crew.nobody, url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_an_engineer_sees_their_own_van_not_a_colleagues(client, crew, stocked, wh):
    key, common = stocked
    mine, theirs = services.van_of(crew.east_eng), services.van_of(crew.east_helper)
    services.stock_transfer(actor=crew.keeper, part=common, from_location=wh, to_location=mine, quantity=1)
    services.stock_transfer(actor=crew.keeper, part=common, from_location=wh, to_location=theirs, quantity=2)
    assert _get(client, crew.east_eng, mine.get_absolute_url()).status_code == 200
    assert _get(client, crew.east_eng, theirs.get_absolute_url()).status_code == 404
    page = _get(client, crew.east_eng, reverse("parts:stock")).content.decode()
    assert mine.name in page and theirs.name not in page
    assert _get(client, crew.keeper, theirs.get_absolute_url()).status_code == 200


def test_branch_staff_see_their_branch_only(client, crew, stocked, wh):
    r = requested(crew, job(crew), [(stocked[1], 1)])
    assert _get(client, crew.east_staff, r.get_absolute_url()).status_code == 200
    assert _get(client, crew.south_staff, r.get_absolute_url()).status_code == 404
    assert _get(client, crew.owner, r.get_absolute_url()).status_code == 404
    assert _get(client, crew.south_staff, wh.get_absolute_url()).status_code == 404  # HQ's warehouse


def test_the_engineer_requests_parts_from_the_work_order(client, crew, stocked):
    wo = job(crew)
    url = reverse("parts:requisition_new", args=[wo.pk])
    assert _get(client, crew.south_eng, url).status_code == 404  # another branch's work order
    assert _get(client, crew.hq_eng, url).status_code == 403  # sees it, not on the job
    response = _get(client, crew.east_eng, url)
    assert response.status_code == 200 and "COM-1" in response.content.decode()
    detail = _get(client, crew.east_eng, wo.get_absolute_url()).content.decode()
    assert 'data-step="request_parts"' in detail
    bad = client.post(url, {"purpose": "", "part_1": stocked[1].pk, "quantity_1": "0"})
    assert bad.status_code == 400 and not Requisition.objects.exists()
    ok = client.post(url, {"purpose": "保险丝烧断", "part_1": stocked[1].pk, "quantity_1": "2",
                           "part_2": stocked[0].pk, "quantity_2": "1"})
    r = Requisition.objects.get()
    assert ok.status_code == 302 and ok["Location"] == r.get_absolute_url() and r.lines.count() == 2


def test_the_approver_sees_stock_everywhere_and_approves_in_part(client, crew, stocked, wh):
    key, common = stocked
    r = requested(crew, job(crew), [(key, 1), (common, 3)])
    url = reverse("parts:requisition_step", args=[r.pk, "approve"])
    assert _get(client, crew.east_eng, url).status_code == 403
    page = _get(client, crew.keeper, url)
    assert page.status_code == 200 and "总部仓" in page.content.decode()
    lines = {line.part_id: line for line in r.lines.all()}
    bad = client.post(url, {"source": wh.pk, f"qty_{lines[key.pk].pk}": "1", f"qty_{lines[common.pk].pk}": "1",
                            "version": r.version})
    assert bad.status_code == 400 and "say why" in bad.content.decode()
    assert StockBalance.objects.get(part=common, location=wh).reserved == 0
    ok = client.post(url, {"source": wh.pk, f"qty_{lines[key.pk].pk}": "1", f"qty_{lines[common.pk].pk}": "1",
                           f"reason_{lines[common.pk].pk}": "先发一个", "version": r.version})
    assert ok.status_code == 302
    r.refresh_from_db()
    assert r.status == RS.APPROVED and r.partly_approved


def test_the_whole_flow_through_the_pages(client, crew, stocked, wh):
    key, common = stocked
    wo = job(crew)
    r = approved(crew, requested(crew, wo, [(key, 1)]), wh)
    client.force_login(crew.keeper)
    assert client.post(reverse("parts:requisition_step", args=[r.pk, "issue"]), {"version": r.version}).status_code == 302
    r.refresh_from_db()
    client.force_login(crew.east_eng)
    page = client.get(r.get_absolute_url()).content.decode()
    assert 'data-step="confirm"' in page
    client.post(reverse("parts:requisition_step", args=[r.pk, "confirm"]), {"version": r.version})
    r.refresh_from_db()
    assert r.status == RS.RECEIVED
    fit = reverse("parts:requisition_step", args=[r.pk, "fit"])
    bad = client.post(fit, {"line": r.lines.get().pk, "quantity": "1", "serial": "", "version": r.version})
    assert bad.status_code == 400 and "unique ID" in bad.content.decode()
    ok = client.post(fit, {"line": r.lines.get().pk, "quantity": "1", "serial": "K1", "old_serial": "OLD-1",
                           "version": r.version})
    assert ok.status_code == 302
    detail = client.get(wo.get_absolute_url()).content.decode()
    assert 'data-testid="parts-fitted"' in detail and "KEY-1" in detail and "#K1" in detail
    old = wo.old_parts.get()
    assert _get(client, crew.keeper, reverse("parts:old_part_step", args=[old.pk, "receive"])).status_code == 200
    client.post(reverse("parts:old_part_step", args=[old.pk, "receive"]), {"serial": "OLD-1", "version": old.version})
    old.refresh_from_db()
    assert old.status == "received"
    serial = key.serials.get(serial="K1")
    life = _get(client, crew.keeper, serial.get_absolute_url()).content.decode()
    assert wo.number in life and r.number in life


def test_receive_and_reverse_pages(client, crew, wh):
    p = part(number="R-1")
    url = reverse("parts:receive")
    assert _get(client, crew.east_eng, url).status_code == 403
    client.force_login(crew.keeper)
    assert client.post(url, {"part": p.pk, "location": wh.pk, "quantity": "1.5"}).status_code == 400
    assert client.post(url, {"part": p.pk, "location": wh.pk, "quantity": "4"}).status_code == 302
    move = StockMove.objects.get()
    reverse_url = reverse("parts:move_reverse", args=[move.pk])
    assert client.post(reverse_url, {"note": "录错"}).status_code == 302
    assert StockBalance.objects.get(part=p, location=wh).on_hand == 0
    again = client.post(reverse_url, {"note": "again"})
    assert again.status_code == 400 and "already been reversed" in again.content.decode()


def test_the_stock_list_is_paginated_in_few_queries(client, crew, wh, django_assert_max_num_queries):
    for n in range(30):
        stock(actor=crew.keeper, part=part(number=f"Q-{n:03d}"), location=wh, quantity=n + 1)
    client.force_login(crew.keeper)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("parts:stock"))
    assert response.status_code == 200 and "Q-000" in response.content.decode()
    assert 'data-testid="next-page"' in response.content.decode()


def test_the_catalogue_imports_from_excel_with_row_errors(client, crew):
    from serviceloop.assets.tests.factories import ProductModelFactory

    ProductModelFactory(code="RF-8800")
    client.force_login(crew.keeper)
    header = ["part number", "name", "specification", "unit of measure", "category", "tracking", "standard cost",
              "sale price", "supplier", "lead time (working days)", "compatible product models"]
    bad = post_import(client, "parts", [header, ["tc-1", "温控模块", "", "个", "key part", "one by one (unique ID)",
                                                 "800", "abc", "", "10", "RF-8800, NOPE"]])
    assert bad.status_code == 400
    errors = error_rows(bad)
    assert {(row, col) for row, col, _m in errors} == {(2, "sale price"), (2, "compatible product models")}
    assert not Part.objects.exists()
    ok = post_import(client, "parts", [header, ["tc-1", "温控模块", "24V", "个", "key part", "one by one (unique ID)",
                                                "800", "1200.5", "苏州", "10", "RF-8800"]], follow=True)
    assert ok.status_code == 200
    p = Part.objects.get(number="TC-1")
    assert (p.category, p.tracking, str(p.sale_price)) == ("key", "serial", "1200.50")
    assert list(p.compatible_models.values_list("code", flat=True)) == ["RF-8800"]


def test_the_reorder_list_shows_parts_below_safety_stock(client, crew, wh):
    low, fine = part(number="LOW-1"), part(number="OK-1")
    stock(actor=crew.keeper, part=low, location=wh, quantity=1)
    stock(actor=crew.keeper, part=fine, location=wh, quantity=9)
    services.safety_stock_set(user=crew.keeper, part=low, location=wh, minimum=5)
    services.safety_stock_set(user=crew.keeper, part=fine, location=wh, minimum=5)
    never = part(number="NONE-1")
    services.safety_stock_set(user=crew.keeper, part=never, location=wh, minimum=2)
    page = _get(client, crew.keeper, reverse("parts:reorder")).content.decode()
    assert "LOW-1" in page and "NONE-1" in page and "OK-1" not in page


def test_unit_file_shows_the_parts_fitted(client, crew, stocked, wh):
    from serviceloop.assets.tests.factories import UnitFactory

    unit = UnitFactory(customer=crew.customer_a)
    wo = job(crew, unit=unit)
    r = received(crew, issued(crew, approved(crew, requested(crew, wo, [(stocked[1], 1)]), wh)))
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=r.lines.get(), quantity=1)
    page = _get(client, crew.keeper, unit.get_absolute_url()).content.decode()
    assert 'id="parts-fitted"' in page and "COM-1" in page
    assert LocationKind.SITE
