"""Writes of the spare parts app: catalogue, locations, stock operations and the requisition flow
(申领 -> 审批 -> 发放 -> 签收 -> 装机 -> 旧件回收). Every stock change goes through ``ledger.post``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from serviceloop.accounts.models import Branch
from serviceloop.core.concurrency import check_version, save_and_record, save_versioned
from serviceloop.core.messages import message
from serviceloop.core.notifications import notify, users_with_role
from serviceloop.core.numbering import next_number
from serviceloop.core.scoping import is_customer
from serviceloop.core.timeline import record_event
from serviceloop.workorders.choices import FIELD_STATUSES, FeeKind
from serviceloop.workorders.models import FeeLine, WorkOrder, WorkOrderAssignment

from . import ledger
from .choices import RETURN_DAYS, WAREHOUSES, LocationKind, MoveKind, OldPartStatus, RequisitionStatus
from .ledger import MoveSpec, clean_serials, whole_quantity
from .models import (
    Location,
    OldPartReturn,
    Part,
    PartSerial,
    Requisition,
    RequisitionLine,
    SafetyStock,
    StockMove,
)

RS = RequisitionStatus
MAX_LINES = 20
WAREHOUSE_ROLE = "warehouse"
PERM_APPROVE = "parts.approve_requisition"
PERM_ISSUE = "parts.issue_requisition"
PERM_STOCK = "parts.add_stockmove"


def _text(value: Any, limit: int = 4000) -> str:
    return ("" if value is None else str(value)).strip()[:limit]


def _require(actor: Any, perm: str, message: str | None = None) -> None:
    if is_customer(actor) or not actor.has_perm(perm):
        raise PermissionDenied(message or _("Your role does not allow this."))


# ---------------------------------------------------------------- catalogue and locations

@transaction.atomic
def part_save(*, user: Any, instance: Part, expected_version: int | None = None,
              compatible_models: Any = None, **_ignored: Any) -> Part:
    """Add or change a catalogue part. The tracking of a part with stock cannot change."""
    _require(user, "parts.add_part" if instance._state.adding else "parts.change_part")
    instance.number = _text(instance.number, 40).upper()
    if not instance._state.adding:
        stored = Part.objects.filter(pk=instance.pk).values_list("tracking", flat=True).first()
        if stored and stored != instance.tracking and StockMove.objects.filter(part_id=instance.pk).exists():
            raise ValidationError({"tracking": [_("The tracking of a part that has stock moves cannot change.")]})
    save_and_record(instance, user=user, expected_version=expected_version)
    if compatible_models is not None:
        instance.compatible_models.set(compatible_models)
    return instance


@transaction.atomic
def location_save(*, user: Any, instance: Location, expected_version: int | None = None, **_ignored: Any) -> Location:
    _require(user, "parts.add_location" if instance._state.adding else "parts.change_location")
    instance.code = _text(instance.code, 30).upper()
    if instance.kind == LocationKind.VAN and instance.engineer_id is None:
        raise ValidationError({"engineer": [_("A van belongs to an engineer.")]})
    if instance.kind != LocationKind.VAN:
        instance.engineer = None
    return save_and_record(instance, user=user, expected_version=expected_version)


@transaction.atomic
def safety_stock_set(*, user: Any, part: Part, location: Location, minimum: Any) -> SafetyStock | None:
    _require(user, "parts.change_part")
    if minimum in (None, "", 0, "0"):
        SafetyStock.objects.filter(part=part, location=location).delete()
        return None
    minimum = whole_quantity(minimum, field_name="minimum")
    row, _created = SafetyStock.objects.update_or_create(part=part, location=location, defaults={"minimum": minimum})
    return row


def _headquarters() -> Branch:
    branch = Branch.objects.filter(is_headquarters=True).order_by("pk").first()
    if branch is None:
        raise ValidationError(_("No headquarters branch is set up."))
    return branch


def van_of(engineer: Any) -> Location:
    """The engineer's van (车载库), set up on first use."""
    van = Location.objects.filter(kind=LocationKind.VAN, engineer=engineer).first()
    if van is not None:
        return van
    branch = engineer.branch or _headquarters()
    Location.objects.bulk_create([Location(code=f"VAN-{engineer.username}".upper()[:30],
                                           name=_("Van of %(name)s") % {"name": engineer}, kind=LocationKind.VAN,
                                           branch=branch, engineer=engineer)], ignore_conflicts=True)
    return Location.objects.get(kind=LocationKind.VAN, engineer=engineer)


def special_location(kind: str, branch: Branch | None) -> Location:
    """The branch's one location of ``kind`` (customer site, quarantine, scrap, in transit), set up on first use."""
    branch = branch or _headquarters()
    found = Location.objects.filter(kind=kind, branch=branch, active=True).order_by("pk").first()
    if found is not None:
        return found
    code = f"{kind.upper()}-{branch.code}"[:30]
    Location.objects.bulk_create([Location(code=code, name=f"{branch.name} {LocationKind(kind).label}",
                                           kind=kind, branch=branch)], ignore_conflicts=True)
    return Location.objects.get(code=code)


# ---------------------------------------------------------------- stock operations

@transaction.atomic
def stock_receive(*, actor: Any, part: Part, location: Location, quantity: Any, serials: Any = None,
                  note: str = "") -> StockMove:
    """入库: parts received from a supplier (or a purchase) into a warehouse."""
    _require(actor, PERM_STOCK)
    if location.kind not in WAREHOUSES and location.kind != LocationKind.BENCH:
        raise ValidationError({"location": [_("Stock is received into a warehouse.")]})
    if not part.active:
        raise ValidationError({"part": [_("This part is no longer active.")]})
    (move,) = ledger.post([MoveSpec(MoveKind.RECEIPT, part, quantity, to_location=location,
                                    serials=clean_serials(serials), note=_text(note, 500))], actor=actor)
    record_event(part, actor=actor, verb="stock_received", note=f"{location.code} +{move.quantity}",
                 quantity=move.quantity)
    return move


@transaction.atomic
def stock_transfer(*, actor: Any, part: Part, from_location: Location, to_location: Location, quantity: Any,
                   serials: Any = None, kind: str = MoveKind.TRANSFER, note: str = "") -> StockMove:
    """One direct move between two locations (scrap, return to supplier, a shelf move)."""
    _require(actor, PERM_STOCK)
    (move,) = ledger.post([MoveSpec(kind, part, quantity, from_location=from_location, to_location=to_location,
                                    serials=clean_serials(serials), note=_text(note, 500))], actor=actor)
    return move


@transaction.atomic
def move_reverse(*, actor: Any, move: StockMove, note: str = "") -> StockMove:
    """A mistake is corrected by the opposite move (never by editing or deleting the first one)."""
    _require(actor, PERM_STOCK)
    original = StockMove.objects.select_for_update(of=("self",)).select_related(
        "part", "from_location", "to_location").get(pk=move.pk)
    if original.reverses_id is not None:
        raise ValidationError(_("A reversing move is not reversed again: post the move anew."))
    if StockMove.objects.filter(reverses=original).exists():
        raise ValidationError(_("This move has already been reversed."))
    serials = list(original.serials.values_list("serial", flat=True))
    fit_unit = None
    if original.kind == MoveKind.OLD_PART_RETURN and original.from_location is not None:
        fit_unit = original.unit
    (reversal,) = ledger.post([MoveSpec(
        original.kind, original.part, original.quantity, from_location=original.to_location,
        to_location=original.from_location, serials=serials, requisition=original.requisition,
        work_order=original.work_order, unit=original.unit, reverses=original, fit_unit=fit_unit,
        note=_text(note, 500) or _("reverses move %(id)s") % {"id": original.pk})], actor=actor)
    if original.requisition_id and original.kind == MoveKind.CONSUMPTION:
        line = RequisitionLine.objects.select_for_update().filter(
            requisition_id=original.requisition_id, part=original.part, quantity_fitted__gte=original.quantity).first()
        if line is not None:
            line.quantity_fitted -= original.quantity
            line.save(update_fields=["quantity_fitted"])
            Requisition.objects.filter(pk=original.requisition_id, status=RS.CLOSED).update(status=RS.RECEIVED)
    record_event(original.part, actor=actor, verb="move_reversed", note=reversal.note, quantity=original.quantity)
    return reversal


# ---------------------------------------------------------------- requisitions (备件申领单)

def _lock(requisition: Requisition) -> Requisition:
    return (Requisition.objects.select_for_update(of=("self",))
            .select_related("work_order", "work_order__branch", "work_order__unit", "requested_by", "source", "target")
            .get(pk=requisition.pk))


def on_team(user: Any, work_order: WorkOrder) -> bool:
    return WorkOrderAssignment.objects.filter(work_order=work_order, engineer_id=user.pk,
                                              released_at__isnull=True).exists()


@transaction.atomic
def requisition_create(*, actor: Any, work_order: WorkOrder, purpose: str, lines: list[tuple[Part, Any]]) -> Requisition:
    """An engineer on the job asks for parts; customer and unit come from the work order."""
    _require(actor, "parts.add_requisition")
    work_order = WorkOrder.objects.select_for_update(of=("self",)).select_related("branch", "unit").get(pk=work_order.pk)
    if not on_team(actor, work_order):
        raise PermissionDenied(_("Only the engineers assigned to this work order may ask for its parts."))
    if work_order.status not in FIELD_STATUSES:
        raise ValidationError(_("Parts are asked for while the job is open (this one is “%(status)s”).")
                              % {"status": work_order.get_status_display()})
    errors: dict[str, list[str]] = {}
    purpose = _text(purpose)
    if not purpose:
        errors["purpose"] = [_("Say what the parts are for.")]
    cleaned: list[tuple[Part, int]] = []
    seen: set[int] = set()
    if not lines:
        errors["lines"] = [_("Ask for at least one part.")]
    if len(lines) > MAX_LINES:
        errors["lines"] = [_("At most %(max)s parts on one requisition.") % {"max": MAX_LINES}]
    for number, (part, quantity) in enumerate(lines[:MAX_LINES], start=1):
        try:
            quantity = whole_quantity(quantity, maximum=10_000)
        except ValidationError as exc:
            errors.setdefault("lines", []).append(_("Line %(n)s: %(error)s") % {"n": number, "error": exc.messages[0]})
            continue
        if part is None or not part.active:
            errors.setdefault("lines", []).append(_("Line %(n)s: choose an active part.") % {"n": number})
            continue
        if part.pk in seen:
            errors.setdefault("lines", []).append(_("Line %(n)s: %(part)s is already on the requisition.")
                                                  % {"n": number, "part": part.number})
            continue
        seen.add(part.pk)
        cleaned.append((part, quantity))
    if errors:
        raise ValidationError(errors)
    requisition = Requisition(number=next_number("PR"), work_order=work_order, requested_by=actor, purpose=purpose)
    save_versioned(requisition, expected_version=None, user=actor)
    RequisitionLine.objects.bulk_create([RequisitionLine(requisition=requisition, part=part, quantity=quantity)
                                         for part, quantity in cleaned])
    record_event(requisition, actor=actor, verb="requisition_submitted", to_state=RS.SUBMITTED, note=purpose)
    record_event(work_order, actor=actor, verb="requisition_submitted", note=requisition.number)
    notify(recipients=users_with_role(WAREHOUSE_ROLE), kind="requisition_submitted", obj=requisition,
           subject=message(gettext_noop("Requisition %(number)s for work order %(wo)s"), **{"number": requisition.number,
                                                                       "wo": work_order.number}),
           body=purpose)
    return requisition


def _decisions(requisition: Requisition, decisions: Any) -> dict[int, tuple[int, str]]:
    """{line id: (approved quantity, reason)} checked against the lines: 0..asked, a reason when less."""
    lines = {line.pk: line for line in requisition.lines.select_related("part")}
    out: dict[int, tuple[int, str]] = {}
    errors: list[str] = []
    for item in decisions or []:
        line_id = item.get("line")
        line_id = getattr(line_id, "pk", line_id)
        line = lines.get(line_id)
        if line is None:
            errors.append(_("Line %(id)s is not on this requisition.") % {"id": line_id})
            continue
        quantity = item.get("quantity")
        if quantity in (0, "0"):
            quantity = 0
        else:
            try:
                quantity = whole_quantity(quantity, maximum=line.quantity)
            except ValidationError as exc:
                errors.append(f"{line.part.number}: {exc.messages[0]}")
                continue
        reason = _text(item.get("reason"), 500)
        if quantity < line.quantity and not reason:
            errors.append(_("%(part)s: say why fewer than asked are approved.") % {"part": line.part.number})
        out[line.pk] = (quantity, reason)
    missing = [lines[pk].part.number for pk in lines if pk not in out]
    if missing:
        errors.append(_("Decide every line (missing: %(parts)s).") % {"parts": ", ".join(missing)})
    if errors:
        raise ValidationError({"lines": errors})
    return out


@transaction.atomic
def requisition_approve(*, actor: Any, requisition: Requisition, source: Location, decisions: Any,
                        expected_version: int | None = None) -> Requisition:
    """The parts department approves (all or part of each line, a reason for what is cut) from one
    warehouse; the approved quantities are reserved there."""
    _require(actor, PERM_APPROVE, _("Only the parts department approves requisitions."))
    requisition = _lock(requisition)
    check_version(requisition, expected_version)
    if requisition.status != RS.SUBMITTED:
        raise ValidationError(_("Only a submitted requisition is approved; this one is “%(status)s”.")
                              % {"status": requisition.get_status_display()})
    if source is None or source.kind not in WAREHOUSES or not source.active:
        raise ValidationError({"source": [_("Choose the warehouse the parts are issued from.")]})
    chosen = _decisions(requisition, decisions)
    if not any(quantity for quantity, _reason in chosen.values()):
        raise ValidationError({"lines": [_("Nothing is approved: refuse the requisition with a reason instead.")]})
    lines = list(requisition.lines.select_related("part"))
    ledger.lock_balances({(line.part_id, source.pk) for line in lines})
    errors = []
    for line in lines:
        quantity, reason = chosen[line.pk]
        if quantity:
            try:
                ledger.reserve(line.part, source, quantity)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
        line.quantity_approved = quantity
        line.refusal_reason = reason
    if errors:
        raise ValidationError({"lines": errors})
    RequisitionLine.objects.bulk_update(lines, ["quantity_approved", "refusal_reason"])
    requisition.status = RS.APPROVED
    requisition.source = source
    requisition.decided_by = actor
    requisition.decided_at = timezone.now()
    save_versioned(requisition, expected_version=None, user=actor)
    partly = any(line.quantity_approved < line.quantity for line in lines)
    record_event(requisition, actor=actor, verb="requisition_approved", from_state=RS.SUBMITTED, to_state=RS.APPROVED,
                 note=_("partly approved") if partly else "")
    notify(recipients=[requisition.requested_by], kind="requisition_approved", obj=requisition,
           subject=message(gettext_noop("Requisition %(number)s approved"), **{"number": requisition.number}))
    return requisition


@transaction.atomic
def requisition_refuse(*, actor: Any, requisition: Requisition, reason: str,
                       expected_version: int | None = None) -> Requisition:
    _require(actor, PERM_APPROVE, _("Only the parts department approves requisitions."))
    requisition = _lock(requisition)
    check_version(requisition, expected_version)
    if requisition.status != RS.SUBMITTED:
        raise ValidationError(_("Only a submitted requisition is refused; this one is “%(status)s”.")
                              % {"status": requisition.get_status_display()})
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the refusal.")]})
    requisition.status = RS.REFUSED
    requisition.refusal_reason = reason
    requisition.decided_by = actor
    requisition.decided_at = timezone.now()
    save_versioned(requisition, expected_version=None, user=actor)
    record_event(requisition, actor=actor, verb="requisition_refused", from_state=RS.SUBMITTED, to_state=RS.REFUSED,
                 note=reason)
    notify(recipients=[requisition.requested_by], kind="requisition_refused", obj=requisition,
           subject=message(gettext_noop("Requisition %(number)s refused"), **{"number": requisition.number}), body=reason)
    return requisition


def _pick_serials(part: Part, location: Location, quantity: int) -> list[str]:
    return list(PartSerial.objects.filter(part=part, location=location).order_by("pk")
                .values_list("serial", flat=True)[:quantity])


@transaction.atomic
def requisition_issue(*, actor: Any, requisition: Requisition, serials: dict[int, Any] | None = None,
                      expected_version: int | None = None) -> Requisition:
    """发放: the approved parts leave the warehouse for the engineer's van; the reservation is used up.
    Unique IDs of tracked parts are given (scanned) or taken oldest first."""
    _require(actor, PERM_ISSUE, _("Only the warehouse issues spare parts."))
    requisition = _lock(requisition)
    check_version(requisition, expected_version)
    if requisition.status != RS.APPROVED:
        raise ValidationError(_("Only an approved requisition is issued; this one is “%(status)s”.")
                              % {"status": requisition.get_status_display()})
    van = van_of(requisition.requested_by)
    lines = [line for line in requisition.lines.select_related("part") if line.quantity_approved]
    specs = []
    for line in lines:
        given = clean_serials((serials or {}).get(line.pk))
        if line.part.serial_tracked and not given:
            given = _pick_serials(line.part, requisition.source, line.quantity_approved)
        specs.append(MoveSpec(MoveKind.ISSUE, line.part, line.quantity_approved, from_location=requisition.source,
                              to_location=van, serials=given, release=line.quantity_approved,
                              requisition=requisition, work_order=requisition.work_order,
                              unit=requisition.work_order.unit))
        line.quantity_issued = line.quantity_approved
    ledger.post(specs, actor=actor)
    RequisitionLine.objects.bulk_update(lines, ["quantity_issued"])
    requisition.status = RS.ISSUED
    requisition.target = van
    requisition.issued_by = actor
    requisition.issued_at = timezone.now()
    save_versioned(requisition, expected_version=None, user=actor)
    record_event(requisition, actor=actor, verb="requisition_issued", from_state=RS.APPROVED, to_state=RS.ISSUED,
                 note=van.name)
    notify(recipients=[requisition.requested_by], kind="requisition_issued", obj=requisition,
           subject=message(gettext_noop("Parts of %(number)s issued to your van"), **{"number": requisition.number}))
    return requisition


@transaction.atomic
def requisition_confirm(*, actor: Any, requisition: Requisition, expected_version: int | None = None) -> Requisition:
    """签收: the engineer confirms the issued parts arrived (on the phone)."""
    requisition = _lock(requisition)
    if actor.pk != requisition.requested_by_id:
        raise PermissionDenied(_("Only the engineer who asked for the parts confirms their receipt."))
    check_version(requisition, expected_version)
    if requisition.status != RS.ISSUED:
        raise ValidationError(_("Only issued parts are confirmed; this requisition is “%(status)s”.")
                              % {"status": requisition.get_status_display()})
    requisition.status = RS.RECEIVED
    requisition.received_at = timezone.now()
    save_versioned(requisition, expected_version=None, user=actor)
    record_event(requisition, actor=actor, verb="requisition_received", from_state=RS.ISSUED, to_state=RS.RECEIVED)
    return requisition


@transaction.atomic
def requisition_fit(*, actor: Any, requisition: Requisition, line: Any, quantity: Any = 1, serial: str = "",
                    old_serial: str = "", note: str = "", expected_version: int | None = None) -> StockMove:
    """装机: a part from the van is fitted to the work order's unit (a consumption move to the customer
    site); the replaced old part is owed back by the due date of its category."""
    requisition = _lock(requisition)
    work_order = requisition.work_order
    if not on_team(actor, work_order):
        raise PermissionDenied(_("Only the engineers assigned to this work order fit its parts."))
    check_version(requisition, expected_version)
    if requisition.status != RS.RECEIVED:
        raise ValidationError(_("Parts are fitted after the engineer confirmed their receipt; this requisition is "
                                "“%(status)s”.") % {"status": requisition.get_status_display()})
    line_id = getattr(line, "pk", line)
    line = RequisitionLine.objects.select_for_update().select_related("part").filter(
        requisition=requisition, pk=line_id).first()
    if line is None:
        raise ValidationError({"line": [_("Choose a part of this requisition.")]})
    quantity = whole_quantity(quantity, maximum=10_000)
    if quantity > line.to_fit:
        raise ValidationError({"quantity": [_("Only %(left)s of %(part)s are left to fit on this requisition.")
                                            % {"left": line.to_fit, "part": line.part.number}]})
    serials = clean_serials(serial)
    if line.part.serial_tracked and len(serials) != quantity:
        raise ValidationError({"serial": [_("Scan or type the unique ID of each piece fitted.")]})
    site = special_location(LocationKind.SITE, work_order.branch)
    (move,) = ledger.post([MoveSpec(MoveKind.CONSUMPTION, line.part, quantity, from_location=requisition.target,
                                    to_location=site, serials=serials, requisition=requisition, work_order=work_order,
                                    unit=work_order.unit, fit_unit=work_order.unit, note=_text(note, 500))],
                          actor=actor)
    line.quantity_fitted += quantity
    line.save(update_fields=["quantity_fitted"])
    old_serial = clean_serials(old_serial)
    days = RETURN_DAYS.get(line.part.category)
    if days is not None or old_serial:
        OldPartReturn.objects.create(
            work_order=work_order, line=line, part=line.part, serial=old_serial[0] if old_serial else "",
            quantity=quantity if not line.part.serial_tracked else 1, engineer=actor,
            due_date=timezone.localdate() + dt.timedelta(days=days if days is not None else 15), updated_by=actor)
    if work_order.chargeable and line.part.sale_price > 0:
        fee = FeeLine(work_order=work_order, kind=FeeKind.PARTS, description=f"{line.part.number} {line.part.name}"[:200],
                      quantity=Decimal(quantity), unit_price=line.part.sale_price)
        fee.amount = fee.compute_amount()
        fee.save()
        record_event(work_order, actor=actor, verb="fee_added", note=f"{fee.description} {fee.amount}",
                     data={"fee_line": fee.pk, "amount": str(fee.amount)})
    if all(x.quantity_fitted >= x.quantity_issued for x in requisition.lines.all()):
        requisition.status = RS.CLOSED
    save_versioned(requisition, expected_version=None, user=actor)
    record_event(requisition, actor=actor, verb="part_fitted", note=f"{line.part.number} {' '.join(serials)}".strip(),
                 quantity=quantity)
    record_event(work_order, actor=actor, verb="part_fitted", note=f"{line.part.number} {' '.join(serials)}".strip(),
                 quantity=quantity)
    return move


# ---------------------------------------------------------------- old parts (旧件回收)

@transaction.atomic
def old_part_receive(*, actor: Any, old_part: OldPartReturn, location: Location | None = None, serial: str = "",
                     expected_version: int | None = None) -> OldPartReturn:
    """The old part comes back into quarantine (from the customer site when the books know it there)."""
    _require(actor, PERM_STOCK, _("Only the warehouse receives old parts."))
    old_part = OldPartReturn.objects.select_for_update(of=("self",)).select_related(
        "part", "work_order", "work_order__branch", "work_order__unit").get(pk=old_part.pk)
    check_version(old_part, expected_version)
    if old_part.status != OldPartStatus.DUE:
        raise ValidationError(_("This old part has already been received."))
    location = location or special_location(LocationKind.QUARANTINE, old_part.work_order.branch)
    if location.kind != LocationKind.QUARANTINE:
        raise ValidationError({"location": [_("Old parts are received into quarantine.")]})
    serials = clean_serials(serial) or clean_serials(old_part.serial)
    if old_part.part.serial_tracked and len(serials) != 1:
        raise ValidationError({"serial": [_("Type the unique ID read on the old part.")]})
    if not old_part.part.serial_tracked:
        serials = []
    source = None
    if serials:
        known = PartSerial.objects.filter(part=old_part.part, serial=serials[0]).select_related("location").first()
        if known is not None and known.location is not None and known.location.kind == LocationKind.SITE:
            source = known.location
    ledger.post([MoveSpec(MoveKind.OLD_PART_RETURN, old_part.part, old_part.quantity, from_location=source,
                          to_location=location, serials=serials, work_order=old_part.work_order,
                          unit=old_part.work_order.unit, old_part=old_part)], actor=actor)
    old_part.status = OldPartStatus.RECEIVED
    old_part.serial = serials[0] if serials else old_part.serial
    old_part.received_by = actor
    old_part.received_at = timezone.now()
    old_part.location = location
    save_versioned(old_part, expected_version=None, user=actor)
    record_event(old_part, actor=actor, verb="old_part_received", from_state=OldPartStatus.DUE,
                 to_state=OldPartStatus.RECEIVED, note=location.name)
    return old_part
