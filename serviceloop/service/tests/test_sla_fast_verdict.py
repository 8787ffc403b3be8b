"""The periodic check's integer arithmetic (EpochClock, fast_verdict) agrees with the reference
(WorkingTime, deadlines) on any calendar, log, target set and moment."""

from __future__ import annotations

import gc
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from serviceloop.core.gcpause import gc_paused
from serviceloop.core.workcalendar import SHANGHAI, CalendarSpec
from serviceloop.service.choices import TARGETS_FROM_RECEIPT, SlaEventKind, SlaTarget
from serviceloop.service.sla.clock import EpochClock, WorkingTime, epoch_us, from_epoch_us
from serviceloop.service.sla.deadlines import deadlines
from serviceloop.service.sla.fastpath import OpenRequestRow, _LogEvent, fast_verdict, verdict_of

SPAN = (date(2024, 1, 1), date(2027, 12, 31))
PERIODS = [
    ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30))),
    ((time(0, 0), time(23, 59)),),
    ((time(9, 0), time(9, 1)), (time(22, 0), time(23, 30))),
]
ZONES = [SHANGHAI, ZoneInfo("UTC")]  # one UTC offset each: the integer clock applies
ROW = OpenRequestRow(1, "general", None, None, None, False)
FROM_RECEIPT = {t.value for t in TARGETS_FROM_RECEIPT}
# on window edges and whole minutes as often as not: a deadline met to the minute, a clock paused at closing
# time, a zero target at an opening are where an off-by-one hides
EDGES = [time(8, 30), time(12, 0), time(13, 0), time(17, 30), time(9, 1), time(22, 0), time(23, 30), time(0, 0)]
moments = st.one_of(
    st.builds(lambda d, t: datetime.combine(d, t, tzinfo=SHANGHAI),
              st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 30)),
              st.one_of(st.sampled_from(EDGES), st.times().map(lambda t: t.replace(second=0, microsecond=0)))),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(SHANGHAI)),
)


@st.composite
def specs(draw):
    if draw(st.integers(0, 5)) == 0:
        return CalendarSpec(round_the_clock=True)
    days = draw(st.lists(st.dates(min_value=SPAN[0], max_value=SPAN[1]), max_size=20))
    return CalendarSpec(periods=draw(st.sampled_from(PERIODS)), overrides={d: draw(st.booleans()) for d in days},
                        tz=draw(st.sampled_from(ZONES)))


@st.composite
def logs(draw):
    """A request's SLA log: received, then pauses, stops, reopenings, dispatches and met targets in any order
    (the reference is defined on any log, so the fast path must agree on any log)."""
    at = draw(moments)
    events = [(SlaEventKind.STARTED.value, "", at)]
    kinds = [
        (SlaEventKind.PAUSED.value, ""), (SlaEventKind.RESUMED.value, ""), (SlaEventKind.STOPPED.value, ""),
        (SlaEventKind.REOPENED.value, ""), (SlaEventKind.STARTED.value, ""),
        *[(SlaEventKind.TARGET_MET.value, t.value) for t in SlaTarget],
        (SlaEventKind.STARTED.value, SlaTarget.ENGINEER_CONTACT.value),
        (SlaEventKind.STARTED.value, SlaTarget.ONSITE_ARRIVAL.value),
    ]
    for kind, target in draw(st.lists(st.sampled_from(kinds), max_size=8)):
        at = at + draw(st.sampled_from([timedelta(0), timedelta(minutes=1), timedelta(minutes=30),
                                        timedelta(minutes=60), timedelta(hours=3, minutes=30),
                                        timedelta(hours=4, minutes=30), timedelta(hours=5), timedelta(hours=20),
                                        timedelta(days=1), timedelta(days=3)]))
        events.append((kind, target, at))
    return events


targets_strategy = st.fixed_dictionaries(
    {t.value: st.sampled_from([0, 1, 30, 60, 120, 210, 270, 480, 1440, 4800]) for t in SlaTarget}
)


@settings(max_examples=400, deadline=None)
@given(spec=specs(), log=logs(), minutes=targets_strategy,
       after=st.sampled_from([-timedelta(minutes=3), timedelta(0), timedelta(minutes=1), timedelta(minutes=30), timedelta(hours=7),
                              timedelta(days=1), timedelta(days=4), timedelta(days=30)]),
       threshold=st.sampled_from([0.2, 0.5]))
def test_fast_verdict_is_the_verdict_of_the_deadlines(spec, log, minutes, after, threshold):
    now = log[-1][2] + after
    targets = {t: timedelta(minutes=m) for t, m in minutes.items()}
    events = [_LogEvent(k, kind, target, at) for k, (kind, target, at) in enumerate(log)]
    expected = verdict_of(ROW, deadlines(ROW, events, spec, targets=targets, now=now), threshold)

    clock = EpochClock.build(WorkingTime(spec), *SPAN)
    assert clock is not None
    fast = fast_verdict(
        ROW, [(kind, target, epoch_us(at)) for kind, target, at in log],
        [(t, epoch_us(now + amount) - epoch_us(now), t in FROM_RECEIPT) for t, amount in targets.items()],
        clock, epoch_us(now), threshold,
    )
    assume(fast is not None)  # a deadline beyond the span: the caller asks deadlines()
    assert fast == expected


@settings(max_examples=100, deadline=None)
@given(spec=specs(), a=moments, span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=200)),
       minutes=st.integers(min_value=0, max_value=60 * 8 * 40), seconds=st.integers(0, 59))
def test_epoch_clock_counts_and_adds_as_working_time(spec, a, span, minutes, seconds):
    clock = WorkingTime(spec)
    epoch = EpochClock.build(clock, *SPAN)
    b = a + span
    assume(epoch_us(b) < epoch.hi)  # the span is the caller's to keep (fast_verdict checks it)
    assert epoch.offset(epoch_us(b)) - epoch.offset(epoch_us(a)) == epoch_us(a + clock.between(a, b)) - epoch_us(a)
    amount = timedelta(minutes=minutes, seconds=seconds)
    found = epoch.add(epoch_us(a), amount // timedelta(microseconds=1))
    if found is not None:
        assert from_epoch_us(found) == clock.add(a, amount)


def test_a_zone_that_changes_its_offset_has_no_integer_clock():
    berlin = CalendarSpec(tz=ZoneInfo("Europe/Berlin"))
    assert EpochClock.build(WorkingTime(berlin), *SPAN) is None
    assert EpochClock.build(WorkingTime(CalendarSpec()), *SPAN) is not None


def test_zero_amount_outside_working_time_is_the_next_opening():
    clock = EpochClock.build(WorkingTime(CalendarSpec()), *SPAN)
    friday_evening = datetime(2026, 11, 20, 18, 0, tzinfo=SHANGHAI)
    assert from_epoch_us(clock.add(epoch_us(friday_evening), 0)) == datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
    assert clock.add(epoch_us(datetime(2027, 12, 31, 18, 0, tzinfo=SHANGHAI)), 1) is None  # past the span


def test_gc_pauses_nest_and_restore_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def _both(log, minutes, now, threshold=0.2):
    spec = CalendarSpec()
    targets = {t.value: timedelta(minutes=minutes.get(t.value, 4800)) for t in SlaTarget}
    events = [_LogEvent(k, kind, target, at) for k, (kind, target, at) in enumerate(log)]
    expected = verdict_of(ROW, deadlines(ROW, events, spec, targets=targets, now=now), threshold)
    fast = fast_verdict(
        ROW, [(kind, target, epoch_us(at)) for kind, target, at in log],
        [(t, amount // timedelta(microseconds=1), t in FROM_RECEIPT) for t, amount in targets.items()],
        EpochClock.build(WorkingTime(spec), *SPAN), epoch_us(now), threshold,
    )
    return fast, expected


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def test_a_target_met_exactly_at_its_deadline_is_not_breached():
    log = [("started", "", sh(2026, 11, 23, 8, 30)), ("target_met", "first_response", sh(2026, 11, 23, 9, 0))]
    fast, expected = _both(log, {"first_response": 30}, now=sh(2026, 11, 23, 9, 0))
    assert fast == expected
    assert not fast.breached


def test_a_clock_is_breached_only_after_its_deadline_has_passed():
    log = [("started", "", sh(2026, 11, 23, 8, 30))]
    at_deadline, expected = _both(log, {"first_response": 30}, now=sh(2026, 11, 23, 9, 0))
    assert at_deadline == expected
    assert not at_deadline.breached and [r.target for r in at_deadline.at_risk] == ["first_response"]
    just_after, expected = _both(log, {"first_response": 30}, now=sh(2026, 11, 23, 9, 0, 0, 1))
    assert just_after == expected and just_after.breached


def test_zero_amount_at_closing_time_is_the_next_opening():
    clock = EpochClock.build(WorkingTime(CalendarSpec()), *SPAN)
    noon = sh(2026, 11, 23, 12, 0)
    assert from_epoch_us(clock.add(epoch_us(noon), 0)) == WorkingTime(CalendarSpec()).add(noon, timedelta(0))
    assert from_epoch_us(clock.add(epoch_us(noon), 0)) == sh(2026, 11, 23, 13, 0)
