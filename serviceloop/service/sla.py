"""SLA clocks (服务时限): policy matching, and deadlines recomputed from a request's SLA event log.

Rules
- Targets are working minutes in the calendar of the request: the policy's calendar (default
  calendar when empty), or round the clock when a 24/7 contract covers the unit.
- first_response, plan_decided and resolution run from receipt (the request's "started" event);
  engineer_contact and onsite_arrival run from their own "started" event (dispatch).
- paused -> resumed and stopped -> reopened are gaps: time inside them does not count.
- A target is met by its first "target_met" event after it started; a reopening opens the
  resolution target again.
Nothing here reads the clock except through ``now``, so any deadline can be recomputed and audited.
"""

from __future__ import annotations

import copy
import threading
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from serviceloop.accounts.stamps import StampedCache
from serviceloop.assets.choices import SlaLevel
from serviceloop.core.calendar_cache import ROUND_THE_CLOCK, spec_for_calendar
from serviceloop.core.lookups import constant_in
from serviceloop.core.workcalendar import (
    MAX_DAYS_SCANNED,
    CalendarSpec,
    add_working_time,
    working_time_between,
)

from .choices import OPEN_STATUSES, TARGETS_FROM_RECEIPT, SlaEventKind, SlaTarget
from .models import ServiceRequest, SlaEvent, SlaPolicy

MINUTE = timedelta(minutes=1)

# Used when no policy matches and no default policy exists (seed 003 §5.2.1: contact within
# 1 hour of dispatch; seed 001 §4.6: plan decided within 3 working days of 8 hours).
FALLBACK_TARGETS: dict[str, timedelta] = {
    SlaTarget.FIRST_RESPONSE: 120 * MINUTE,
    SlaTarget.ENGINEER_CONTACT: 60 * MINUTE,
    SlaTarget.PLAN_DECIDED: 3 * 8 * 60 * MINUTE,
    SlaTarget.ONSITE_ARRIVAL: 3 * 8 * 60 * MINUTE,
    SlaTarget.RESOLUTION: 10 * 8 * 60 * MINUTE,
}
MATCHERS = ("request_type", "severity", "customer_level", "contract_sla_level")


# ---------------------------------------------------------------- policies

def _active_policies(_key: None) -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(active=True))


# the active policies per process during HTTP requests (reloaded after any change: accounts/stamps.py)
_ACTIVE_POLICIES = StampedCache(_active_policies)


def match_policy(
    *, request_type: str, severity: str, customer_level: str = "", contract_sla_level: str = "",
    policies: Iterable[SlaPolicy] | None = None,
) -> SlaPolicy | None:
    """The active policy whose matchers all fit, the most specific first (most matchers set);
    ties go to a non-default policy, then by name. No match: the default policy. None: built-in targets.
    Without ``policies``: the active ones, and the caller gets its own copy of the one found."""
    if policies is None:
        found = match_policy(request_type=request_type, severity=severity, customer_level=customer_level,
                             contract_sla_level=contract_sla_level, policies=_ACTIVE_POLICIES.get())
        return copy.copy(found) if found is not None else None  # not the instance the cache shares
    pool = list(policies)
    wanted = {
        "request_type": request_type, "severity": severity,
        "customer_level": customer_level, "contract_sla_level": contract_sla_level,
    }
    candidates = []
    for policy in pool:
        if not policy.active:
            continue
        values = {name: getattr(policy, name) for name in MATCHERS}
        if all(not value or value == wanted[name] for name, value in values.items()):
            specificity = sum(1 for value in values.values() if value)
            candidates.append((-specificity, policy.is_default, policy.name, policy))
    if candidates:
        return min(candidates, key=lambda c: c[:3])[3]
    return next((p for p in pool if p.is_default and p.active), None)


def targets_of(policy: SlaPolicy | None) -> dict[str, timedelta]:
    if policy is None:
        return dict(FALLBACK_TARGETS)
    return {target: getattr(policy, f"{target}_minutes") * MINUTE for target in SlaTarget.values}


class SpecCache:
    """Calendar specs for many requests: one spec object per calendar for the caller's whole run (the
    integer clocks are kept per spec object). Each is built by ``core.calendar_cache`` (kept in memory
    per process during HTTP requests)."""

    def __init__(self) -> None:
        self._specs: dict[Any, CalendarSpec] = {}

    def for_calendar(self, calendar_id: int | None) -> CalendarSpec:
        spec = self._specs.get(calendar_id)
        if spec is None:
            spec = self._specs[calendar_id] = spec_for_calendar(calendar_id)
        return spec

    def for_request(self, request: ServiceRequest) -> CalendarSpec:
        if request.contract_id and request.contract.sla_level == SlaLevel.ROUND_THE_CLOCK:
            return ROUND_THE_CLOCK
        policy = request.sla_policy
        return self.for_calendar(policy.calendar_id if policy else None)

    def for_parts(self, contract_sla_level: str | None, policy: SlaPolicy | None) -> CalendarSpec:
        """``for_request`` from the contract's SLA level (None: no contract) and the policy."""
        if contract_sla_level == SlaLevel.ROUND_THE_CLOCK:
            return ROUND_THE_CLOCK
        return self.for_calendar(policy.calendar_id if policy else None)


def spec_for_request(request: ServiceRequest) -> CalendarSpec:
    return SpecCache().for_request(request)


# ---------------------------------------------------------------- working time, fast

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


# ---------------------------------------------------------------- deadlines

@dataclass(frozen=True)
class Deadline:
    target: str
    amount: timedelta
    started_at: datetime | None  # None: this clock has not started (e.g. not dispatched yet)
    due_at: datetime | None  # None: not started, or the clock stands still before reaching the target
    met_at: datetime | None
    elapsed: timedelta  # working time counted up to met_at (or now)
    breached: bool
    running: bool  # counting right now

    @property
    def remaining(self) -> timedelta:
        """Working time left; negative when overdue."""
        return self.amount - self.elapsed

    @property
    def fraction_left(self) -> float:
        return self.remaining / self.amount if self.amount else 0.0

    @property
    def is_open(self) -> bool:
        return self.started_at is not None and self.met_at is None

    @classmethod
    def _new(cls, target: str, amount: timedelta, started_at: datetime | None, due_at: datetime | None,
             met_at: datetime | None, elapsed: timedelta, breached: bool, running: bool) -> Deadline:
        """The same instance as ``Deadline(...)``, four times faster (a frozen dataclass's __init__
        sets each field through object.__setattr__; the periodic task makes half a million of them)."""
        obj = object.__new__(cls)
        obj.__dict__.update(target=target, amount=amount, started_at=started_at, due_at=due_at, met_at=met_at,
                            elapsed=elapsed, breached=breached, running=running)
        return obj


def _sorted(events: Iterable[SlaEvent]) -> list[SlaEvent]:
    return sorted(events, key=lambda e: (e.at, e.pk or 0))


def running_intervals(events: list[SlaEvent]) -> list[tuple[datetime, datetime | None]]:
    """When the request's clocks run: from its start, minus pauses and stops; the last may be open."""
    intervals: list[tuple[datetime, datetime | None]] = []
    started = paused = stopped = False
    open_since: datetime | None = None
    for event in events:
        if event.target:
            continue
        if event.kind == SlaEventKind.STARTED:
            started = True
        elif event.kind == SlaEventKind.PAUSED:
            paused = True
        elif event.kind == SlaEventKind.RESUMED:
            paused = False
        elif event.kind == SlaEventKind.STOPPED:
            stopped, paused = True, False
        elif event.kind == SlaEventKind.REOPENED:
            stopped, paused = False, False
        running = started and not paused and not stopped
        if running and open_since is None:
            open_since = event.at
        elif not running and open_since is not None:
            if event.at > open_since:
                intervals.append((open_since, event.at))
            open_since = None
    if open_since is not None:
        intervals.append((open_since, None))
    return intervals


def _elapsed(intervals, start: datetime, until: datetime, clock: WorkingTime) -> timedelta:
    total = timedelta(0)
    for a, b in intervals:
        lo = max(a, start)
        hi = until if b is None else min(b, until)
        if hi > lo:
            total += clock.between(lo, hi)
    return total


def _due(intervals, start: datetime, amount: timedelta, clock: WorkingTime) -> datetime | None:
    left = amount
    for a, b in intervals:
        if b is not None and b <= start:
            continue
        lo = max(a, start)
        if b is None:
            return clock.add(lo, left)
        available = clock.between(lo, b)
        if available >= left:
            return clock.add(lo, left)
        left -= available
    return None


_STARTED = SlaEventKind.STARTED.value
_TARGET_MET = SlaEventKind.TARGET_MET.value
_REOPENED = SlaEventKind.REOPENED.value
_RESOLUTION = SlaTarget.RESOLUTION.value
_FROM_RECEIPT = frozenset(t.value for t in TARGETS_FROM_RECEIPT)


_NOT_STARTED: dict[tuple[type, str, timedelta], Deadline] = {}


def _not_started(target: str, amount: timedelta) -> Deadline:
    """The (immutable, so shared) deadline of a clock that has not started."""
    key = (type(target), target, amount)
    found = _NOT_STARTED.get(key)
    if found is None:
        if len(_NOT_STARTED) > 256:
            _NOT_STARTED.clear()
        found = _NOT_STARTED[key] = Deadline._new(target, amount, None, None, None, ZERO, False, False)
    return found


def deadlines(
    request: ServiceRequest, events: Iterable[SlaEvent], spec: CalendarSpec, *,
    targets: dict[str, timedelta] | None = None, now: datetime | None = None,
) -> dict[str, Deadline]:
    """Every target of ``request`` from its SLA event log alone (pure: no database access
    except ``request.sla_policy`` when ``targets`` is not given)."""
    now = now or timezone.now()
    targets = targets_of(request.sla_policy) if targets is None else targets
    log = _sorted(events)
    intervals = running_intervals(log)
    running_now = bool(intervals) and intervals[-1][1] is None
    clock = working_time(spec)
    local = clock.local  # the arithmetic runs in the calendar's zone: convert each moment once
    spans = [(local(a), None if b is None else local(b)) for a, b in intervals]
    # the usual log: one interval running since receipt (no pause, stop or reopening)
    running_since = spans[0][0] if len(spans) == 1 and spans[0][1] is None else None
    now_local = local(now)
    # one pass over the log: the request's first start, each target's last start, and the events
    # that meet a target or reopen the request, in order
    request_start = None
    target_starts: dict[str, datetime] = {}
    marks: list[tuple[str, str, datetime]] = []
    for event in log:
        kind = event.kind
        if kind == _STARTED:
            if event.target:
                target_starts[event.target] = event.at
            elif request_start is None:
                request_start = event.at
        elif kind == _TARGET_MET or kind == _REOPENED:
            marks.append((kind, event.target, event.at))
    request_start_local = None if request_start is None else local(request_start)
    result: dict[str, Deadline] = {}
    for target, amount in targets.items():
        if target in _FROM_RECEIPT:
            start, start_local = request_start, request_start_local
        else:
            start = target_starts.get(target)
            start_local = None if start is None else local(start)
        if start is None:
            result[target] = _not_started(target, amount)
            continue
        met_at = None
        for kind, event_target, at in marks:
            if kind == _REOPENED:
                if target == _RESOLUTION:
                    met_at = None
            elif event_target == target and met_at is None and at >= start:
                met_at = at
        end = met_at or now
        until = now_local if met_at is None else local(met_at)
        if running_since is not None:  # _elapsed and _due over that one interval, inline
            lo = start_local if start_local > running_since else running_since  # max(running_since, start)
            elapsed = clock.between(lo, until) if until > lo else ZERO
            due_at = clock.add(lo, amount)
        else:
            elapsed = _elapsed(spans, start_local, until, clock)
            due_at = _due(spans, start_local, amount, clock)
        breached = elapsed > amount or (due_at is not None and end > due_at)
        result[target] = Deadline._new(
            target, amount, start, due_at, met_at, elapsed, breached, running_now and met_at is None
        )
    return result


def summary(found: dict[str, Deadline]) -> tuple[datetime | None, bool]:
    """(earliest deadline of an open target, any target breached) for the request's list columns."""
    open_due = [d.due_at for d in found.values() if d.is_open and d.due_at is not None]
    return (min(open_due) if open_due else None), any(d.breached for d in found.values())


def deadlines_for(request: ServiceRequest, *, now: datetime | None = None) -> dict[str, Deadline]:
    """One request: reads its log and calendar."""
    return deadlines(request, request.sla_events.all(), spec_for_request(request), now=now)


class _LogEvent(NamedTuple):
    """What the deadline arithmetic reads of an SLA event (no model instance per event)."""

    pk: int
    kind: str
    target: str
    at: datetime


DEFERRED_TEXTS = ("description", "warranty_reason", "plan_note", "resolution", "cancel_reason")


def _as_events(log: list[LogEntry]) -> list[_LogEvent]:
    """A log of the fast path as events for ``deadlines`` (ids by position: the log is in order)."""
    return [_LogEvent(k, kind, target, from_epoch_us(at)) for k, (kind, target, at) in enumerate(log)]


def _logs_of(request_ids: list[int]) -> dict[int, list[_LogEvent]]:
    """The SLA logs of these requests in one query, each in (at, id) order, as events for ``deadlines``."""
    return {request_id: _as_events(log) for request_id, log in _log_entries(request_ids).items()}


def evaluate_open_requests(
    now: datetime | None = None, *, chunk_size: int = 2000,
) -> Iterator[tuple[ServiceRequest, dict[str, Deadline]]]:
    """Every open request with its deadlines, for the periodic task.

    Walks open requests in primary-key chunks (keyset, no OFFSET), loads the chunk's events in one
    query, and shares one calendar spec per calendar and one policy table across all of them.
    """
    now = now or timezone.now()
    cache = SpecCache()
    base = (
        ServiceRequest.objects.filter(status__in=OPEN_STATUSES)
        .select_related("contract", "sla_policy")
        .defer(*DEFERRED_TEXTS)
        .order_by("pk")
    )
    targets_by_policy: dict[int | None, dict[str, timedelta]] = {}
    last_pk = 0
    while True:
        chunk = list(base.filter(pk__gt=last_pk)[:chunk_size])
        if not chunk:
            return
        last_pk = chunk[-1].pk
        logs = _logs_of([r.pk for r in chunk])
        for request in chunk:
            policy = request.sla_policy
            targets = targets_by_policy.get(request.sla_policy_id)
            if targets is None:
                targets = targets_by_policy[request.sla_policy_id] = targets_of(policy)
            yield request, deadlines(request, logs[request.pk], cache.for_request(request), targets=targets, now=now)


class OpenRequestRow(NamedTuple):
    """What the periodic task needs of an open request (a row, not a model instance)."""

    pk: int
    severity: str
    sla_policy_id: int | None
    contract_sla_level: str | None  # None: no contract
    sla_due_us: int | None  # the stored list column, in epoch microseconds
    sla_breached: bool


LogEntry = tuple[str, str, int]  # an SLA event as the fast path reads it: kind, target, at (epoch microseconds)


def _log_entries(request_ids: list[int]) -> dict[int, list[LogEntry]]:
    """The SLA logs of these requests in one query, each in (at, id) order, times in epoch microseconds.

    On PostgreSQL plain SQL returning the times as integers: parsing 600,000 timestamps costs more than
    all the deadline arithmetic (EXTRACT(EPOCH ...) is exact since PostgreSQL 14), and the ids go as one
    array parameter (an IN list of 2,000 placeholders costs more to build and bind than the query)."""
    logs: dict[int, list[LogEntry]] = defaultdict(list)
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q('request_id')}, {q('kind')}, {q('target')}, "  # noqa: S608
                f"(EXTRACT(EPOCH FROM {q('at')}) * 1000000)::bigint FROM {q(SlaEvent._meta.db_table)} "
                f"WHERE {q('request_id')} = ANY(%s) ORDER BY {q('request_id')}, {q('at')}, {q('id')}",
                [list(request_ids)],
            )
            for request_id, kind, target, at in cursor.fetchall():
                logs[request_id].append((kind, target, at))
        return logs
    for request_id, kind, target, at in (
        SlaEvent.objects.filter(request_id__in=request_ids)
        .order_by("request_id", "at", "id").values_list("request_id", "kind", "target", "at")
    ):
        logs[request_id].append((kind, target, epoch_us(at)))
    return logs


def _open_chunks(chunk_size: int) -> Iterator[tuple[list[OpenRequestRow], dict[int, list[LogEntry]]]]:
    """Open requests in primary-key chunks (keyset, no OFFSET), each chunk with its requests' SLA logs:
    two queries per chunk (on PostgreSQL plain SQL, the deadline column as epoch microseconds)."""
    statuses = list(OPEN_STATUSES)
    last_pk = 0
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        request_table = q(ServiceRequest._meta.db_table)
        contract_table = q(ServiceRequest._meta.get_field("contract").related_model._meta.db_table)
        rows_sql = (
            f"SELECT r.{q('id')}, r.{q('severity')}, r.{q('sla_policy_id')}, c.{q('sla_level')}, "  # noqa: S608
            f"(EXTRACT(EPOCH FROM r.{q('sla_due_at')}) * 1000000)::bigint, r.{q('sla_breached')} "
            f"FROM {request_table} r LEFT JOIN {contract_table} c ON c.{q('id')} = r.{q('contract_id')} "
            f"WHERE r.{q('status')} = ANY(%s) AND r.{q('id')} > %s ORDER BY r.{q('id')} LIMIT %s"
        )
        while True:
            with connection.cursor() as cursor:
                cursor.execute(rows_sql, [statuses, last_pk, chunk_size])
                chunk = [OpenRequestRow._make(row) for row in cursor.fetchall()]
            if not chunk:
                return
            last_pk = chunk[-1].pk
            yield chunk, _log_entries([r.pk for r in chunk])
    base = (
        ServiceRequest.objects.filter(constant_in("status", statuses))
        .order_by("pk")
        .values_list("pk", "severity", "sla_policy_id", "contract__sla_level", "sla_due_at", "sla_breached")
    )
    while True:
        chunk = [
            OpenRequestRow(pk, severity, policy, level, None if due is None else epoch_us(due), breached)
            for pk, severity, policy, level, due, breached in base.filter(pk__gt=last_pk)[:chunk_size]
        ]
        if not chunk:
            return
        last_pk = chunk[-1].pk
        yield chunk, _log_entries([r.pk for r in chunk])


class AtRisk(NamedTuple):
    """An open target to escalate: breached, or running with less than the threshold of its time left."""

    target: str
    due_at: datetime | None
    breached: bool


class OpenVerdict(NamedTuple):
    """What the periodic task needs of one open request's clocks."""

    row: OpenRequestRow
    due_us: int | None  # earliest deadline of an open target (the list column), epoch microseconds
    breached: bool  # any target breached (the list column)
    at_risk: list[AtRisk]

    @property
    def due_at(self) -> datetime | None:
        return None if self.due_us is None else from_epoch_us(self.due_us)


def verdict_of(row: OpenRequestRow, found: dict[str, Deadline], threshold: float) -> OpenVerdict:
    """The verdict from ``deadlines``' answer: the reference the fast path must agree with."""
    due, breached = summary(found)
    at_risk = [
        AtRisk(d.target, d.due_at, d.breached) for d in found.values()
        if d.is_open and (d.breached or (d.running and d.fraction_left < threshold))
    ]
    return OpenVerdict(row, None if due is None else epoch_us(due), breached, at_risk)


_PAUSED = SlaEventKind.PAUSED.value
_RESUMED = SlaEventKind.RESUMED.value
_STOPPED = SlaEventKind.STOPPED.value


def fast_verdict(
    row: OpenRequestRow, log: list[LogEntry], targets: list[tuple[str, int, bool]], clock: EpochClock,
    now: int, threshold: float,
) -> OpenVerdict | None:
    """``verdict_of(row, deadlines(...))`` in integer microseconds: ``log`` in the order of the log (at,
    id); ``targets`` as (target, amount, counted from receipt). The same rules as ``running_intervals``
    and ``deadlines``, step for step. None when a moment falls outside the clock's span (the caller then
    asks ``deadlines``)."""
    if not log or log[0][2] < clock.lo or log[-1][2] >= clock.hi or now >= clock.hi:
        return None
    offset, add = clock.offset, clock.add
    # one pass: the running intervals (as running_intervals), the request's first start, each target's
    # last start, and the events that meet a target or reopen the request (as deadlines)
    intervals: list[tuple[int, int | None]] = []
    started = paused = stopped = False
    open_since: int | None = None
    request_start: int | None = None
    target_starts: dict[str, int] = {}
    marks: list[LogEntry] = []
    for kind, target, at in log:
        if kind == _STARTED:
            if target:
                target_starts[target] = at
                continue
            if request_start is None:
                request_start = at
        elif kind == _TARGET_MET or kind == _REOPENED:
            marks.append((kind, target, at))
        if target:
            continue
        if kind == _STARTED:
            started = True
        elif kind == _PAUSED:
            paused = True
        elif kind == _RESUMED:
            paused = False
        elif kind == _STOPPED:
            stopped, paused = True, False
        elif kind == _REOPENED:
            stopped, paused = False, False
        running = started and not paused and not stopped
        if running and open_since is None:
            open_since = at
        elif not running and open_since is not None:
            if at > open_since:
                intervals.append((open_since, at))
            open_since = None
    if open_since is not None:
        intervals.append((open_since, None))
    running_now = bool(intervals) and intervals[-1][1] is None
    now_offset = offset(now)
    due_min: int | None = None
    any_breached = False
    at_risk: list[AtRisk] = []
    for target, amount, from_receipt in targets:
        start = request_start if from_receipt else target_starts.get(target)
        if start is None:
            continue  # not started: neither open nor breached
        met: int | None = None
        for kind, event_target, at in marks:
            if kind == _REOPENED:
                if target == _RESOLUTION:
                    met = None
            elif event_target == target and met is None and at >= start:
                met = at
        until = now if met is None else met
        until_offset = now_offset if met is None else offset(met)
        elapsed = 0  # as _elapsed
        due: int | None = None  # as _due
        left = amount
        due_found = False
        for a, b in intervals:
            lo = a if a > start else start
            hi = until if b is None or b > until else b
            if hi > lo:
                elapsed += (until_offset if hi == until else offset(hi)) - offset(lo)
            if due_found or (b is not None and b <= start):
                continue
            if b is None:
                due, due_found = add(lo, left), True
            else:
                available = offset(b) - offset(lo)
                if available >= left:
                    due, due_found = add(lo, left), True
                else:
                    left -= available
            if due_found and due is None:
                return None  # beyond the clock's span
        breached = elapsed > amount or (due is not None and until > due)
        any_breached = any_breached or breached
        if met is None:
            if due is not None and (due_min is None or due < due_min):
                due_min = due
            fraction_left = (amount - elapsed) / amount if amount else 0.0
            if breached or (running_now and fraction_left < threshold):
                at_risk.append(AtRisk(target, None if due is None else from_epoch_us(due), breached))
    return OpenVerdict(row, due_min, any_breached, at_risk)


def evaluate_open_rows(
    now: datetime | None = None, *, threshold: float = 0.2, chunk_size: int = 2000, fast: bool = True,
) -> Iterator[list[OpenVerdict]]:
    """Every open request's verdict for the periodic task, a chunk (a list) at a time so the caller can
    batch its own queries too: the list columns and the targets at risk.

    Plain rows instead of model instances, one shared policy table, and the clocks in integer
    microseconds (``fast_verdict`` over one ``EpochClock`` per calendar). A request with a moment outside
    the clock's span, or a calendar without one, goes through ``deadlines`` (``fast=False``: all do)."""
    now = now or timezone.now()
    now_us = epoch_us(now)
    cache = SpecCache()
    policies = {p.pk: p for p in SlaPolicy.objects.all()}
    targets_by_policy = {pk: targets_of(p) for pk, p in policies.items()}
    fallback = targets_of(None)

    def in_us(targets: dict[str, timedelta]) -> list[tuple[str, int, bool]]:
        return [(t, amount // _US, t in _FROM_RECEIPT) for t, amount in targets.items()]

    us_by_policy = {pk: in_us(t) for pk, t in targets_by_policy.items()}
    us_fallback = in_us(fallback)
    year = timezone.localtime(now, working_time(cache.for_calendar(None)).tz).year
    span = date(year - 5, 1, 1), date(year + 1, 12, 31)  # forgotten requests of earlier years: deadlines()
    epoch_clocks: dict[int, EpochClock | None] = {}  # by id(spec): SpecCache hands out one spec per calendar
    for chunk, logs in _open_chunks(chunk_size):
        out = []
        for row in chunk:
            policy = policies.get(row.sla_policy_id) if row.sla_policy_id is not None else None
            spec = cache.for_parts(row.contract_sla_level, policy)
            log = logs[row.pk]
            verdict = None
            if fast:
                clock = epoch_clocks.get(id(spec), False)
                if clock is False:
                    clock = epoch_clocks[id(spec)] = EpochClock.build(working_time(spec), *span)
                if clock is not None:
                    targets_us = us_by_policy.get(row.sla_policy_id, us_fallback) if policy is not None else us_fallback
                    verdict = fast_verdict(row, log, targets_us, clock, now_us, threshold)
            if verdict is None:
                targets = targets_by_policy.get(row.sla_policy_id, fallback) if policy is not None else fallback
                verdict = verdict_of(row, deadlines(row, _as_events(log), spec, targets=targets, now=now), threshold)
            out.append(verdict)
        yield out
