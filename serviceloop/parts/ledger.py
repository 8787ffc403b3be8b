"""The stock ledger (出入库记录): the one place that writes StockMove rows and balances.

Every move is appended, never changed. Its balances (part x location) are locked and updated in the
same transaction: rows are locked in one fixed order (part id, location id) so many moves posting
together never deadlock (erpnext#47787), the missing balance rows are inserted with ON CONFLICT DO
NOTHING first so two first moves to a location never collide. A move that would take more than is
available (on hand minus reserved) is refused with what is on hand; nothing is written.
Tracked parts (unique IDs) move by their serials: each serial is in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Location, Part, PartSerial, StockBalance, StockMove

MAX_QUANTITY = 1_000_000


@dataclass
class MoveSpec:
    """One move to post: ``release`` is the reservation at the source this move consumes."""

    kind: str
    part: Part
    quantity: Any
    from_location: Location | None = None
    to_location: Location | None = None
    serials: list[str] = field(default_factory=list)
    release: int = 0
    requisition: Any = None
    work_order: Any = None
    unit: Any = None
    old_part: Any = None
    reverses: StockMove | None = None
    note: str = ""
    fit_unit: Any = None  # the unit a serial is fitted to at its destination (consumption)


def whole_quantity(value: Any, *, field_name: str = "quantity", maximum: int = MAX_QUANTITY) -> int:
    """A whole number of pieces from 1 up, or a clear ValidationError (zero, negative, 1.5, text)."""
    if isinstance(value, bool):
        raise ValidationError({field_name: [_("Enter a whole number of pieces.")]})
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValidationError({field_name: [_("Enter a whole number of pieces.")]})
        value = int(value)
    if isinstance(value, float) or not isinstance(value, int):
        try:
            as_int = int(value)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError({field_name: [_("Enter a whole number of pieces.")]}) from None
        if as_int != value:
            raise ValidationError({field_name: [_("Spare parts are counted in whole pieces: %(value)s is not one.")
                                                % {"value": value}]})
        value = as_int
    if value < 1:
        raise ValidationError({field_name: [_("The quantity must be at least 1.")]})
    if value > maximum:
        raise ValidationError({field_name: [_("At most %(max)s at once.") % {"max": f"{maximum:,}"}]})
    return value


def clean_serials(values: Any) -> list[str]:
    """Unique IDs from a list or from text (commas, spaces, new lines), upper-cased, without repeats."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.replace(",", " ").replace("，", " ").replace(";", " ").split()
    out: list[str] = []
    for value in values:
        text = str(value).strip().upper()
        if not text:
            continue
        if len(text) > 60:
            raise ValidationError({"serials": [_("A unique ID has at most 60 characters.")]})
        if text in out:
            raise ValidationError({"serials": [_("The unique ID %(serial)s is given twice.") % {"serial": text}]})
        out.append(text)
    return out


def lock_balances(keys: set[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
    """The balance rows of (part id, location id), created when missing, locked in a fixed order."""
    if not keys:
        return {}
    ordered = sorted(keys)

    def fetch() -> dict[tuple[int, int], StockBalance]:
        condition = Q()
        by_part: dict[int, list[int]] = {}
        for part_id, location_id in ordered:
            by_part.setdefault(part_id, []).append(location_id)
        for part_id, locations in by_part.items():
            condition |= Q(part_id=part_id, location_id__in=locations)
        rows = StockBalance.objects.select_for_update().filter(condition).order_by("part_id", "location_id")
        return {(b.part_id, b.location_id): b for b in rows}

    found = fetch()
    missing = [key for key in ordered if key not in found]
    if missing:
        StockBalance.objects.bulk_create([StockBalance(part_id=p, location_id=loc) for p, loc in missing],
                                         ignore_conflicts=True)
        found = fetch()
    return found


def _on_hand_message(part: Part, location: Location, balance: StockBalance, quantity: int) -> str:
    return _("Only %(available)s of %(part)s available at %(location)s (%(on_hand)s on hand, %(reserved)s reserved): "
             "%(quantity)s cannot be taken.") % {
        "available": balance.available, "part": part.number, "location": location.name,
        "on_hand": balance.on_hand, "reserved": balance.reserved, "quantity": quantity}


def _branch_of(spec: MoveSpec) -> Any:
    if spec.work_order is not None and spec.work_order.branch_id:
        return spec.work_order.branch_id
    for location in (spec.to_location, spec.from_location):
        if location is not None:
            return location.branch_id
    return None


@transaction.atomic
def post(specs: list[MoveSpec], *, actor: Any) -> list[StockMove]:
    """Post the moves together: all or nothing. A fixed number of queries however many moves."""
    if not specs:
        return []
    errors: list[str] = []
    for spec in specs:
        spec.quantity = whole_quantity(spec.quantity)
        if spec.from_location is None and spec.to_location is None:
            raise ValidationError(_("A move needs a location it leaves or enters."))
        if spec.from_location is not None and spec.from_location == spec.to_location:
            raise ValidationError({"to_location": [_("A move cannot go to the location it comes from.")]})
        spec.serials = clean_serials(spec.serials)
        if spec.part.serial_tracked:
            if len(spec.serials) != spec.quantity:
                raise ValidationError({"serials": [
                    _("%(part)s is tracked by unique ID: give %(quantity)s unique ID(s), one per piece (%(given)s given).")
                    % {"part": spec.part.number, "quantity": spec.quantity, "given": len(spec.serials)}]})
        elif spec.serials:
            raise ValidationError({"serials": [_("%(part)s is counted by quantity: it has no unique IDs.")
                                               % {"part": spec.part.number}]})
        if spec.release < 0 or spec.release > spec.quantity:
            raise ValidationError(_("A move releases at most its own quantity of a reservation."))

    keys = set()
    for spec in specs:
        for location in (spec.from_location, spec.to_location):
            if location is not None:
                keys.add((spec.part.pk, location.pk))
    balances = lock_balances(keys)

    # serials: locked, and each must be where the move takes it from
    serial_keys = {(spec.part.pk, s) for spec in specs for s in spec.serials}
    serial_rows: dict[tuple[int, str], PartSerial] = {}
    if serial_keys:
        condition = Q()
        by_part: dict[int, list[str]] = {}
        for part_id, serial in sorted(serial_keys):
            by_part.setdefault(part_id, []).append(serial)
        for part_id, serials in by_part.items():
            condition |= Q(part_id=part_id, serial__in=serials)
        serial_rows = {(s.part_id, s.serial): s for s in
                       PartSerial.objects.select_for_update(of=("self",)).filter(condition).select_related("location")
                       .order_by("part_id", "serial")}
    seen_serials: set[tuple[int, str]] = set()
    for spec in specs:
        for serial in spec.serials:
            key = (spec.part.pk, serial)
            if key in seen_serials:
                errors.append(_("The unique ID %(serial)s moves twice in one posting.") % {"serial": serial})
                continue
            seen_serials.add(key)
            row = serial_rows.get(key)
            here = row.location if row is not None else None
            if spec.from_location is None:
                if here is not None:
                    errors.append(_("The unique ID %(serial)s of %(part)s is already at %(location)s.")
                                  % {"serial": serial, "part": spec.part.number, "location": here.name})
            elif here is None or here.pk != spec.from_location.pk:
                errors.append(_("The unique ID %(serial)s of %(part)s is not at %(location)s (it is %(where)s).") % {
                    "serial": serial, "part": spec.part.number, "location": spec.from_location.name,
                    "where": here.name if here is not None else _("not in stock")})

    # balances: never below zero, never below what is reserved by others
    for spec in specs:
        if spec.from_location is not None:
            balance = balances[(spec.part.pk, spec.from_location.pk)]
            if balance.available + spec.release < spec.quantity or balance.reserved < spec.release:
                errors.append(_on_hand_message(spec.part, spec.from_location, balance, spec.quantity))
                continue
            balance.on_hand -= spec.quantity
            balance.reserved -= spec.release
        if spec.to_location is not None:
            balances[(spec.part.pk, spec.to_location.pk)].on_hand += spec.quantity
    if errors:
        raise ValidationError(errors)

    StockBalance.objects.bulk_update(list(balances.values()), ["on_hand", "reserved"])
    now = timezone.now()
    actor_ = actor if getattr(actor, "is_authenticated", False) else None
    moves = StockMove.objects.bulk_create([
        StockMove(kind=spec.kind, part=spec.part, quantity=spec.quantity, from_location=spec.from_location,
                  to_location=spec.to_location, branch_id=_branch_of(spec), requisition=spec.requisition,
                  work_order=spec.work_order, unit=spec.unit, old_part=spec.old_part, reverses=spec.reverses,
                  note=(spec.note or "")[:500], by=actor_, at=now)
        for spec in specs
    ])
    new_serials = [PartSerial(part=spec.part, serial=s) for spec in specs for s in spec.serials
                   if (spec.part.pk, s) not in serial_rows]
    if new_serials:
        PartSerial.objects.bulk_create(new_serials)
        for row in new_serials:
            serial_rows[(row.part_id, row.serial)] = row
    through = []
    changed = []
    for spec, move in zip(specs, moves, strict=True):
        for serial in spec.serials:
            row = serial_rows[(spec.part.pk, serial)]
            row.location = spec.to_location
            row.unit = spec.fit_unit
            changed.append(row)
            through.append(StockMove.serials.through(stockmove_id=move.pk, partserial_id=row.pk))
    if changed:
        PartSerial.objects.bulk_update(changed, ["location", "unit"])
        StockMove.serials.through.objects.bulk_create(through)
    return moves


def reserve(part: Part, location: Location, quantity: int) -> StockBalance:
    """Set aside ``quantity`` at ``location`` (an approved requisition); refused beyond what is available."""
    quantity = whole_quantity(quantity)
    balance = lock_balances({(part.pk, location.pk)})[(part.pk, location.pk)]
    if balance.available < quantity:
        raise ValidationError(_on_hand_message(part, location, balance, quantity))
    balance.reserved += quantity
    balance.save(update_fields=["reserved"])
    return balance


def release(part: Part, location: Location, quantity: int) -> None:
    balance = lock_balances({(part.pk, location.pk)})[(part.pk, location.pk)]
    balance.reserved = max(0, balance.reserved - quantity)
    balance.save(update_fields=["reserved"])
