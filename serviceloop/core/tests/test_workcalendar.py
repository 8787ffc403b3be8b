"""Working-day arithmetic: statutory holidays, make-up days, company days, hours, 24/7, time zones."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceloop.core.models import CalendarDay, WorkCalendar
from serviceloop.core.workcalendar import (
    SHANGHAI,
    CalendarSpec,
    add_working_days,
    add_working_time,
    calendar_warnings,
    parse_periods,
    spec_for,
    statutory_years,
    working_time_between,
)

UTC = ZoneInfo("UTC")
OFFICE = CalendarSpec()  # 08:30-12:00, 13:00-17:30
H = timedelta(hours=1)


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def test_created_on_a_weekend_starts_counting_on_monday_morning():
    # Saturday 2026-11-21 10:00 -> first working moment Monday 2026-11-23 08:30
    assert add_working_time(sh(2026, 11, 21, 10, 0), 2 * H, OFFICE) == sh(2026, 11, 23, 10, 30)


def test_created_on_a_statutory_holiday_starts_after_the_holiday():
    # National Day 2026-10-03 is a holiday; the span runs to 10-07, 10-08 is the next working day
    assert add_working_time(sh(2026, 10, 3, 9, 0), H, OFFICE) == sh(2026, 10, 8, 9, 30)


def test_created_after_hours_starts_next_working_morning():
    assert add_working_time(sh(2026, 11, 19, 18, 45), H, OFFICE) == sh(2026, 11, 20, 9, 30)


def test_created_in_the_lunch_break_starts_at_13_00():
    assert add_working_time(sh(2026, 11, 19, 12, 15), H, OFFICE) == sh(2026, 11, 19, 14, 0)


def test_created_exactly_at_opening_counts_from_opening():
    assert add_working_time(sh(2026, 11, 19, 8, 30), H, OFFICE) == sh(2026, 11, 19, 9, 30)


def test_exactly_at_closing_rolls_to_next_morning():
    assert add_working_time(sh(2026, 11, 19, 17, 30), H, OFFICE) == sh(2026, 11, 20, 9, 30)


def test_a_make_up_saturday_counts_as_a_working_day():
    # 2026-10-10 (Saturday) is a make-up working day after National Day
    assert OFFICE.is_working_day(date(2026, 10, 10))
    assert add_working_time(sh(2026, 10, 9, 17, 0), H, OFFICE) == sh(2026, 10, 10, 9, 0)


def test_spring_festival_span_is_skipped():
    # Spring Festival 2026: 02-15 .. 02-23 off; 02-14 (Saturday) is a make-up working day
    assert OFFICE.is_working_day(date(2026, 2, 14))
    for d in range(15, 24):
        assert not OFFICE.is_working_day(date(2026, 2, d)), d
    assert add_working_time(sh(2026, 2, 14, 17, 0), H, OFFICE) == sh(2026, 2, 24, 9, 0)


def test_national_day_span_working_time_is_zero():
    assert working_time_between(sh(2026, 10, 1, 0, 0), sh(2026, 10, 8, 0, 0), OFFICE) == timedelta(0)


def test_three_working_days_across_a_weekend():
    # Thursday 10:00 + 3 working days = Tuesday 10:00
    assert add_working_days(sh(2026, 11, 19, 10, 0), 3, OFFICE) == sh(2026, 11, 24, 10, 0)


def test_round_the_clock_has_no_gap_at_midnight():
    spec = CalendarSpec(round_the_clock=True)
    assert add_working_time(sh(2026, 10, 1, 23, 30), H, spec) == sh(2026, 10, 2, 0, 30)
    assert working_time_between(sh(2026, 10, 1, 23, 0), sh(2026, 10, 2, 1, 0), spec) == 2 * H


def test_times_are_stored_utc_and_computed_in_shanghai():
    # 2026-11-19 00:30 UTC is 08:30 in Shanghai: exactly opening time
    start = datetime(2026, 11, 19, 0, 30, tzinfo=UTC)
    deadline = add_working_time(start, H, OFFICE)
    assert deadline == sh(2026, 11, 19, 9, 30)
    assert deadline.astimezone(UTC) == datetime(2026, 11, 19, 1, 30, tzinfo=UTC)
    # 2026-11-19 23:00 UTC is already Friday 07:00 in Shanghai -> before opening
    assert add_working_time(datetime(2026, 11, 19, 23, 0, tzinfo=UTC), H, OFFICE) == sh(2026, 11, 20, 9, 30)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_working_time(datetime(2026, 11, 19, 9, 0), H, OFFICE)


def test_a_year_beyond_the_package_falls_back_to_weekdays_and_warns():
    _first, last = statutory_years()
    beyond = last + 1
    monday = next(date(beyond, 1, d) for d in range(2, 9) if date(beyond, 1, d).weekday() == 0)
    assert OFFICE.is_working_day(monday)
    assert not OFFICE.is_working_day(monday + timedelta(days=5))  # Saturday
    assert calendar_warnings(date(last, 11, 1))  # next year is not covered: warn now
    assert calendar_warnings(date(last - 2, 11, 1)) == []


def test_company_days_override_the_statutory_calendar():
    spec = CalendarSpec(overrides={date(2026, 11, 20): False, date(2026, 11, 21): True})
    # Friday off (company holiday), Saturday worked (company make-up day)
    assert add_working_time(sh(2026, 11, 19, 17, 0), H, spec) == sh(2026, 11, 21, 9, 0)


@pytest.mark.django_db
def test_spec_for_reads_calendar_and_company_days():
    WorkCalendar.objects.create(code="STD", name="标准", working_hours="09:00-12:00,13:00-18:00", is_default=True)
    CalendarDay.objects.create(date=date(2026, 11, 20), is_working=False, note="厂庆")
    spec = spec_for()
    assert spec.periods == ((time(9), time(12)), (time(13), time(18)))
    assert not spec.is_working_day(date(2026, 11, 20))
    assert spec_for(WorkCalendar(code="X", name="x", round_the_clock=True)).round_the_clock


def test_parse_periods_rejects_bad_text():
    for bad in ["", "8-7", "08:30-12:00,11:00-13:00", "abc"]:
        with pytest.raises(ValueError):
            parse_periods(bad)
    assert parse_periods("8:30-12:00, 13:00-17:30") == ((time(8, 30), time(12)), (time(13), time(17, 30)))


def test_working_time_between_matches_add_working_time():
    start = sh(2026, 9, 29, 15, 0)
    end = add_working_time(start, 10 * H, OFFICE)
    assert working_time_between(start, end, OFFICE) == 10 * H


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda d: d.replace(tzinfo=SHANGHAI)
)
durations = st.integers(min_value=0, max_value=60 * 24 * 10).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(start=moments, shorter=durations, extra=durations)
def test_a_longer_target_never_gives_an_earlier_deadline(start, shorter, extra):
    assert add_working_time(start, shorter + extra, OFFICE) >= add_working_time(start, shorter, OFFICE)


@settings(max_examples=200, deadline=None)
@given(start=moments, target=durations, pause_at=durations, pause_len=durations)
def test_pausing_never_makes_a_deadline_earlier(start, target, pause_at, pause_len):
    """A pause (clock stopped from p0 to p1) can only push the deadline later."""
    plain = add_working_time(start, target, OFFICE)
    p0 = start + pause_at
    p1 = p0 + pause_len
    used_before_pause = min(working_time_between(start, p0, OFFICE), target)
    if used_before_pause >= target:
        paused = plain
    else:
        paused = add_working_time(p1, target - used_before_pause, OFFICE)
    assert paused >= plain


# ------------------------------------------------------------------ past the package: the law's holidays
# (the new names are imported inside the tests, so each test fails on its own against the code before them)

def _beyond() -> int:
    return statutory_years()[1] + 1


def test_new_years_day_2027_is_not_a_working_day():
    # 2027-01-01 is a Friday; chinesecalendar 1.11 stops at 2026, so this is the fallback's answer
    assert not OFFICE.is_working_day(date(2027, 1, 1))
    assert OFFICE.is_working_day(date(2027, 1, 4))
    assert add_working_time(sh(2026, 12, 31, 17, 0), H, OFFICE) == sh(2027, 1, 4, 9, 0)


def test_spring_festival_in_the_fallback_year_is_a_holiday():
    from serviceloop.core.workcalendar import holidays_fixed_by_law

    year = _beyond()
    law = holidays_fixed_by_law(year)
    spring = sorted(d for d, code in law.items() if code == "spring_festival")
    assert len(spring) == 4 and spring[-1] - spring[0] == timedelta(days=3)  # 除夕 + 初一 .. 初三
    for day in spring:
        assert not OFFICE.is_working_day(day), day
    if year == 2027:  # lunar new year 2027-02-06 (a Saturday): 除夕 Friday 02-05 is off, Tuesday 02-09 works
        assert spring == [date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)]
        assert OFFICE.is_working_day(date(2027, 2, 9))
        assert law[date(2027, 4, 5)] == "tomb_sweeping_day"  # the solar term 清明
        assert law[date(2027, 6, 9)] == "dragon_boat_festival"
        assert law[date(2027, 9, 15)] == "mid_autumn_festival"


def test_the_fallback_year_has_the_thirteen_days_of_the_law():
    from serviceloop.core.workcalendar import HOLIDAY_LABELS, holidays_fixed_by_law

    law = holidays_fixed_by_law(_beyond())
    counts = {code: list(law.values()).count(code) for code in HOLIDAY_LABELS}
    # Mid-Autumn can fall on National Day (10-1..10-3): then the day counts once
    assert counts["mid_autumn_festival"] in (0, 1)
    counts.pop("mid_autumn_festival")
    assert counts == {"new_years_day": 1, "spring_festival": 4, "tomb_sweeping_day": 1, "labour_day": 2,
                      "dragon_boat_festival": 1, "national_day": 3}
    for day in law:
        assert not OFFICE.is_working_day(day)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_law_days_agree_with_the_official_schedules_the_package_has(year):
    """The lunar arithmetic checked against years the State Council published (the law as amended in 2024)."""
    import chinese_calendar

    from serviceloop.core.workcalendar import holidays_fixed_by_law

    law = holidays_fixed_by_law(year)
    assert len(law) == 13
    for day, code in law.items():
        assert chinese_calendar.get_holiday_detail(day) == (True, chinese_calendar.Holiday[code].value), day


def test_make_up_days_of_the_fallback_year_are_unknown_weekends_stay_off():
    from serviceloop.core.workcalendar import law_holiday

    year = _beyond()
    saturday = next(date(year, 2, d) for d in range(1, 8) if date(year, 2, d).weekday() == 5)
    assert not OFFICE.is_working_day(saturday)
    assert OFFICE.is_working_day(saturday + timedelta(days=2)) or law_holiday(saturday + timedelta(days=2))
    warning = calendar_warnings(date(year - 1, 12, 1))[0]
    assert "调休" in warning and str(year) in warning
    assert calendar_warnings(date(year - 1, 12, 1), entered_years=[year]) == []


@pytest.mark.django_db
def test_sla_deadlines_skip_the_law_holidays_of_the_fallback_year():
    """The SLA clocks use core.workcalendar's spec (calendar_cache) and its day table (service.sla.clock)."""
    from serviceloop.core.calendar_cache import spec_for_calendar
    from serviceloop.service.sla.clock import WorkingTime

    spec = spec_for_calendar(None)
    clock = WorkingTime(spec)
    assert clock.add(sh(2026, 12, 31, 17, 0), H) == sh(2027, 1, 4, 9, 0)
    assert clock.between(sh(2027, 1, 1, 0, 0), sh(2027, 1, 4, 0, 0)) == timedelta(0)
