"""The book check (账实相符) behind ``manage.py check_stock`` and the tests: a list of problems, empty
when the books are clean. Sums are taken by the database in a few grouped queries."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, Max, Sum

from .choices import Tracking
from .models import Part, PartSerial, StockBalance, StockMove


def check_books() -> list[str]:
    problems: list[str] = []
    ledger: dict[tuple[int, int], int] = defaultdict(int)
    for row in StockMove.objects.filter(to_location__isnull=False).values("part_id", "to_location_id").annotate(
            n=Sum("quantity")).order_by():
        ledger[(row["part_id"], row["to_location_id"])] += row["n"]
    for row in StockMove.objects.filter(from_location__isnull=False).values("part_id", "from_location_id").annotate(
            n=Sum("quantity")).order_by():
        ledger[(row["part_id"], row["from_location_id"])] -= row["n"]
    balances = {(b["part_id"], b["location_id"]): b for b in
                StockBalance.objects.values("part_id", "location_id", "on_hand", "reserved")}
    for key in sorted(set(ledger) | set(balances)):
        booked = ledger.get(key, 0)
        balance = balances.get(key)
        on_hand = balance["on_hand"] if balance else 0
        if booked != on_hand:
            problems.append(f"part {key[0]} at location {key[1]}: balance {on_hand}, moves sum to {booked}")
        if on_hand < 0:
            problems.append(f"part {key[0]} at location {key[1]}: negative balance {on_hand}")
        if balance and not 0 <= balance["reserved"] <= on_hand:
            problems.append(f"part {key[0]} at location {key[1]}: reserved {balance['reserved']} of {on_hand}")

    # tracked parts: serials counted per place equal the balance, and each serial is where its last move put it
    tracked_counts = Counter()
    for row in (PartSerial.objects.filter(location__isnull=False, part__tracking=Tracking.SERIAL)
                .values("part_id", "location_id").annotate(n=Count("id")).order_by()):
        tracked_counts[(row["part_id"], row["location_id"])] = row["n"]
    tracked = set(Part.objects.filter(tracking=Tracking.SERIAL).values_list("pk", flat=True))
    for key, balance in balances.items():
        if key[0] in tracked and tracked_counts.get(key, 0) != balance["on_hand"]:
            problems.append(f"part {key[0]} at location {key[1]}: {tracked_counts.get(key, 0)} unique IDs, "
                            f"balance {balance['on_hand']}")
    last_move = {row["partserial_id"]: row["last"] for row in
                 StockMove.serials.through.objects.values("partserial_id").annotate(last=Max("stockmove_id")).order_by()}
    destination = dict(StockMove.objects.filter(pk__in=set(last_move.values())).values_list("pk", "to_location_id"))
    for serial_id, location_id, label in PartSerial.objects.values_list("pk", "location_id", "serial"):
        move_id = last_move.get(serial_id)
        expected = destination.get(move_id) if move_id else None
        if move_id is None:
            problems.append(f"unique ID {label}: no move brought it into the books")
        elif expected != location_id:
            problems.append(f"unique ID {label}: at location {location_id}, its last move took it to {expected}")
    return problems

