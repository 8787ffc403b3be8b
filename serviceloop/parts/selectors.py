"""Reads of the spare parts app that depend on who asks. Every queryset starts at the access gate."""

from __future__ import annotations

from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .choices import WAREHOUSES, LocationKind, OldPartStatus
from .models import (
    Location,
    OldPartReturn,
    Part,
    PartSerial,
    Requisition,
    SafetyStock,
    StockBalance,
    StockMove,
)

ENGINEER_ROLE = "field_engineer"


def _engineer_only(user: Any) -> bool:
    """A field engineer (and no office role) sees their own van, not a colleague's."""
    roles = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
    return roles == {ENGINEER_ROLE}


def locations_visible_to(user: Any) -> QuerySet[Location]:
    qs = Location.objects.restrict(user, "view").select_related("branch", "engineer")
    if _engineer_only(user):
        qs = qs.filter(~Q(kind=LocationKind.VAN) | Q(engineer=user))
    return qs


def parts_visible_to(user: Any) -> QuerySet[Part]:
    return Part.objects.restrict(user, "view")


def part_search(qs: QuerySet[Part], q: str) -> QuerySet[Part]:
    q = q.strip()
    return qs.filter(Q(number__istartswith=q) | Q(name__icontains=q) | Q(specification__icontains=q)
                     | Q(supplier__icontains=q))


def balances_visible_to(user: Any) -> QuerySet[StockBalance]:
    qs = StockBalance.objects.restrict(user, "view").select_related("part", "location", "location__branch")
    if _engineer_only(user):
        qs = qs.filter(~Q(location__kind=LocationKind.VAN) | Q(location__engineer=user))
    return qs


def balance_search(qs: QuerySet[StockBalance], q: str) -> QuerySet[StockBalance]:
    q = q.strip()
    return qs.filter(Q(part__number__istartswith=q) | Q(part__name__icontains=q) | Q(location__code__istartswith=q)
                     | Q(location__name__icontains=q))


def stock_of_part(user: Any, part: Part) -> list[StockBalance]:
    """Every location's on hand, reserved and available of one part (the approver's view)."""
    return list(balances_visible_to(user).filter(part=part).filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
                .order_by("location__kind", "location__code"))


def stock_for_lines(user: Any, part_ids: list[int]) -> dict[int, list[StockBalance]]:
    """Warehouse stock of the parts of a requisition, by part, in one query."""
    out: dict[int, list[StockBalance]] = {pk: [] for pk in part_ids}
    for balance in (balances_visible_to(user).filter(part_id__in=part_ids, location__kind__in=WAREHOUSES)
                    .order_by("location__code")):
        out.setdefault(balance.part_id, []).append(balance)
    return out


def moves_visible_to(user: Any) -> QuerySet[StockMove]:
    qs = StockMove.objects.restrict(user, "view").select_related(
        "part", "from_location", "to_location", "by", "work_order", "requisition")
    if _engineer_only(user):
        qs = qs.exclude(Q(from_location__kind=LocationKind.VAN) & ~Q(from_location__engineer=user)
                        & ~Q(to_location__engineer=user))
        qs = qs.exclude(Q(to_location__kind=LocationKind.VAN) & ~Q(to_location__engineer=user)
                        & ~Q(from_location__engineer=user))
    return qs


def moves_of_location(user: Any, location: Location) -> QuerySet[StockMove]:
    return moves_visible_to(user).filter(Q(from_location=location) | Q(to_location=location))


def serial_life(user: Any, serial: PartSerial) -> QuerySet[StockMove]:
    """A tracked part's whole life: received, issued, fitted to which unit, returned, scrapped."""
    return (StockMove.objects.restrict(user, "view").filter(serials=serial)
            .select_related("from_location", "to_location", "by", "work_order", "unit", "requisition")
            .order_by("at", "id"))


def requisitions_visible_to(user: Any) -> QuerySet[Requisition]:
    return Requisition.objects.restrict(user, "view").select_related(
        "work_order", "work_order__customer", "work_order__branch", "requested_by", "source")


def requisition_search(qs: QuerySet[Requisition], q: str) -> QuerySet[Requisition]:
    q = q.strip()
    return qs.filter(Q(number__istartswith=q) | Q(work_order__number__istartswith=q)
                     | Q(work_order__customer__name__icontains=q) | Q(purpose__icontains=q))


def old_parts_visible_to(user: Any) -> QuerySet[OldPartReturn]:
    qs = OldPartReturn.objects.restrict(user, "view").select_related(
        "part", "work_order", "work_order__branch", "work_order__customer", "engineer")
    if _engineer_only(user):
        qs = qs.filter(engineer=user)
    return qs


def old_part_search(qs: QuerySet[OldPartReturn], q: str) -> QuerySet[OldPartReturn]:
    q = q.strip()
    return qs.filter(Q(part__number__istartswith=q) | Q(serial__istartswith=q) | Q(work_order__number__istartswith=q)
                     | Q(engineer__display_name__icontains=q))


def overdue_old_parts(user: Any) -> QuerySet[OldPartReturn]:
    return old_parts_visible_to(user).filter(status=OldPartStatus.DUE, due_date__lt=timezone.localdate())


def below_safety_stock(user: Any) -> QuerySet[SafetyStock]:
    """Safety stocks whose location holds less (on hand) than the minimum: the reorder list."""
    on_hand = StockBalance.objects.filter(part=OuterRef("part"), location=OuterRef("location")).values("on_hand")[:1]
    return (SafetyStock.objects.restrict(user, "view").select_related("part", "location")
            .annotate(on_hand=Coalesce(Subquery(on_hand), 0)).filter(on_hand__lt=F("minimum"))
            .order_by("part__number", "location__code"))


def parts_of_work_order(user: Any, work_order: Any) -> list[StockMove]:
    """The parts fitted on a work order, from the ledger (the consumption moves not reversed)."""
    from .choices import MoveKind

    return list(StockMove.objects.restrict(user, "view").filter(
        work_order=work_order, kind=MoveKind.CONSUMPTION, reverses__isnull=True, reversed_by__isnull=True)
        .select_related("part", "by").prefetch_related("serials").order_by("at", "id"))


def parts_of_unit(user: Any, unit: Any) -> list[StockMove]:
    from .choices import MoveKind

    return list(StockMove.objects.restrict(user, "view").filter(
        unit=unit, kind=MoveKind.CONSUMPTION, reverses__isnull=True, reversed_by__isnull=True)
        .select_related("part", "work_order", "by").prefetch_related("serials").order_by("-at", "-id")[:50])
