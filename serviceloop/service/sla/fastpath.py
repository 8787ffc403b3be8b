"""The periodic task's batch over every open request: the logs read in chunks (plain SQL on PostgreSQL),
the instance walk ``evaluate_open_requests``, and the fast path ``evaluate_open_rows``: plain rows and
``fast_verdict``, the reference's rules in integer microseconds over an ``EpochClock``, with
``verdict_of(deadlines(...))`` as the fallback and the reference it must agree with.

Parity: ``serviceloop/service/tests/test_sla_fast_verdict.py`` (``fast_verdict`` and ``EpochClock`` against
``verdict_of``/``deadlines`` and ``WorkingTime``, any calendar, log, targets and moment) and
``serviceloop/service/tests/test_sla_evaluation_rows.py`` (``evaluate_open_rows`` against ``fast=False`` and
``evaluate_open_requests`` on stored requests) compare the fast path with the reference. Any change to the
reference (``deadlines.py``, ``clock.WorkingTime``, ``policies``) or to this module must keep both green.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from serviceloop.core.lookups import constant_in

from ..choices import OPEN_STATUSES, SlaEventKind
from ..models import ServiceRequest, SlaEvent, SlaPolicy
from .clock import _US, EpochClock, epoch_us, from_epoch_us, working_time
from .deadlines import (
    _FROM_RECEIPT,
    _REOPENED,
    _RESOLUTION,
    _STARTED,
    _TARGET_MET,
    Deadline,
    deadlines,
    summary,
)
from .policies import SpecCache, targets_of


class _LogEvent(NamedTuple):
    """What the deadline arithmetic reads of an SLA event (no model instance per event)."""

    pk: int
    kind: str
    target: str
    at: datetime


DEFERRED_TEXTS = ("description", "warranty_reason", "warranty_reason_message", "plan_note", "resolution",
                  "cancel_reason")


def _as_events(log: list[LogEntry]) -> list[_LogEvent]:
    """A log of the fast path as events for ``deadlines`` (ids by position: the log is in order)."""
    return [_LogEvent(k, kind, target, from_epoch_us(at)) for k, (kind, target, at) in enumerate(log)]


def _logs_of(request_ids: list[int]) -> dict[int, list[_LogEvent]]:
    """The SLA logs of these requests in one query, each in (at, id) order, as events for ``deadlines``."""
    return {service_request_id: _as_events(log) for service_request_id, log in _log_entries(request_ids).items()}


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
        for service_request in chunk:
            policy = service_request.sla_policy
            targets = targets_by_policy.get(service_request.sla_policy_id)
            if targets is None:
                targets = targets_by_policy[service_request.sla_policy_id] = targets_of(policy)
            yield service_request, deadlines(service_request, logs[service_request.pk], cache.for_request(service_request), targets=targets, now=now)


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
                f"SELECT {q('service_request_id')}, {q('kind')}, {q('target')}, "  # noqa: S608
                f"(EXTRACT(EPOCH FROM {q('at')}) * 1000000)::bigint FROM {q(SlaEvent._meta.db_table)} "
                f"WHERE {q('service_request_id')} = ANY(%s) ORDER BY {q('service_request_id')}, {q('at')}, {q('id')}",
                [list(request_ids)],
            )
            for service_request_id, kind, target, at in cursor.fetchall():
                logs[service_request_id].append((kind, target, at))
        return logs
    for service_request_id, kind, target, at in (
        SlaEvent.objects.filter(service_request_id__in=request_ids)
        .order_by("service_request_id", "at", "id").values_list("service_request_id", "kind", "target", "at")
    ):
        logs[service_request_id].append((kind, target, epoch_us(at)))
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
