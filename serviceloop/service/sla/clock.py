"""Working-time arithmetic for the SLA clocks: ``WorkingTime`` (``core.workcalendar``'s results over a
precomputed table of days, shared per spec by ``working_time``) and ``EpochClock`` (the same over integer
microseconds since the epoch, for the periodic task; ``epoch_us`` / ``from_epoch_us`` convert)."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta

from serviceloop.core.workcalendar import (
    MAX_DAYS_SCANNED,
    CalendarSpec,
    add_working_time,
    working_time_between,
)

ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # what the database driver returns times in
_SCANNED = timedelta(days=MAX_DAYS_SCANNED - 1)


class WorkingTime:
    """``working_time_between`` and ``add_working_time`` of core.workcalendar for one calendar, with the
    same results, in near-constant time: the windows and the working time of every day are computed
    once (a cumulative table over whole years, extended when needed), instead of walking the days and
    asking the statutory calendar about each one on every call. Re-evaluating 100,000 open requests
    otherwise spends minutes walking the same days again for every request and target.
    """

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.tz = spec.tz
        self._lock = threading.Lock()
        # (first day, day after the last, windows per day, cumulative working time:
        #  cum[i] = working time of the days first .. first+i-1)
        self._table: tuple[date, date, list[list[tuple[datetime, datetime]]], list[timedelta]] | None = None
        self._windows: dict[date, list[tuple[datetime, datetime]]] = {}

    def _ensure(self, lo: date, hi: date) -> tuple[date, date, list[list[tuple[datetime, datetime]]], list[timedelta]]:
        table = self._table
        if table is not None and table[0] <= lo and hi < table[1]:
            return table
        with self._lock:
            table = self._table
            if table is not None:
                lo, hi = min(lo, table[0]), max(hi, table[1] - timedelta(days=1))
            first, last = date(lo.year, 1, 1), date(hi.year, 12, 31)
            wins: list[list[tuple[datetime, datetime]]] = []
            cum = [ZERO]
            day = first
            while day <= last:
                found = self._windows.get(day)
                if found is None:
                    found = self._windows[day] = self.spec.windows(day)
                wins.append(found)
                total = cum[-1]
                for w_start, w_end in found:
                    total += w_end - w_start
                cum.append(total)
                day += timedelta(days=1)
            self._table = (first, last + timedelta(days=1), wins, cum)
            return self._table

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the calendar's time zone (as the arithmetic needs it); naive stays naive."""
        if moment.tzinfo is None or moment.tzinfo is self.tz:
            return moment
        return moment.astimezone(self.tz)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end); as ``working_time_between``."""
        tz = self.tz
        if start.tzinfo is None or end.tzinfo is None or self.spec.round_the_clock:
            return working_time_between(start, end, self.spec)
        a = start if start.tzinfo is tz else start.astimezone(tz)
        b = end if end.tzinfo is tz else end.astimezone(tz)
        if b <= a:
            return ZERO
        da, db = a.date(), b.date()
        table = self._table
        if table is None or da < table[0] or db >= table[1]:
            if (db - da).days > MAX_DAYS_SCANNED * 2:  # the original stops scanning there
                return working_time_between(start, end, self.spec)
            table = self._ensure(da, db)
        first, _end, wins, cum = table
        ia = (da - first).days
        total = ZERO
        if da == db:
            for w_start, w_end in wins[ia]:
                lo = a if a > w_start else w_start  # max(w_start, a), ties as max() breaks them
                hi = b if b < w_end else w_end  # min(w_end, b)
                if hi > lo:
                    total += hi - lo
            return total
        ib = (db - first).days
        for w_start, w_end in wins[ia]:
            lo = a if a > w_start else w_start
            if w_end > lo:
                total += w_end - lo
        total += cum[ib] - cum[ia + 1]
        for w_start, w_end in wins[ib]:
            hi = b if b < w_end else w_end
            if hi > w_start:
                total += hi - w_start
        return total

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment when ``amount`` of working time has passed after ``start``; as ``add_working_time``."""
        tz = self.tz
        if start.tzinfo is None or amount < ZERO or self.spec.round_the_clock:
            return add_working_time(start, amount, self.spec)
        cursor = start if start.tzinfo is tz else start.astimezone(tz)
        day0 = cursor.date()
        table = self._table
        if table is None or day0 < table[0] or day0 >= table[1]:
            table = self._ensure(day0, day0)
        limit = day0 + _SCANNED  # the original scans this many days
        while True:
            first, end, wins, cum = table
            i0 = (day0 - first).days
            remaining = amount
            for w_start, w_end in wins[i0]:
                if w_end <= cursor:
                    continue
                begin = cursor if cursor > w_start else w_start
                available = w_end - begin
                if remaining <= available and not (remaining == ZERO and begin >= w_end):
                    return begin + remaining
                remaining -= available
            base = cum[i0 + 1]
            last = min((limit - first).days, len(wins) - 1)
            # the first later day by whose end enough working time has passed
            j = bisect_left(cum, base + remaining, i0 + 2, last + 2)
            i = max(j - 1, i0 + 1)
            remaining -= cum[i] - base
            while i <= last:
                for w_start, w_end in wins[i]:
                    available = w_end - w_start
                    if remaining <= available:
                        return w_start + remaining
                    remaining -= available
                i += 1
            if end > limit:
                return add_working_time(start, amount, self.spec)  # not within ten years: the original decides
            table = self._ensure(day0, min(limit, end + timedelta(days=366)))


_CLOCKS: dict[CalendarSpec, WorkingTime] = {}
_CLOCKS_BY_ID: dict[int, tuple[CalendarSpec, WorkingTime]] = {}
_CLOCKS_LOCK = threading.Lock()


def working_time(spec: CalendarSpec) -> WorkingTime:
    """The shared fast arithmetic of a calendar spec (one per distinct spec in the process)."""
    hit = _CLOCKS_BY_ID.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    with _CLOCKS_LOCK:
        clock = _CLOCKS.get(spec)
        if clock is None:
            if len(_CLOCKS) >= 16:  # company days changed many times in a long-lived process
                _CLOCKS.clear()
            clock = _CLOCKS[spec] = WorkingTime(spec)
        if len(_CLOCKS_BY_ID) >= 64:
            _CLOCKS_BY_ID.clear()
        _CLOCKS_BY_ID[id(spec)] = (spec, clock)  # holds the spec, so its id is not reused meanwhile
    return clock


_US = timedelta(microseconds=1)
_TEN_YEARS_US = (MAX_DAYS_SCANNED - 1) * 86_400_000_000


def epoch_us(moment: datetime) -> int:
    """An aware moment as integer microseconds since 1970-01-01 UTC."""
    return (moment - _EPOCH) // _US


def from_epoch_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class EpochClock:
    """``WorkingTime`` over integer microseconds since the epoch, for the periodic task: every working
    window of a span of years as a pair of integers, and the working time before and after each. The
    working time up to a moment is one bisection (``offset``); adding working time is another (``add``).
    No datetime is made or converted, which is what a check of 100,000 open requests spends its time on.

    Only for calendars whose zone keeps one UTC offset over the span (Asia/Shanghai since 1991): the
    datetime arithmetic counts wall-clock time, which equals elapsed time only then. ``build`` returns
    None otherwise, and callers use ``WorkingTime``. Moments outside ``lo``..``hi`` are the caller's to avoid.
    """

    __slots__ = ("round_the_clock", "lo", "hi", "starts", "ends", "cum_start", "cum_end")

    def __init__(self, *, round_the_clock: bool = False, lo: int = 0, hi: int = 0, starts: list[int] | None = None,
                 ends: list[int] | None = None, cum_start: list[int] | None = None,
                 cum_end: list[int] | None = None) -> None:
        self.round_the_clock = round_the_clock
        self.lo, self.hi = lo, hi
        self.starts, self.ends = starts or [], ends or []
        self.cum_start, self.cum_end = cum_start or [], cum_end or []

    @classmethod
    def build(cls, clock: WorkingTime, first: date, last: date) -> EpochClock | None:
        if clock.spec.round_the_clock:
            return cls(round_the_clock=True, lo=-(2**62), hi=2**62)
        first, end, wins, _cum = clock._ensure(first, last)
        tz = clock.tz
        lo_moment = datetime.combine(first, datetime.min.time(), tzinfo=tz)
        hi_moment = datetime.combine(end, datetime.min.time(), tzinfo=tz)
        offset = lo_moment.utcoffset()
        if offset is None or hi_moment.utcoffset() != offset:
            return None
        starts: list[int] = []
        ends: list[int] = []
        cum_start: list[int] = []
        cum_end: list[int] = []
        total = 0
        for day_windows in wins:
            for w_start, w_end in day_windows:
                if w_start.utcoffset() != offset or w_end.utcoffset() != offset:
                    return None
                a, b = epoch_us(w_start), epoch_us(w_end)
                if b <= a:  # an empty window never holds a moment of working time
                    continue
                starts.append(a)
                ends.append(b)
                cum_start.append(total)
                total += b - a
                cum_end.append(total)
        return cls(lo=epoch_us(lo_moment), hi=epoch_us(hi_moment), starts=starts, ends=ends,
                   cum_start=cum_start, cum_end=cum_end)

    def offset(self, t: int) -> int:
        """Working time from the start of the span up to ``t``."""
        if self.round_the_clock:
            return t
        k = bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        end = self.ends[k]
        return self.cum_start[k] + ((t if t < end else end) - self.starts[k])

    def add(self, t: int, amount: int) -> int | None:
        """As ``WorkingTime.add`` (a zero amount: ``t`` inside working time, else the next opening);
        None when the answer lies beyond the span (the caller asks ``WorkingTime``)."""
        if self.round_the_clock:
            return t + amount
        if amount > 0:
            target = self.offset(t) + amount
            k = bisect_left(self.cum_end, target)
            if k == len(self.cum_end):
                return None
            found = self.ends[k] - (self.cum_end[k] - target)
        else:
            k = bisect_right(self.starts, t) - 1
            if k >= 0 and t < self.ends[k]:
                return t
            if k + 1 == len(self.starts):
                return None
            found = self.starts[k + 1]
        return found if found - t <= _TEN_YEARS_US else None  # the walk gives up after ten years
