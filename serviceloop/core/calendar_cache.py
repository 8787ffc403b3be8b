"""Working calendars as CalendarSpecs, kept in memory per process (one spec object per calendar, so
the SLA arithmetic built on it is shared too) and loaded again after any change of a work calendar
or a company day anywhere (the cache stamp, see core/stamps.py)."""

from __future__ import annotations

from .stamps import StampedCache
from .workcalendar import CalendarSpec, parse_periods

ROUND_THE_CLOCK = CalendarSpec(round_the_clock=True)


def _load_overrides(_key: None) -> dict:
    from .models import CalendarDay

    return dict(CalendarDay.objects.values_list("date", "is_working"))


def _load_spec(calendar_id: int | None) -> CalendarSpec:
    from .models import WorkCalendar

    calendars = WorkCalendar.objects.all()
    calendar = (calendars.filter(is_default=True) if calendar_id is None else calendars.filter(pk=calendar_id)).first()
    if calendar is not None and calendar.round_the_clock:
        return ROUND_THE_CLOCK
    overrides = _OVERRIDES.get()
    if calendar is None:
        return CalendarSpec(overrides=overrides)
    return CalendarSpec(periods=parse_periods(calendar.working_hours), overrides=overrides)


_OVERRIDES = StampedCache(_load_overrides)
_SPECS = StampedCache(_load_spec, max_entries=1000)


def spec_for_calendar(calendar_id: int | None) -> CalendarSpec:
    """The spec of a calendar (None: the default calendar; no such calendar: Monday to Friday with
    the statutory and company days), as ``service.sla.policies.SpecCache.for_calendar`` builds it."""
    return _SPECS.get(calendar_id)
