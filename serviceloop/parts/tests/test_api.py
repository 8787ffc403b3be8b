"""The spare parts API: the gate (404 for what one may not see, 403 for what one may not do), the
declared steps with their refusals (400, 403, 409), bad input, nothing written on refusal."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from serviceloop.parts.choices import PartCategory, RequisitionStatus, Tracking
from serviceloop.parts.models import Requisition, StockBalance, StockMove

from .factories import job, location, part, requested, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def wh(crew):
    return location(code="HQ-WH", branch=crew.hq, name="总部仓")


@pytest.fixture
def stocked(crew, wh):
    key = part(number="KEY-1", tracking=Tracking.SERIAL, category=PartCategory.KEY)
    common = part(number="COM-1")
    stock(actor=crew.keeper, part=key, location=wh, quantity=2, serials=["K1", "K2"])
    stock(actor=crew.keeper, part=common, location=wh, quantity=1)
    return key, common


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_engineer_creates_a_requisition_and_bad_input_is_a_400(crew, stocked):
    wo = job(crew)
    key, common = stocked
    url = "/api/v1/requisitions/"
    for body in ({"work_order": wo.pk, "purpose": "x", "lines": []},
                 {"work_order": wo.pk, "purpose": "x", "lines": [{"part": common.pk, "quantity": 1.5}]},
                 {"work_order": wo.pk, "purpose": "x", "lines": [{"part": common.pk, "quantity": 0}]},
                 {"work_order": wo.pk, "purpose": "x", "lines": [{"part": common.pk, "quantity": 1},
                                                                 {"part": common.pk, "quantity": 2}]},
                 {"work_order": "abc", "purpose": "x", "lines": [{"part": common.pk, "quantity": 1}]}):
        assert api(crew.east_eng).post(url, body, format="json").status_code == 400, body
    assert not Requisition.objects.exists()
    assert api(crew.south_eng).post(url, {"work_order": wo.pk, "purpose": "x", "lines": [
        {"part": common.pk, "quantity": 1}]}, format="json").status_code in (400, 403)
    response = api(crew.east_eng).post(url, {"work_order": wo.pk, "purpose": "换保险丝",
                                             "lines": [{"part": common.pk, "quantity": 1}]}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "submitted"


def test_steps_over_the_api_with_their_refusals(crew, stocked, wh):
    key, common = stocked
    r = requested(crew, job(crew), [(common, 1)])
    line = r.lines.get()
    base = f"/api/v1/requisitions/{r.pk}"
    body = {"source": wh.pk, "decisions": [{"line": line.pk, "quantity": 1}]}
    assert api(crew.east_eng).post(f"{base}/approve/", body, format="json").status_code == 403
    assert api(crew.owner).post(f"{base}/approve/", body, format="json").status_code == 404
    assert api(crew.south_staff).get(f"{base}/").status_code == 404
    stale = api(crew.keeper).post(f"{base}/approve/", {**body, "version": r.version + 5}, format="json")
    assert stale.status_code == 409
    assert StockBalance.objects.get(part=common, location=wh).reserved == 0
    ok = api(crew.keeper).post(f"{base}/approve/", body, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved" and "issue" in ok.json()["allowed_steps"]
    again = api(crew.keeper).post(f"{base}/approve/", body, format="json")
    assert again.status_code == 400
    assert api(crew.keeper).post(f"{base}/issue/", {}, format="json").status_code == 200
    assert api(crew.east_helper).post(f"{base}/confirm/", {}, format="json").status_code == 403
    assert api(crew.east_eng).post(f"{base}/confirm/", {}, format="json").json()["status"] == "received"
    too_many = api(crew.east_eng).post(f"{base}/fit/", {"line": line.pk, "quantity": 2}, format="json")
    assert too_many.status_code == 400
    fitted = api(crew.east_eng).post(f"{base}/fit/", {"line": line.pk, "quantity": 1}, format="json")
    assert fitted.status_code == 200 and fitted.json()["status"] == RequisitionStatus.CLOSED


def test_the_last_unit_cannot_be_approved_twice(crew, stocked, wh):
    """odoo PR #32857: more reservations than stock."""
    common = stocked[1]
    first, second = (requested(crew, job(crew), [(common, 1)]) for _ in range(2))
    for r, expected in ((first, 200), (second, 400)):
        body = {"source": wh.pk, "decisions": [{"line": r.lines.get().pk, "quantity": 1}]}
        response = api(crew.keeper).post(f"/api/v1/requisitions/{r.pk}/approve/", body, format="json")
        assert response.status_code == expected
    assert "0 of COM-1 available" in str(response.json())
    assert StockBalance.objects.get(part=common, location=wh).reserved == 1


def test_receipt_and_reversal_over_the_api(crew, wh):
    p = part(number="R-1", tracking=Tracking.SERIAL)
    url = "/api/v1/stock-moves/receive/"
    assert api(crew.east_eng).post(url, {"part": p.pk, "location": wh.pk, "quantity": 1, "serials": ["A"]},
                                   format="json").status_code == 403
    assert api(crew.keeper).post(url, {"part": p.pk, "location": wh.pk, "quantity": 2, "serials": ["A"]},
                                 format="json").status_code == 400
    created = api(crew.keeper).post(url, {"part": p.pk, "location": wh.pk, "quantity": 1, "serials": ["A"]},
                                    format="json")
    assert created.status_code == 201 and created.json()["serials"] == ["A"]
    move = created.json()["id"]
    assert api(crew.keeper).post(f"/api/v1/stock-moves/{move}/reverse/", {"note": "错"},
                                 format="json").status_code == 201
    assert api(crew.keeper).post(f"/api/v1/stock-moves/{move}/reverse/", {"note": "错"},
                                 format="json").status_code == 400
    assert StockMove.objects.count() == 2
    # the ledger has no edit or delete
    assert api(crew.keeper).delete(f"/api/v1/stock-moves/{move}/").status_code == 405
    assert api(crew.keeper).patch(f"/api/v1/stock-moves/{move}/", {"quantity": 5}, format="json").status_code == 405


def test_stock_balances_show_reserved_apart_from_available(crew, stocked, wh):
    rows = api(crew.keeper).get("/api/v1/stock-balances/", {"location": wh.pk}).json()["results"]
    by_part = {row["part_number"]: row for row in rows}
    assert (by_part["KEY-1"]["on_hand"], by_part["KEY-1"]["reserved"], by_part["KEY-1"]["available"]) == (2, 0, 2)
    assert api(crew.owner).get("/api/v1/stock-balances/").json()["results"] == []
