"""Service tests of spare parts: the ledger and every step of the requisition flow, with every refusal
(nothing written when refused)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.core.concurrency import StaleEditError
from serviceloop.parts import ledger, services
from serviceloop.parts.checks import check_books
from serviceloop.parts.choices import (
    LocationKind,
    MoveKind,
    OldPartStatus,
    PartCategory,
    RequisitionStatus,
    Tracking,
)
from serviceloop.parts.models import AppendOnlyError, OldPartReturn, PartSerial, StockBalance, StockMove
from serviceloop.workorders.models import FeeLine

from .factories import approved, issued, job, location, part, received, requested, stock

pytestmark = pytest.mark.django_db
RS = RequisitionStatus


def bal(p, loc) -> tuple[int, int]:
    b = StockBalance.objects.filter(part=p, location=loc).first()
    return (b.on_hand, b.reserved) if b else (0, 0)


@pytest.fixture
def wh(crew):
    return location(code="HQ-WH", branch=crew.hq, name="总部仓")


# ---------------------------------------------------------------- the ledger

def test_receipt_raises_the_balance_and_the_books_are_clean(crew, wh):
    p = part()
    move = stock(actor=crew.keeper, part=p, location=wh, quantity=5)
    assert (move.kind, move.quantity, move.from_location, move.to_location) == (MoveKind.RECEIPT, 5, None, wh)
    assert bal(p, wh) == (5, 0)
    assert check_books() == []


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1.5", "abc", True, None, 10_000_001])
def test_bad_quantities_are_refused_and_nothing_is_written(crew, wh, bad):
    p = part()
    with pytest.raises(ValidationError):
        stock(actor=crew.keeper, part=p, location=wh, quantity=bad)
    assert StockMove.objects.count() == 0 and bal(p, wh) == (0, 0)


def test_tracked_parts_need_one_unique_id_per_piece(crew, wh):
    p = part(tracking=Tracking.SERIAL)
    with pytest.raises(ValidationError, match="unique ID"):
        stock(actor=crew.keeper, part=p, location=wh, quantity=2, serials=["A1"])
    with pytest.raises(ValidationError, match="twice"):
        stock(actor=crew.keeper, part=p, location=wh, quantity=2, serials=["A1", "a1"])
    stock(actor=crew.keeper, part=p, location=wh, quantity=2, serials="A1, A2")
    assert set(PartSerial.objects.filter(location=wh).values_list("serial", flat=True)) == {"A1", "A2"}
    with pytest.raises(ValidationError, match="already at"):  # a unique ID that is already elsewhere
        stock(actor=crew.keeper, part=p, location=location(code="B", branch=crew.east,
                                                          kind=LocationKind.BRANCH_WAREHOUSE),
              quantity=1, serials=["A2"])
    assert StockMove.objects.count() == 1 and check_books() == []


def test_untracked_parts_take_no_unique_ids(crew, wh):
    with pytest.raises(ValidationError, match="counted by quantity"):
        stock(actor=crew.keeper, part=part(), location=wh, quantity=1, serials=["X"])


def test_taking_more_than_on_hand_is_refused_with_what_is_on_hand(crew, wh):
    p = part(number="TC-1")
    stock(actor=crew.keeper, part=p, location=wh, quantity=3)
    scrap = location(code="SCRAP", branch=crew.hq, kind=LocationKind.SCRAP)
    with pytest.raises(ValidationError) as err:
        services.stock_transfer(actor=crew.keeper, part=p, from_location=wh, to_location=scrap, quantity=4,
                                kind=MoveKind.SCRAP)
    assert "Only 3 of TC-1 available" in err.value.messages[0] and "3 on hand" in err.value.messages[0]
    assert bal(p, wh) == (3, 0) and bal(p, scrap) == (0, 0) and StockMove.objects.count() == 1


def test_a_move_to_the_same_location_is_refused(crew, wh):
    p = part()
    stock(actor=crew.keeper, part=p, location=wh, quantity=1)
    with pytest.raises(ValidationError, match="comes from"):
        services.stock_transfer(actor=crew.keeper, part=p, from_location=wh, to_location=wh, quantity=1)


def test_reserved_stock_is_not_available_to_others(crew, wh):
    p = part()
    stock(actor=crew.keeper, part=p, location=wh, quantity=2)
    ledger.reserve(p, wh, 2)
    other = location(code="B", branch=crew.east, kind=LocationKind.BRANCH_WAREHOUSE)
    with pytest.raises(ValidationError, match="2 reserved"):
        services.stock_transfer(actor=crew.keeper, part=p, from_location=wh, to_location=other, quantity=1)
    with pytest.raises(ValidationError):
        ledger.reserve(p, wh, 1)
    assert bal(p, wh) == (2, 2)


def test_moves_are_append_only(crew, wh):
    move = stock(actor=crew.keeper, part=part(), location=wh, quantity=1)
    move.note = "改一下"
    with pytest.raises(AppendOnlyError):
        move.save()
    with pytest.raises(AppendOnlyError):
        move.delete()


def test_a_mistake_is_corrected_by_a_reversing_move_once(crew, wh):
    p = part(tracking=Tracking.SERIAL)
    move = stock(actor=crew.keeper, part=p, location=wh, quantity=1, serials=["S1"])
    reversal = services.move_reverse(actor=crew.keeper, move=move, note="录错")
    assert (reversal.from_location, reversal.to_location, reversal.reverses) == (wh, None, move)
    assert bal(p, wh) == (0, 0)
    assert PartSerial.objects.get(serial="S1").location is None
    with pytest.raises(ValidationError, match="already been reversed"):
        services.move_reverse(actor=crew.keeper, move=move)
    with pytest.raises(ValidationError, match="not reversed again"):
        services.move_reverse(actor=crew.keeper, move=reversal)
    assert StockMove.objects.count() == 2 and check_books() == []


def test_a_receipt_whose_stock_is_gone_cannot_be_reversed(crew, wh):
    p = part()
    move = stock(actor=crew.keeper, part=p, location=wh, quantity=2)
    scrap = location(code="SCRAP", branch=crew.hq, kind=LocationKind.SCRAP)
    services.stock_transfer(actor=crew.keeper, part=p, from_location=wh, to_location=scrap, quantity=2,
                            kind=MoveKind.SCRAP)
    with pytest.raises(ValidationError, match="available"):
        services.move_reverse(actor=crew.keeper, move=move)


def test_only_the_warehouse_posts_stock(crew, wh):
    with pytest.raises(PermissionDenied):
        stock(actor=crew.east_eng, part=part(), location=wh, quantity=1)
    with pytest.raises(PermissionDenied):
        stock(actor=crew.owner, part=part(), location=wh, quantity=1)


def test_the_book_check_finds_a_tampered_balance_and_a_serial_out_of_place(crew, wh):
    p = part(tracking=Tracking.SERIAL)
    stock(actor=crew.keeper, part=p, location=wh, quantity=1, serials=["S1"])
    StockBalance.objects.filter(part=p, location=wh).update(on_hand=2)
    other = location(code="B", branch=crew.east, kind=LocationKind.BRANCH_WAREHOUSE)
    PartSerial.objects.filter(serial="S1").update(location=other)
    problems = check_books()
    assert any("moves sum to 1" in x for x in problems)
    assert any("last move took it" in x for x in problems)


def test_many_moves_post_in_a_constant_number_of_queries(crew, wh, django_assert_max_num_queries):
    parts = [part() for _ in range(40)]
    specs = [ledger.MoveSpec(MoveKind.RECEIPT, p, 3, to_location=wh) for p in parts]
    with django_assert_max_num_queries(12):
        ledger.post(specs, actor=crew.keeper)
    assert check_books() == []


# ---------------------------------------------------------------- the requisition flow

@pytest.fixture
def flow(crew, wh):
    """Stock of a tracked key part and a common part at HQ, and a job on site."""
    key = part(number="KEY-1", name="主控板", tracking=Tracking.SERIAL, category=PartCategory.KEY, sale_price="900")
    common = part(number="COM-1", name="保险丝", sale_price="5")
    stock(actor=crew.keeper, part=key, location=wh, quantity=3, serials=["K1", "K2", "K3"])
    stock(actor=crew.keeper, part=common, location=wh, quantity=10)
    return {"key": key, "common": common, "wo": job(crew), "wh": wh}


def test_an_engineer_on_the_job_requests_parts(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 1), (flow["common"], 2)])
    assert r.status == RS.SUBMITTED and r.number.startswith("PR-") and r.lines.count() == 2
    assert r.requested_by == crew.east_eng and r.work_order == flow["wo"]


def test_a_requisition_is_refused_to_an_engineer_not_on_the_job(crew, flow):
    with pytest.raises(PermissionDenied):
        services.requisition_create(actor=crew.south_eng, work_order=flow["wo"], purpose="x",
                                    lines=[(flow["common"], 1)])


@pytest.mark.parametrize("lines,purpose,message", [
    ("none", "换件", "at least one part"),
    ("dup", "换件", "already on the requisition"),
    ("frac", "换件", "whole pieces"),
    ("zero", "换件", "at least 1"),
    ("ok", "  ", "what the parts are for"),
])
def test_bad_requisitions_are_refused_with_a_message(crew, flow, lines, purpose, message):
    c = flow["common"]
    lines = {"dup": [(c, 1), (c, 2)], "frac": [(c, 1.5)], "zero": [(c, 0)], "ok": [(c, 1)], "none": []}[lines]
    with pytest.raises(ValidationError) as err:
        services.requisition_create(actor=crew.east_eng, work_order=flow["wo"], purpose=purpose, lines=lines)
    assert message in " ".join(err.value.messages)


def test_approval_reserves_the_approved_quantities(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 1), (flow["common"], 2)])
    approved(crew, r, flow["wh"])
    r.refresh_from_db()
    assert r.status == RS.APPROVED and r.source == flow["wh"] and not r.partly_approved
    assert bal(flow["key"], flow["wh"]) == (3, 1) and bal(flow["common"], flow["wh"]) == (10, 2)


def test_partial_approval_needs_a_reason_and_reserves_only_what_is_approved(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 1), (flow["common"], 4)])
    lines = {line.part_id: line for line in r.lines.all()}
    with pytest.raises(ValidationError, match="say why"):
        services.requisition_approve(actor=crew.keeper, requisition=r, source=flow["wh"], decisions=[
            {"line": lines[flow["key"].pk].pk, "quantity": 1}, {"line": lines[flow["common"].pk].pk, "quantity": 0}])
    assert bal(flow["common"], flow["wh"]) == (10, 0) and bal(flow["key"], flow["wh"]) == (3, 0)
    services.requisition_approve(actor=crew.keeper, requisition=r, source=flow["wh"], decisions=[
        {"line": lines[flow["key"].pk].pk, "quantity": 1},
        {"line": lines[flow["common"].pk].pk, "quantity": 0, "reason": "现场有备用"}])
    r.refresh_from_db()
    assert r.partly_approved and bal(flow["common"], flow["wh"]) == (10, 0) and bal(flow["key"], flow["wh"]) == (3, 1)


def test_approving_nothing_or_more_than_available_is_refused(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 1)])
    line = r.lines.get()
    with pytest.raises(ValidationError, match="refuse the requisition"):
        services.requisition_approve(actor=crew.keeper, requisition=r, source=flow["wh"],
                                     decisions=[{"line": line.pk, "quantity": 0, "reason": "无"}])
    ledger.reserve(flow["key"], flow["wh"], 3)  # all three reserved by others
    with pytest.raises(ValidationError, match="0 of KEY-1 available"):
        approved(crew, r, flow["wh"])
    r.refresh_from_db()
    assert r.status == RS.SUBMITTED and bal(flow["key"], flow["wh"]) == (3, 3)


def test_every_line_must_be_decided_and_only_the_parts_department_decides(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 1), (flow["common"], 1)])
    with pytest.raises(ValidationError, match="Decide every line"):
        services.requisition_approve(actor=crew.keeper, requisition=r, source=flow["wh"],
                                     decisions=[{"line": r.lines.first().pk, "quantity": 1}])
    with pytest.raises(PermissionDenied):
        services.requisition_approve(actor=crew.east_eng, requisition=r, source=flow["wh"], decisions=[])
    van = services.van_of(crew.east_eng)
    with pytest.raises(ValidationError, match="warehouse"):
        services.requisition_approve(actor=crew.keeper, requisition=r, source=van, decisions=[])


def test_a_stale_approval_is_refused(crew, flow):
    r = requested(crew, flow["wo"], [(flow["common"], 1)])
    with pytest.raises(StaleEditError):
        services.requisition_approve(actor=crew.keeper, requisition=r, source=flow["wh"],
                                     expected_version=r.version + 1,
                                     decisions=[{"line": r.lines.get().pk, "quantity": 1}])


def test_refusal_needs_a_reason_and_happens_once(crew, flow):
    r = requested(crew, flow["wo"], [(flow["common"], 1)])
    with pytest.raises(ValidationError, match="reason"):
        services.requisition_refuse(actor=crew.keeper, requisition=r, reason=" ")
    services.requisition_refuse(actor=crew.keeper, requisition=r, reason="非保内件，请走销售订单")
    r.refresh_from_db()
    assert r.status == RS.REFUSED and r.refusal_reason.startswith("非保内件")
    with pytest.raises(ValidationError, match="submitted"):
        services.requisition_refuse(actor=crew.keeper, requisition=r, reason="again")


def test_issue_moves_the_approved_parts_to_the_van_and_uses_up_the_reservation(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 2), (flow["common"], 2)])
    approved(crew, r, flow["wh"])
    key_line = r.lines.get(part=flow["key"])
    issued(crew, r, serials={key_line.pk: "K3 K1"})
    r.refresh_from_db()
    van = services.van_of(crew.east_eng)
    assert r.status == RS.ISSUED and r.target == van and van.branch == crew.east
    assert bal(flow["key"], flow["wh"]) == (1, 0) and bal(flow["key"], van) == (2, 0)
    assert bal(flow["common"], flow["wh"]) == (8, 0) and bal(flow["common"], van) == (2, 0)
    assert set(PartSerial.objects.filter(location=van).values_list("serial", flat=True)) == {"K1", "K3"}
    assert check_books() == []


def test_issue_picks_the_oldest_unique_ids_when_none_are_scanned(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 1)])
    approved(crew, r, flow["wh"])
    issued(crew, r)
    assert PartSerial.objects.get(serial="K1").location == services.van_of(crew.east_eng)


def test_issuing_a_unique_id_that_is_not_on_the_shelf_is_refused(crew, flow):
    r = requested(crew, flow["wo"], [(flow["key"], 1)])
    approved(crew, r, flow["wh"])
    with pytest.raises(ValidationError, match="not at"):
        issued(crew, r, serials={r.lines.get().pk: "NOPE"})
    r.refresh_from_db()
    assert r.status == RS.APPROVED and bal(flow["key"], flow["wh"]) == (3, 1)


def test_only_the_requester_confirms_receipt(crew, flow):
    r = requested(crew, flow["wo"], [(flow["common"], 1)])
    approved(crew, r, flow["wh"])
    with pytest.raises(ValidationError, match="issued"):
        received(crew, r)
    issued(crew, r)
    with pytest.raises(PermissionDenied):
        services.requisition_confirm(actor=crew.east_helper, requisition=r)
    received(crew, r)
    r.refresh_from_db()
    assert r.status == RS.RECEIVED and r.received_at is not None


def _ready(crew, flow, lines):
    r = requested(crew, flow["wo"], lines)
    approved(crew, r, flow["wh"])
    issued(crew, r)
    received(crew, r)
    r.refresh_from_db()
    return r


def test_fitting_a_tracked_part_consumes_it_onto_the_unit_and_owes_the_old_part(crew, flow):
    r = _ready(crew, flow, [(flow["key"], 1)])
    line = r.lines.get()
    with pytest.raises(ValidationError, match="unique ID"):
        services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, quantity=1)
    with pytest.raises(ValidationError, match="not at"):
        services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, serial="K2")
    move = services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, serial="K1", old_serial="OLD-9")
    r.refresh_from_db()
    assert move.kind == MoveKind.CONSUMPTION and move.to_location.kind == LocationKind.SITE
    assert move.work_order == flow["wo"] and r.status == RS.CLOSED
    serial = PartSerial.objects.get(serial="K1")
    assert serial.location.kind == LocationKind.SITE and serial.unit == flow["wo"].unit
    old = OldPartReturn.objects.get()
    assert (old.serial, old.status, old.engineer) == ("OLD-9", OldPartStatus.DUE, crew.east_eng)
    assert old.due_date == timezone.localdate() + dt.timedelta(days=7)  # key parts: 7 days
    assert check_books() == []


def test_fitting_more_than_issued_is_refused(crew, flow):
    r = _ready(crew, flow, [(flow["common"], 2)])
    line = r.lines.get()
    with pytest.raises(ValidationError, match="Only 2"):
        services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, quantity=3)
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, quantity=1)
    r.refresh_from_db()
    assert r.status == RS.RECEIVED  # one still to fit
    assert not OldPartReturn.objects.exists()  # common parts: no return asked


def test_only_the_team_fits_parts(crew, flow):
    r = _ready(crew, flow, [(flow["common"], 1)])
    with pytest.raises(PermissionDenied):
        services.requisition_fit(actor=crew.south_eng, requisition=r, line=r.lines.get(), quantity=1)


def test_parts_fitted_on_a_chargeable_job_become_fee_lines_at_the_sale_price(crew, flow):
    from serviceloop.workorders import services as wo_services

    wo_services.work_order_update(actor=crew.dispatcher, work_order=flow["wo"], chargeable=True)
    r = _ready(crew, flow, [(flow["common"], 2)])
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=r.lines.get(), quantity=2)
    fee = FeeLine.objects.get(work_order=flow["wo"])
    assert (fee.kind, fee.quantity, fee.unit_price, fee.amount) == ("parts", 2, 5, 10)


def test_a_warranty_job_records_no_fee(crew, flow):
    r = _ready(crew, flow, [(flow["common"], 1)])
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=r.lines.get(), quantity=1)
    assert not FeeLine.objects.exists()


def test_reversing_a_fitting_lowers_the_fitted_quantity_instead_of_raising_it(crew, flow):
    """OCA/stock-logistics-warehouse#958: a return lowered the wrong way."""
    r = _ready(crew, flow, [(flow["common"], 2)])
    line = r.lines.get()
    move = services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, quantity=2)
    services.move_reverse(actor=crew.keeper, move=move, note="装错")
    line.refresh_from_db()
    r.refresh_from_db()
    assert line.quantity_fitted == 0 and r.status == RS.RECEIVED
    assert bal(flow["common"], services.van_of(crew.east_eng)) == (2, 0)
    assert check_books() == []


def test_the_old_part_comes_back_into_quarantine(crew, flow):
    r = _ready(crew, flow, [(flow["key"], 1)])
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=r.lines.get(), serial="K1", old_serial="OLD-9")
    old = OldPartReturn.objects.get()
    with pytest.raises(PermissionDenied):
        services.old_part_receive(actor=crew.east_eng, old_part=old)
    services.old_part_receive(actor=crew.keeper, old_part=old)
    old.refresh_from_db()
    assert old.status == OldPartStatus.RECEIVED and old.location.kind == LocationKind.QUARANTINE
    assert PartSerial.objects.get(serial="OLD-9").location == old.location
    assert bal(flow["key"], old.location) == (1, 0)
    with pytest.raises(ValidationError, match="already"):
        services.old_part_receive(actor=crew.keeper, old_part=old)
    assert check_books() == []


def test_an_old_part_that_was_fitted_by_us_comes_back_from_the_customer_site(crew, flow):
    r = _ready(crew, flow, [(flow["key"], 2)])
    line = r.lines.get()
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, serial="K1")
    # later the same unit's K1 fails and is replaced by K2: the old part is K1, known at the site
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, serial="K2", old_serial="K1")
    old = OldPartReturn.objects.get(serial="K1")
    services.old_part_receive(actor=crew.keeper, old_part=old)
    move = StockMove.objects.get(kind=MoveKind.OLD_PART_RETURN)
    assert move.from_location.kind == LocationKind.SITE
    assert PartSerial.objects.get(serial="K1").unit is None
    assert check_books() == []


def test_overdue_old_parts(crew, flow):
    from serviceloop.parts import selectors

    r = _ready(crew, flow, [(flow["key"], 1)])
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=r.lines.get(), serial="K1", old_serial="O1")
    old = OldPartReturn.objects.get()
    assert not old.overdue
    OldPartReturn.objects.filter(pk=old.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    old.refresh_from_db()
    assert old.overdue
    assert list(selectors.overdue_old_parts(crew.keeper)) == [old]
    assert list(selectors.overdue_old_parts(crew.east_eng)) == [old]
    assert list(selectors.overdue_old_parts(crew.south_eng)) == []
