"""Warranty: when it starts and ends, and what a unit is entitled to on a given date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, gettext_noop

from serviceloop.core.messages import join, message

from .choices import WarrantyBasis, WarrantyState
from .models import ServiceContract, Unit

_BASIS_FIELDS = {
    WarrantyBasis.ACCEPTANCE: "acceptance_date",
    WarrantyBasis.INSTALL: "install_date",
    WarrantyBasis.SHIP: "ship_date",
}


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def warranty_end_for(start: date, months: int) -> date:
    target = add_months(start, months)
    if target.day < start.day:  # the month has no matching day: the period ends on its last day
        return target
    return target - timedelta(days=1)


def warranty_period(unit: Unit) -> tuple[str, date | None, date | None]:
    """(basis, start, end): the first date present in settings.WARRANTY_START_ORDER starts it.

    The warranty covers ``warranty_months`` months: it ends the day before the same day of the
    month, or on the last day of the month when that month has no such day (Jan 31 + 1 month ->
    Feb 28), as periods counted in months are reckoned in Chinese civil law.
    """
    for basis in settings.WARRANTY_START_ORDER:
        attr = _BASIS_FIELDS.get(basis)
        if attr is None:
            continue
        start = getattr(unit, attr)
        if start:
            months = unit.product_model.warranty_months
            end = warranty_end_for(start, months) if months else None
            return basis, start, end
    return WarrantyBasis.NONE, None, None


def refresh_warranty(unit: Unit) -> None:
    """Store the derived period on the unit (so lists can filter by it); the caller saves."""
    basis, start, end = warranty_period(unit)
    unit.warranty_basis, unit.warranty_start, unit.warranty_end = basis, start, end


@dataclass
class WarrantyVerdict:
    state: str
    message: Any  # why, as a stored message (core/messages.py): shown in each reader's language
    warranty_end: date | None = None
    contract: ServiceContract | None = None
    contracts: list[ServiceContract] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """Why, in the active language."""
        return str(self.message)

    @property
    def label(self) -> str:
        return str(WarrantyState(self.state).label)

    @property
    def css(self) -> str:
        return {"in_warranty": "success", "contract": "info", "chargeable": "warning"}[self.state]


def _d(value: date) -> str:
    return date_format(value, "Y-m-d")


def warranty_state(unit: Unit, on: date) -> WarrantyVerdict:
    """For this unit on this date: in warranty / under contract / chargeable, and why."""
    basis, start, end = warranty_period(unit)
    contracts = [
        c for c in unit.contracts.all() if c.start_date <= on <= c.end_date
    ]
    contracts.sort(key=lambda c: (c.end_date, c.pk), reverse=True)
    active = contracts[0] if contracts else None
    if start and end and start <= on <= end:
        reason: Any = message(
            gettext_noop("In warranty until %(end)s (%(months)s months from the %(basis)s %(start)s)."),
            end=_d(end), months=unit.product_model.warranty_months, basis=WarrantyBasis(basis).label, start=_d(start),
        )
        if active:
            reason = join(reason, message(gettext_noop("Contract %(number)s also applies."), number=active.number),
                          sep=" ")
        return WarrantyVerdict(WarrantyState.IN_WARRANTY, reason, end, active, contracts)
    if active:
        reason = message(
            gettext_noop("Covered by contract %(number)s (%(start)s to %(end)s: %(coverage)s)."),
            number=active.number, start=_d(active.start_date), end=_d(active.end_date),
            coverage=active.coverage_keys() or gettext_lazy("nothing listed"),
        )
        return WarrantyVerdict(WarrantyState.CONTRACT, reason, end, active, contracts)
    if start is None:
        reason = message(gettext_noop(
            "No ship, installation or acceptance date is recorded, so no warranty can be established."))
    elif start > on:
        reason = message(gettext_noop("The warranty starts only on %(start)s."), start=_d(start))
    elif end is None:
        reason = message(gettext_noop("This product model carries no warranty."))
    else:
        reason = message(gettext_noop("Warranty ended on %(end)s and no service contract covers %(on)s."),
                         end=_d(end), on=_d(on))
    return WarrantyVerdict(WarrantyState.CHARGEABLE, reason, end, None, [])
