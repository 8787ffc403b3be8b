"""Working-day calendar (工作日历): Chinese statutory holidays and make-up working days (调休),
company holidays and make-up days from the database, working hours per day, and 24/7 calendars.

All arithmetic is done in the calendar's local time zone (Asia/Shanghai); inputs and outputs are
aware datetimes (stored in UTC by Django). Years the ``chinesecalendar`` package does not cover
fall back to "Monday to Friday without the public holidays the law fixes" (``holidays_fixed_by_law``:
New Year, Spring Festival, Qingming, Labour Day, Dragon Boat, Mid-Autumn and National Day, the lunar
ones from ``lunar_python``) plus the database's days. The State Council's yearly schedule (extra days
off, make-up working days 调休) is not known then: the status page warns until it is entered
(admin: company calendar days, "Load official schedule"; ``manage.py load_holiday_schedule``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lunar_python import Lunar

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS_SCANNED = 3660  # ten years: beyond that a target is unreachable (a calendar with no working time)


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """'08:30-12:00,13:00-17:30' -> ((08:30, 12:00), (13:00, 17:30)); validated, sorted, non-overlapping."""
    periods = []
    for chunk in text.replace("，", ",").split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            start_text, end_text = (part.strip() for part in chunk.split("-"))
            start = time.fromisoformat(start_text if len(start_text) > 4 else f"0{start_text}")
            end = time.fromisoformat(end_text if len(end_text) > 4 else f"0{end_text}")
        except ValueError:
            raise ValueError(_("Working hours must look like 08:30-12:00,13:00-17:30.")) from None
        if end <= start:
            raise ValueError(_("A working period must end after it starts: %(period)s.") % {"period": chunk})
        periods.append((start, end))
    periods.sort()
    for (_s1, e1), (s2, _e2) in zip(periods, periods[1:], strict=False):
        if s2 < e1:
            raise ValueError(_("Working periods overlap."))
    if not periods:
        raise ValueError(_("At least one working period is needed."))
    return tuple(periods)


@functools.cache
def statutory_years() -> tuple[int, int]:
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return years[0], years[-1]


def statutory_data_covers(day: date) -> bool:
    first, last = statutory_years()
    return first <= day.year <= last


# 《全国年节及纪念日放假办法》 as amended by the State Council on 2024-11-10 (in force since 2025-01-01):
# the days off for everyone that the law itself fixes. The yearly schedule (which weekdays are added to
# make a holiday block, which weekends are worked instead: 调休) is published each year and is not here.
LAW_IN_FORCE_FROM = 2025
HOLIDAY_LABELS = {  # the codes are chinesecalendar's Holiday names
    "new_years_day": gettext_lazy("New Year's Day"),
    "spring_festival": gettext_lazy("Spring Festival"),
    "tomb_sweeping_day": gettext_lazy("Qingming Festival"),
    "labour_day": gettext_lazy("Labour Day"),
    "dragon_boat_festival": gettext_lazy("Dragon Boat Festival"),
    "mid_autumn_festival": gettext_lazy("Mid-Autumn Festival"),
    "national_day": gettext_lazy("National Day"),
}


@functools.cache
def holidays_fixed_by_law(year: int) -> dict[date, str]:
    """The public holidays the law fixes in ``year``: date -> holiday code (``HOLIDAY_LABELS``).

    New Year's Day 1-1; Spring Festival 4 days (New Year's Eve 除夕 and the first three days of the
    first lunar month); Qingming 1 day (the day of the solar term 清明); Labour Day 5-1 and 5-2; Dragon
    Boat 1 day (5th of the 5th lunar month); Mid-Autumn 1 day (15th of the 8th lunar month); National
    Day 10-1 to 10-3. Where two fall on one day (Mid-Autumn on 10-1), the day is listed once.
    """
    days: dict[date, str] = {}

    def add(day: date, code: str) -> None:
        days.setdefault(day, code)

    add(date(year, 1, 1), "new_years_day")
    add(date(year, 5, 1), "labour_day")
    add(date(year, 5, 2), "labour_day")
    for d in (1, 2, 3):
        add(date(year, 10, d), "national_day")
    try:
        new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())
        for offset in range(-1, 3):  # 除夕 (the day before the lunar new year, 29th or 30th) .. 初三
            add(new_year + timedelta(days=offset), "spring_festival")
        qingming = _solar(Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"])
        if qingming.year == year:
            add(qingming, "tomb_sweeping_day")
        add(_solar(Lunar.fromYmd(year, 5, 5).getSolar()), "dragon_boat_festival")
        add(_solar(Lunar.fromYmd(year, 8, 15).getSolar()), "mid_autumn_festival")
    except (ValueError, KeyError, IndexError, OverflowError):  # a year the lunar tables do not reach
        log.warning("no lunar holidays for %s: the fixed solar days only", year)
    return dict(sorted(days.items()))


def _solar(solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def law_holiday(day: date) -> str | None:
    """The code of the public holiday the law fixes on ``day`` (years the law in its form applies to)."""
    if day.year < LAW_IN_FORCE_FROM:
        return None
    return holidays_fixed_by_law(day.year).get(day)


def calendar_warnings(today: date, entered_years: Iterable[int] = ()) -> list[str]:
    """What the status page says when the statutory data runs out this year or next and that year's
    official schedule has not been entered (``entered_years``: years with company calendar days)."""
    _first, last = statutory_years()
    entered = set(entered_years)
    missing = [year for year in (today.year, today.year + 1) if year > last and year not in entered]
    if not missing:
        return []
    return [
        _(
            "The Chinese holiday data covers the years up to %(last)s only. For %(years)s the working days are "
            "Monday to Friday without the public holidays fixed by law (New Year, Spring Festival, Qingming, "
            "Labour Day, Dragon Boat, Mid-Autumn, National Day); the extra days off and the make-up working "
            "days (调休) of the State Council's yearly schedule are unknown until they are entered: load the "
            "official schedule (admin: company calendar days, or manage.py load_holiday_schedule), or update "
            "the chinesecalendar package."
        )
        % {"last": last, "years": ", ".join(str(y) for y in missing)}
    ]


@dataclass(frozen=True)
class CalendarSpec:
    """What the arithmetic needs: working periods, 24/7 or not, and the company's day overrides."""

    periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30)))
    round_the_clock: bool = False
    overrides: dict[date, bool] = field(default_factory=dict)  # True: working day, False: day off
    tz: ZoneInfo = SHANGHAI

    def __hash__(self) -> int:
        return hash((self.periods, self.round_the_clock, tuple(sorted(self.overrides.items())), str(self.tz)))

    @property
    def day_length(self) -> timedelta:
        if self.round_the_clock:
            return timedelta(hours=24)
        return sum((_span(s, e) for s, e in self.periods), timedelta())

    def is_working_day(self, day: date) -> bool:
        if self.round_the_clock:
            return True
        if day in self.overrides:
            return self.overrides[day]
        if statutory_data_covers(day):
            return bool(chinese_calendar.is_workday(day))
        if law_holiday(day) is not None:
            return False
        return day.weekday() < 5

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local day, as aware datetimes."""
        if self.round_the_clock:
            start = datetime.combine(day, time(0), self.tz)
            return [(start, datetime.combine(day + timedelta(days=1), time(0), self.tz))]
        if not self.is_working_day(day):
            return []
        return [(datetime.combine(day, s, self.tz), datetime.combine(day, e, self.tz)) for s, e in self.periods]


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def _local(moment: datetime, spec: CalendarSpec) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return moment.astimezone(spec.tz)


def add_working_time(start: datetime, amount: timedelta, spec: CalendarSpec) -> datetime:
    """The moment when ``amount`` of working time has passed after ``start``.

    A zero amount starting outside working time gives the next opening moment.
    """
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    cursor = _local(start, spec)
    if spec.round_the_clock:
        return cursor + amount
    remaining = amount
    day = cursor.date()
    for _i in range(MAX_DAYS_SCANNED):
        for w_start, w_end in spec.windows(day):
            if w_end <= cursor:
                continue
            begin = max(w_start, cursor)
            available = w_end - begin
            if remaining <= available and not (remaining == timedelta(0) and begin >= w_end):
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError(_("No working time found in the next ten years of this calendar."))


def working_time_between(start: datetime, end: datetime, spec: CalendarSpec) -> timedelta:
    """Working time inside [start, end); zero when end <= start."""
    a, b = _local(start, spec), _local(end, spec)
    if b <= a:
        return timedelta(0)
    if spec.round_the_clock:
        return b - a
    total = timedelta(0)
    day = a.date()
    last = b.date()
    scanned = 0
    while day <= last:
        for w_start, w_end in spec.windows(day):
            lo, hi = max(w_start, a), min(w_end, b)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
        scanned += 1
        if scanned > MAX_DAYS_SCANNED * 2:
            break
    return total


def add_working_days(start: datetime, days: int, spec: CalendarSpec) -> datetime:
    """N working days after ``start``: N times the calendar's working-day length of working time."""
    return add_working_time(start, spec.day_length * days, spec)


def spec_for(calendar=None) -> CalendarSpec:
    """The CalendarSpec of a WorkCalendar (default calendar when None) with the company's days."""
    from .models import CalendarDay, WorkCalendar

    if calendar is None:
        calendar = WorkCalendar.objects.filter(is_default=True).first()
    overrides = dict(CalendarDay.objects.values_list("date", "is_working"))
    if calendar is None:
        return CalendarSpec(overrides=overrides)
    if calendar.round_the_clock:
        return CalendarSpec(round_the_clock=True, overrides=overrides)
    return CalendarSpec(periods=parse_periods(calendar.working_hours), overrides=overrides)
