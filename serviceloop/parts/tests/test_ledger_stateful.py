"""A hypothesis state machine drives random receipts, issues, transfers, scraps, returns to the supplier,
count adjustments and reversals through the ledger, and checks after every step: no negative balance,
every balance equal to the sum of its moves (and to a model kept here), every tracked ID in one place."""

from __future__ import annotations

import itertools

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.parts import ledger, services
from serviceloop.parts.checks import check_books
from serviceloop.parts.choices import LocationKind, MoveKind, Tracking
from serviceloop.parts.models import Location, Part, PartSerial, StockBalance, StockMove

_run = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        n = next(_run)
        branch = BranchFactory(code=f"HQ{n}", name=f"总部{n}", is_headquarters=True)
        self.keeper = UserFactory(username=f"keeper{n}", branch=branch, roles=["warehouse"])
        self.places = [Location.objects.create(code=f"L{n}-{i}", name=f"L{i}", kind=kind, branch=branch)
                       for i, kind in enumerate([LocationKind.HQ_WAREHOUSE, LocationKind.BRANCH_WAREHOUSE,
                                                 LocationKind.BENCH])]
        self.parts = [Part.objects.create(number=f"M{n}-Q", name="q"),
                      Part.objects.create(number=f"M{n}-S", name="s", tracking=Tracking.SERIAL)]
        self.expected = {(p.pk, loc.pk): 0 for p in self.parts for loc in self.places}
        self.moves: list[int] = []
        self.serial_no = itertools.count()

    def _serials_at(self, p, loc, quantity):
        return list(PartSerial.objects.filter(part=p, location=loc).order_by("pk")
                    .values_list("serial", flat=True)[:quantity])

    def _apply(self, move):
        if move.from_location_id:
            self.expected[(move.part_id, move.from_location_id)] -= move.quantity
        if move.to_location_id:
            self.expected[(move.part_id, move.to_location_id)] += move.quantity
        self.moves.append(move.pk)

    @rule(p=st.integers(0, 1), at=st.integers(0, 2), quantity=st.integers(-1, 4))
    def receive(self, p, at, quantity):
        part, loc = self.parts[p], self.places[at]
        serials = [f"N{next(self.serial_no)}" for _ in range(max(quantity, 0))] if part.serial_tracked else None
        try:
            move = ledger.post([ledger.MoveSpec(MoveKind.RECEIPT, part, quantity, to_location=loc, serials=serials)],
                               actor=self.keeper)[0]
        except ValidationError:
            assert quantity < 1
            return
        self._apply(move)

    @rule(p=st.integers(0, 1), a=st.integers(0, 2), b=st.integers(0, 2), quantity=st.integers(1, 5),
          kind=st.sampled_from([MoveKind.ISSUE, MoveKind.TRANSFER, MoveKind.SCRAP, MoveKind.SUPPLIER_RETURN,
                                MoveKind.ADJUSTMENT]))
    def take(self, p, a, b, quantity, kind):
        part, source = self.parts[p], self.places[a]
        target = None if kind in (MoveKind.SUPPLIER_RETURN, MoveKind.ADJUSTMENT) else self.places[b]
        serials = self._serials_at(part, source, quantity) if part.serial_tracked else None
        on_hand = self.expected[(part.pk, source.pk)]
        try:
            move = ledger.post([ledger.MoveSpec(kind, part, quantity, from_location=source, to_location=target,
                                                serials=serials)], actor=self.keeper)[0]
        except ValidationError:
            assert quantity > on_hand or target == source
            return
        assert quantity <= on_hand and target != source
        self._apply(move)

    @rule(index=st.integers(0, 50))
    def reverse(self, index):
        if not self.moves:
            return
        move = StockMove.objects.get(pk=self.moves[index % len(self.moves)])
        try:
            reversal = services.move_reverse(actor=self.keeper, move=move, note="hypothesis")
        except ValidationError:
            return
        self._apply(reversal)

    @invariant()
    def books_are_clean(self):
        if not hasattr(self, "parts"):
            return
        balances = {(b.part_id, b.location_id): b.on_hand for b in StockBalance.objects.filter(part__in=self.parts)}
        for key, expected in self.expected.items():
            assert balances.get(key, 0) == expected >= 0
        assert check_books() == []


class TestLedgerStateMachine(TestCase):
    def test_random_moves_keep_the_books(self):
        run_state_machine_as_test(LedgerMachine, settings=settings(
            max_examples=15, stateful_step_count=25, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
