"""Concurrency of the ledger on PostgreSQL (row locks shared between connections): the last unit,
100 concurrent issues, concurrent reservations, one serial moved twice at once, many moves together.
Named after the bugs of the systems our users would otherwise pick."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from serviceloop.parts import ledger, services
from serviceloop.parts.checks import check_books
from serviceloop.parts.choices import LocationKind, MoveKind, Tracking
from serviceloop.parts.models import PartSerial, StockBalance

from .factories import location, part, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks shared between connections: runs on PostgreSQL")


def _race(jobs: list[Callable[[], object]], *, threads: int | None = None) -> list[object]:
    """Run the jobs in threads released together; each result or the exception it raised. With ``threads``,
    that many threads (one database connection each: the server allows 100 in all, shared with the other
    test worker) take the jobs from one queue."""
    count = min(threads or len(jobs), len(jobs))
    start = threading.Barrier(count)
    results: list[object] = [None] * len(jobs)
    queue = list(range(len(jobs)))
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait(timeout=30)
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop(0)
                try:
                    results[i] = jobs[i]()
                except BaseException as exc:  # noqa: BLE001 - the outcome is what the test asserts
                    results[i] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(count)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    return results


@pytest.fixture
def places(crew):
    wh = location(code="HQ-WH", branch=crew.hq)
    scrap = location(code="SCRAP", branch=crew.hq, kind=LocationKind.SCRAP)
    vans = [services.van_of(u) for u in (crew.east_eng, crew.east_helper, crew.south_eng, crew.hq_eng)]
    return wh, scrap, vans


def _issue(keeper, p, source, target, quantity=1, serials=None):
    return lambda: services.stock_transfer(actor=keeper, part=p, from_location=source, to_location=target,
                                           quantity=quantity, serials=serials, kind=MoveKind.ISSUE)


def test_two_people_issue_the_last_unit_one_wins_the_other_is_told(crew, places):
    wh, _scrap, vans = places
    p = part(number="LAST-1")
    stock(actor=crew.keeper, part=p, location=wh, quantity=1)
    results = _race([_issue(crew.keeper, p, wh, vans[0]), _issue(crew.keeper, p, wh, vans[1])])
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and len([r for r in results if not isinstance(r, BaseException)]) == 1, results
    assert "Only 0 of LAST-1 available" in refused[0].messages[0]
    assert StockBalance.objects.get(part=p, location=wh).on_hand == 0
    assert check_books() == []


def test_a_hundred_concurrent_issues_leave_exactly_what_is_left(crew, places):
    wh, _scrap, vans = places
    p = part(number="HUNDRED")
    stock(actor=crew.keeper, part=p, location=wh, quantity=37)
    results = _race([_issue(crew.keeper, p, wh, vans[i % len(vans)]) for i in range(100)], threads=16)
    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(done) == 37 and len(refused) == 63, [r for r in results if isinstance(r, BaseException)
                                                    and not isinstance(r, ValidationError)][:3]
    assert all("available" in r.messages[0] for r in refused)
    assert StockBalance.objects.get(part=p, location=wh).on_hand == 0
    assert sum(StockBalance.objects.filter(part=p).values_list("on_hand", flat=True)) == 37
    assert check_books() == []


def test_twenty_concurrent_reservations_against_ten(crew, places):
    """odoo PR #32857: 20 concurrent reservations against 10 in stock reserved them all."""
    wh, _scrap, _vans = places
    p = part(number="RES-10")
    stock(actor=crew.keeper, part=p, location=wh, quantity=10)

    def reserve():
        with transaction.atomic():
            return ledger.reserve(p, wh, 1)

    results = _race([reserve for _ in range(20)])
    assert len([r for r in results if not isinstance(r, BaseException)]) == 10
    balance = StockBalance.objects.get(part=p, location=wh)
    assert (balance.on_hand, balance.reserved, balance.available) == (10, 10, 0)


def test_one_serial_reserved_twice_never_leaves_available_below_zero(crew, places):
    """odoo PR #268942: two concurrent reservations of one serial left available = -1."""
    wh, _scrap, _vans = places
    p = part(number="SER-1", tracking=Tracking.SERIAL)
    stock(actor=crew.keeper, part=p, location=wh, quantity=1, serials=["ONLY"])

    def reserve():
        with transaction.atomic():
            return ledger.reserve(p, wh, 1)

    _race([reserve, reserve])
    balance = StockBalance.objects.get(part=p, location=wh)
    assert (balance.reserved, balance.available) == (1, 0)


def test_two_people_moving_the_same_serial_never_put_it_in_two_places(crew, places):
    """odoo#273267."""
    wh, _scrap, vans = places
    p = part(number="SER-2", tracking=Tracking.SERIAL)
    stock(actor=crew.keeper, part=p, location=wh, quantity=2, serials=["S1", "S2"])
    results = _race([_issue(crew.keeper, p, wh, vans[0], serials=["S1"]),
                     _issue(crew.keeper, p, wh, vans[1], serials=["S1"])])
    assert len([r for r in results if isinstance(r, ValidationError)]) == 1, results
    assert PartSerial.objects.get(serial="S1").location in vans[:2]
    assert check_books() == []


def test_many_moves_posting_together_do_not_deadlock(crew, places):
    """erpnext#47787: rows are locked in one fixed order, whatever order the moves list them in."""
    wh, _scrap, vans = places
    parts = [part(number=f"DL-{i}") for i in range(6)]
    for p in parts:
        stock(actor=crew.keeper, part=p, location=wh, quantity=50)

    def batch(order):
        def run():
            specs = [ledger.MoveSpec(MoveKind.ISSUE, parts[i], 1, from_location=wh, to_location=vans[0])
                     for i in order]
            return ledger.post(specs, actor=crew.keeper)
        return run

    forward, backward = list(range(6)), list(reversed(range(6)))
    results = _race([batch(forward if i % 2 else backward) for i in range(12)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert all(StockBalance.objects.get(part=p, location=wh).on_hand == 38 for p in parts)
    assert check_books() == []
