"""SLA clocks (服务时限): the reference computation of deadlines from a request's SLA event log.

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from serviceloop.core.workcalendar import CalendarSpec

from ..choices import TARGETS_FROM_RECEIPT, SlaEventKind, SlaTarget
from ..models import ServiceRequest, SlaEvent
from .clock import ZERO, WorkingTime, working_time
from .policies import spec_for_request, targets_of


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
    service_request: ServiceRequest, events: Iterable[SlaEvent], spec: CalendarSpec, *,
    targets: dict[str, timedelta] | None = None, now: datetime | None = None,
) -> dict[str, Deadline]:
    """Every target of ``request`` from its SLA event log alone (pure: no database access
    except ``request.sla_policy`` when ``targets`` is not given)."""
    now = now or timezone.now()
    targets = targets_of(service_request.sla_policy) if targets is None else targets
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


def deadlines_for(service_request: ServiceRequest, *, now: datetime | None = None) -> dict[str, Deadline]:
    """One request: reads its log and calendar."""
    return deadlines(service_request, service_request.sla_events.all(), spec_for_request(service_request), now=now)
