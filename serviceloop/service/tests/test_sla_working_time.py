"""sla.clock.WorkingTime (precomputed days) gives exactly what core.workcalendar's day-by-day walk gives."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceloop.core.workcalendar import (
    MAX_DAYS_SCANNED,
    SHANGHAI,
    CalendarSpec,
    add_working_time,
    statutory_years,
    working_time_between,
)
from serviceloop.service.sla.clock import WorkingTime, working_time

PERIODS = [
    ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30))),
    ((time(0, 0), time(23, 59)),),
    ((time(9, 0), time(9, 1)), (time(22, 0), time(23, 30))),
]
ZONES = [SHANGHAI, ZoneInfo("Europe/Berlin"), ZoneInfo("UTC")]
first_year, last_year = statutory_years()
moments = st.datetimes(
    min_value=datetime(first_year, 1, 1), max_value=datetime(last_year + 2, 12, 31), timezones=st.sampled_from(ZONES)
)


@st.composite
def specs(draw):
    days = draw(st.lists(st.dates(min_value=date(first_year, 1, 1), max_value=date(last_year + 2, 12, 31)),
                         max_size=30))
    overrides = {d: draw(st.booleans()) for d in days}
    return CalendarSpec(periods=draw(st.sampled_from(PERIODS)), overrides=overrides, tz=draw(st.sampled_from(ZONES)))


def outcome(fn, *args):
    try:
        return fn(*args)
    except ValueError as exc:
        return ("ValueError", str(exc))


@settings(max_examples=60, deadline=None)
@given(spec=specs(), a=moments, span=st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=400)))
def test_between_matches_the_day_by_day_walk(spec, a, span):
    b = (a + span).astimezone(ZONES[hash(span) % len(ZONES)])
    assert WorkingTime(spec).between(a, b) == working_time_between(a, b, spec)


@settings(max_examples=60, deadline=None)
@given(spec=specs(), start=moments, minutes=st.integers(min_value=0, max_value=60 * 8 * 60),
       seconds=st.integers(min_value=0, max_value=59))
def test_add_matches_the_day_by_day_walk(spec, start, minutes, seconds):
    amount = timedelta(minutes=minutes, seconds=seconds)
    fast = outcome(WorkingTime(spec).add, start, amount)
    slow = outcome(add_working_time, start, amount, spec)
    assert fast == slow
    if isinstance(fast, datetime):
        assert fast.tzinfo is slow.tzinfo  # the same local time object, not only the same instant


def test_one_shared_table_answers_in_any_order():
    spec = CalendarSpec()
    clock = WorkingTime(spec)
    later = datetime(2026, 11, 19, 10, 0, tzinfo=SHANGHAI)
    earlier = datetime(2019, 2, 1, 10, 0, tzinfo=SHANGHAI)  # extends the table backwards
    for start in (later, earlier, later + timedelta(days=900)):
        for amount in (timedelta(0), timedelta(minutes=1), timedelta(hours=8), timedelta(hours=8 * 400)):
            assert clock.add(start, amount) == add_working_time(start, amount, spec)
        assert clock.between(earlier, start) == working_time_between(earlier, start, spec)


def test_zero_amount_outside_working_time_is_the_next_opening():
    spec = CalendarSpec()
    friday_evening = datetime(2026, 11, 20, 18, 0, tzinfo=SHANGHAI)
    assert WorkingTime(spec).add(friday_evening, timedelta(0)) == datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)


def test_no_working_time_in_ten_years_raises_like_the_walk():
    start = date(2030, 1, 1)
    spec = CalendarSpec(overrides={start + timedelta(days=k): False for k in range(MAX_DAYS_SCANNED + 5)})
    moment = datetime(2030, 1, 1, 9, 0, tzinfo=SHANGHAI)
    with pytest.raises(ValueError):
        add_working_time(moment, timedelta(minutes=1), spec)
    with pytest.raises(ValueError):
        WorkingTime(spec).add(moment, timedelta(minutes=1))


def test_round_the_clock_and_naive_inputs_take_the_plain_path():
    rtc = CalendarSpec(round_the_clock=True)
    a = datetime(2026, 10, 1, 23, 30, tzinfo=SHANGHAI)
    assert WorkingTime(rtc).add(a, timedelta(hours=1)) == a + timedelta(hours=1)
    assert WorkingTime(rtc).between(a, a + timedelta(days=2)) == timedelta(days=2)
    with pytest.raises(ValueError):
        WorkingTime(CalendarSpec()).between(datetime(2026, 1, 1), a)  # noqa: DTZ001 - naive on purpose


def test_equal_specs_share_one_table():
    assert working_time(CalendarSpec(overrides={date(2026, 1, 5): False})) is working_time(
        CalendarSpec(overrides={date(2026, 1, 5): False})
    )
