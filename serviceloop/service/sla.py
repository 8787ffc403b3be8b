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

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from serviceloop.assets.choices import SlaLevel
from serviceloop.core.models import CalendarDay, WorkCalendar
from serviceloop.core.workcalendar import CalendarSpec, add_working_time, parse_periods, working_time_between

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
ROUND_THE_CLOCK = CalendarSpec(round_the_clock=True)
MATCHERS = ("request_type", "severity", "customer_level", "contract_sla_level")


# ---------------------------------------------------------------- policies

def match_policy(
    *, request_type: str, severity: str, customer_level: str = "", contract_sla_level: str = "",
    policies: Iterable[SlaPolicy] | None = None,
) -> SlaPolicy | None:
    """The active policy whose matchers all fit, the most specific first (most matchers set);
    ties go to a non-default policy, then by name. No match: the default policy. None: built-in targets."""
    pool = list(SlaPolicy.objects.filter(active=True) if policies is None else policies)
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
    """Calendar specs for many requests: company days read once, one spec per calendar."""

    def __init__(self) -> None:
        self._overrides: dict | None = None
        self._specs: dict[Any, CalendarSpec] = {}

    def overrides(self) -> dict:
        if self._overrides is None:
            self._overrides = dict(CalendarDay.objects.values_list("date", "is_working"))
        return self._overrides

    def for_calendar(self, calendar_id: int | None) -> CalendarSpec:
        if calendar_id not in self._specs:
            if calendar_id is None:
                calendar = WorkCalendar.objects.filter(is_default=True).first()
            else:
                calendar = WorkCalendar.objects.filter(pk=calendar_id).first()
            if calendar is None:
                spec = CalendarSpec(overrides=self.overrides())
            elif calendar.round_the_clock:
                spec = ROUND_THE_CLOCK
            else:
                spec = CalendarSpec(periods=parse_periods(calendar.working_hours), overrides=self.overrides())
            self._specs[calendar_id] = spec
        return self._specs[calendar_id]

    def for_request(self, request: ServiceRequest) -> CalendarSpec:
        if request.contract_id and request.contract.sla_level == SlaLevel.ROUND_THE_CLOCK:
            return ROUND_THE_CLOCK
        policy = request.sla_policy
        return self.for_calendar(policy.calendar_id if policy else None)


def spec_for_request(request: ServiceRequest) -> CalendarSpec:
    return SpecCache().for_request(request)


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


def _elapsed(intervals, start: datetime, until: datetime, spec: CalendarSpec) -> timedelta:
    total = timedelta(0)
    for a, b in intervals:
        lo = max(a, start)
        hi = until if b is None else min(b, until)
        if hi > lo:
            total += working_time_between(lo, hi, spec)
    return total


def _due(intervals, start: datetime, amount: timedelta, spec: CalendarSpec) -> datetime | None:
    left = amount
    for a, b in intervals:
        if b is not None and b <= start:
            continue
        lo = max(a, start)
        if b is None:
            return add_working_time(lo, left, spec)
        available = working_time_between(lo, b, spec)
        if available >= left:
            return add_working_time(lo, left, spec)
        left -= available
    return None


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
    request_start = next((e.at for e in log if e.kind == SlaEventKind.STARTED and not e.target), None)
    running_now = bool(intervals) and intervals[-1][1] is None
    result: dict[str, Deadline] = {}
    for target, amount in targets.items():
        if target in TARGETS_FROM_RECEIPT:
            start = request_start
        else:
            starts = [e.at for e in log if e.kind == SlaEventKind.STARTED and e.target == target]
            start = starts[-1] if starts else None
        if start is None:
            result[target] = Deadline(target, amount, None, None, None, timedelta(0), False, False)
            continue
        met_at = None
        for event in log:
            if event.kind == SlaEventKind.REOPENED and target == SlaTarget.RESOLUTION:
                met_at = None
            elif (
                event.kind == SlaEventKind.TARGET_MET and event.target == target and event.at >= start
                and met_at is None
            ):
                met_at = event.at
        end = met_at or now
        elapsed = _elapsed(intervals, start, end, spec)
        due_at = _due(intervals, start, amount, spec)
        breached = elapsed > amount or (due_at is not None and end > due_at)
        result[target] = Deadline(
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
        .defer("description", "warranty_reason", "plan_note", "resolution", "cancel_reason")
        .order_by("pk")
    )
    last_pk = 0
    while True:
        chunk = list(base.filter(pk__gt=last_pk)[:chunk_size])
        if not chunk:
            return
        last_pk = chunk[-1].pk
        logs: dict[int, list[SlaEvent]] = defaultdict(list)
        for event in SlaEvent.objects.filter(request_id__in=[r.pk for r in chunk]).order_by("request_id", "at", "id"):
            logs[event.request_id].append(event)
        for request in chunk:
            found = deadlines(
                request, logs[request.pk], cache.for_request(request), targets=targets_of(request.sla_policy), now=now
            )
            yield request, found
