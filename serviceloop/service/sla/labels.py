"""SLA targets as people say them: "4 h", "3 working days", "1 working day 4 h" instead of working minutes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DEFAULT_DAY_MINUTES = 8 * 60  # the built-in working day (08:30-12:00, 13:00-17:30): SlaPolicy's help text


def working_time(minutes: int | None, day_minutes: int = DEFAULT_DAY_MINUTES, *, round_the_clock: bool = False) -> str:
    """Working minutes as working days, hours and minutes (a 24/7 calendar counts days of 24 hours)."""
    if minutes is None:
        return ""
    minutes = int(minutes)
    day = 24 * 60 if round_the_clock else max(int(day_minutes), 1)
    days, rest = divmod(minutes, day) if minutes >= day else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days} if round_the_clock
                     else ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if mins or not parts:
        parts.append(_("%(n)d min") % {"n": mins})
    return " ".join(parts)


def policy_day_minutes(policy: Any) -> tuple[int, bool]:
    """The length of the policy's working day in minutes, and whether it counts round the clock."""
    calendar = getattr(policy, "calendar", None)
    if calendar is None:
        return DEFAULT_DAY_MINUTES, False
    if calendar.round_the_clock:
        return 24 * 60, True
    from serviceloop.core.workcalendar import CalendarSpec, parse_periods

    try:
        spec = CalendarSpec(periods=parse_periods(calendar.working_hours))
    except ValueError:
        return DEFAULT_DAY_MINUTES, False
    return int(spec.day_length.total_seconds() // 60) or DEFAULT_DAY_MINUTES, False


def target_label(policy: Any, minutes: int | None) -> str:
    day, round_the_clock = policy_day_minutes(policy)
    return working_time(minutes, day, round_the_clock=round_the_clock)
