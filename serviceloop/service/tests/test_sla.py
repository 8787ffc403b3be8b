"""SLA clocks: deadlines from the event log, working days, pauses, reopening, 24/7, policy matching."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceloop.assets.tests.factories import ServiceContractFactory, UnitFactory
from serviceloop.core.calendar_cache import ROUND_THE_CLOCK
from serviceloop.core.models import CalendarDay, WorkCalendar
from serviceloop.core.workcalendar import SHANGHAI, CalendarSpec, statutory_years
from serviceloop.service.models import ServiceRequest, SlaEvent, SlaPolicy
from serviceloop.service.sla.deadlines import deadlines, deadlines_for, running_intervals, summary
from serviceloop.service.sla.policies import FALLBACK_TARGETS, SpecCache, match_policy, targets_of

from .factories import SlaPolicyFactory, frozen, new_request

UTC = ZoneInfo("UTC")
OFFICE = CalendarSpec()  # 08:30-12:00, 13:00-17:30
MIN = timedelta(minutes=1)
H = timedelta(hours=1)


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def ev(kind, at, target="", reason=""):
    return SlaEvent(kind=kind, at=at, target=target, reason=reason)


def clock(start, minutes, *, target="first_response", events=(), spec=OFFICE, now=None):
    """The deadline of one target for a request received at ``start``."""
    log = [ev("started", start), *events]
    found = deadlines(ServiceRequest(), log, spec, targets={target: minutes * MIN}, now=now or start)
    return found[target]


# ------------------------------------------------------------- when the clock starts

def test_created_on_a_statutory_holiday_counts_from_the_next_working_morning():
    assert clock(sh(2026, 10, 3, 9, 0), 60).due_at == sh(2026, 10, 8, 9, 30)


def test_created_on_a_weekend_counts_from_monday():
    assert clock(sh(2026, 11, 21, 10, 0), 120).due_at == sh(2026, 11, 23, 10, 30)


def test_created_after_hours_counts_from_the_next_morning():
    assert clock(sh(2026, 11, 19, 18, 45), 60).due_at == sh(2026, 11, 20, 9, 30)


def test_created_exactly_at_opening_counts_from_opening():
    assert clock(sh(2026, 11, 19, 8, 30), 60).due_at == sh(2026, 11, 19, 9, 30)


def test_a_make_up_saturday_is_a_working_day():
    # Friday 2026-10-09 17:00: 30 minutes left that day, Saturday 10-10 is a make-up working day
    assert clock(sh(2026, 10, 9, 17, 0), 60).due_at == sh(2026, 10, 10, 9, 0)


def test_plan_within_three_working_days_across_the_spring_festival():
    # Fri 02-13 10:00: 6.5 h; Sat 02-14 (make-up day) 8 h; 02-15..02-23 off; Tue 02-24 8 h; Wed 1.5 h
    found = clock(sh(2026, 2, 13, 10, 0), 3 * 480, target="plan_decided")
    assert found.due_at == sh(2026, 2, 25, 10, 0)


def test_plan_within_three_working_days_across_national_day():
    # Wed 09-30 10:00: 6.5 h; 10-01..10-07 off; Thu 8 h; Fri 8 h; make-up Saturday 10-10 1.5 h
    found = clock(sh(2026, 9, 30, 10, 0), 3 * 480, target="plan_decided")
    assert found.due_at == sh(2026, 10, 10, 10, 0)


def test_stored_utc_is_computed_in_shanghai():
    # 00:30 UTC = 08:30 Shanghai: exactly at opening
    found = clock(datetime(2026, 11, 19, 0, 30, tzinfo=UTC), 60)
    assert found.due_at == sh(2026, 11, 19, 9, 30)
    assert found.due_at.astimezone(UTC) == datetime(2026, 11, 19, 1, 30, tzinfo=UTC)


def test_a_year_beyond_the_package_data_counts_monday_to_friday():
    beyond = statutory_years()[1] + 1
    saturday = next(date(beyond, 3, d) for d in range(1, 8) if date(beyond, 3, d).weekday() == 5)
    start = datetime(saturday.year, saturday.month, saturday.day, 10, 0, tzinfo=SHANGHAI)
    monday = saturday + timedelta(days=2)
    assert clock(start, 60).due_at == datetime(monday.year, monday.month, monday.day, 9, 30, tzinfo=SHANGHAI)


def test_round_the_clock_has_no_gap_at_midnight_or_on_holidays():
    assert clock(sh(2026, 10, 1, 23, 30), 60, spec=ROUND_THE_CLOCK).due_at == sh(2026, 10, 2, 0, 30)


# ------------------------------------------------------------- met, breached, remaining

def test_met_in_time_is_not_breached():
    start = sh(2026, 11, 19, 9, 0)
    found = clock(start, 60, events=[ev("target_met", sh(2026, 11, 19, 9, 40), "first_response")],
                  now=sh(2026, 11, 20, 12, 0))
    assert found.met_at == sh(2026, 11, 19, 9, 40)
    assert not found.breached
    assert found.elapsed == 40 * MIN
    assert found.remaining == 20 * MIN
    assert not found.is_open


def test_met_late_is_breached():
    found = clock(sh(2026, 11, 19, 9, 0), 60, events=[ev("target_met", sh(2026, 11, 19, 13, 30), "first_response")])
    assert found.breached
    assert found.remaining == -150 * MIN  # 09:00-12:00 and 13:00-13:30 = 3.5 h worked


def test_unmet_past_the_deadline_is_breached_and_overdue():
    found = clock(sh(2026, 11, 19, 9, 0), 60, now=sh(2026, 11, 19, 11, 0))
    assert found.breached and found.running
    assert found.remaining == -H
    assert found.fraction_left == -1.0


def test_after_hours_past_the_deadline_is_breached():
    found = clock(sh(2026, 11, 19, 16, 30), 60, now=sh(2026, 11, 19, 18, 0))
    assert found.due_at == sh(2026, 11, 19, 17, 30)
    assert found.breached


def test_pause_across_a_night_and_a_holiday_does_not_count():
    start = sh(2026, 9, 30, 9, 0)
    pause = [ev("paused", sh(2026, 9, 30, 9, 30), reason="waiting_customer")]
    while_paused = clock(start, 120, events=pause, now=sh(2026, 10, 5, 10, 0))
    assert while_paused.due_at is None and not while_paused.running
    assert while_paused.elapsed == 30 * MIN and not while_paused.breached
    resumed = clock(start, 120, events=[*pause, ev("resumed", sh(2026, 10, 8, 14, 0))], now=sh(2026, 10, 8, 14, 0))
    assert resumed.due_at == sh(2026, 10, 8, 15, 30)
    assert resumed.remaining == 90 * MIN


def test_reopening_resumes_the_resolution_clock_where_it_stopped():
    start = sh(2026, 11, 16, 8, 30)
    events = [
        ev("target_met", sh(2026, 11, 17, 8, 30), "resolution"),
        ev("stopped", sh(2026, 11, 17, 8, 30), reason="resolved"),
    ]
    resolved = clock(start, 4800, target="resolution", events=events, now=sh(2026, 11, 19, 8, 30))
    assert resolved.met_at == sh(2026, 11, 17, 8, 30) and resolved.elapsed == 8 * H
    reopened = clock(
        start, 4800, target="resolution", events=[*events, ev("reopened", sh(2026, 11, 19, 8, 30))],
        now=sh(2026, 11, 19, 8, 30),
    )
    assert reopened.met_at is None and reopened.running
    assert reopened.elapsed == 8 * H  # the two days while resolved did not count
    assert reopened.due_at == sh(2026, 12, 1, 17, 30)  # 72 working hours from Thursday 08:30


def test_dispatch_clock_waits_for_its_start_event():
    start = sh(2026, 11, 19, 9, 0)
    log = [ev("started", start)]
    found = deadlines(ServiceRequest(), log, OFFICE, targets={"engineer_contact": 60 * MIN}, now=start)
    assert found["engineer_contact"].started_at is None and found["engineer_contact"].due_at is None
    log.append(ev("started", sh(2026, 11, 19, 10, 0), "engineer_contact"))
    found = deadlines(ServiceRequest(), log, OFFICE, targets={"engineer_contact": 60 * MIN}, now=start)
    assert found["engineer_contact"].due_at == sh(2026, 11, 19, 11, 0)


def test_running_intervals_of_a_log():
    log = [
        ev("started", sh(2026, 11, 19, 9, 0)),
        ev("paused", sh(2026, 11, 19, 10, 0)),
        ev("resumed", sh(2026, 11, 19, 11, 0)),
        ev("stopped", sh(2026, 11, 19, 12, 0)),
        ev("reopened", sh(2026, 11, 20, 9, 0)),
    ]
    assert running_intervals(log) == [
        (sh(2026, 11, 19, 9, 0), sh(2026, 11, 19, 10, 0)),
        (sh(2026, 11, 19, 11, 0), sh(2026, 11, 19, 12, 0)),
        (sh(2026, 11, 20, 9, 0), None),
    ]


def test_summary_takes_the_earliest_open_deadline():
    start = sh(2026, 11, 19, 9, 0)
    found = deadlines(
        ServiceRequest(), [ev("started", start), ev("target_met", sh(2026, 11, 19, 9, 5), "first_response")], OFFICE,
        targets={"first_response": 60 * MIN, "plan_decided": 120 * MIN, "resolution": 600 * MIN}, now=start,
    )
    assert summary(found) == (sh(2026, 11, 19, 11, 0), False)


# ------------------------------------------------------------- properties

moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
)


@settings(max_examples=60, deadline=None)
@given(start=moments, minutes=st.integers(1, 3000), pause_after=st.integers(0, 20000), pause_for=st.integers(1, 20000))
def test_pausing_never_makes_a_deadline_earlier(start, minutes, pause_after, pause_for):
    paused_at = start + pause_after * MIN
    pause = [ev("paused", paused_at), ev("resumed", paused_at + pause_for * MIN)]
    plain = clock(start, minutes)
    with_pause = clock(start, minutes, events=pause)
    assert with_pause.due_at >= plain.due_at


@settings(max_examples=60, deadline=None)
@given(start=moments, minutes=st.integers(1, 3000), extra=st.integers(0, 3000))
def test_a_longer_target_never_gives_an_earlier_deadline(start, minutes, extra):
    assert clock(start, minutes + extra).due_at >= clock(start, minutes).due_at


# ------------------------------------------------------------- policies

def policy(name, **matchers):
    return SlaPolicy(name=name, **matchers)


def test_the_most_specific_policy_wins():
    general = policy("all faults", request_type="fault_repair")
    severe = policy("severe faults", request_type="fault_repair", severity="severe")
    key = policy("severe faults of key accounts", request_type="fault_repair", severity="severe", customer_level="A")
    pool = [general, severe, key]
    assert match_policy(request_type="fault_repair", severity="severe", customer_level="A", policies=pool) is key
    assert match_policy(request_type="fault_repair", severity="severe", customer_level="B", policies=pool) is severe
    assert match_policy(request_type="fault_repair", severity="minor", customer_level="A", policies=pool) is general


def test_no_matching_policy_falls_back_to_the_default_then_to_built_in_targets():
    default = policy("default", is_default=True, request_type="training")
    contract = policy("24x7", contract_sla_level="24x7")
    assert match_policy(request_type="complaint", severity="major", policies=[default, contract]) is default
    assert match_policy(request_type="complaint", severity="major", contract_sla_level="24x7",
                        policies=[default, contract]) is contract
    assert match_policy(request_type="complaint", severity="major", policies=[contract]) is None
    assert targets_of(None) == FALLBACK_TARGETS
    assert FALLBACK_TARGETS["plan_decided"] == 3 * 8 * H  # seed 001 §4.6: 3 working days
    assert FALLBACK_TARGETS["engineer_contact"] == H  # seed 003 §5.2.1: within 1 hour


def test_inactive_policies_are_ignored():
    stale = policy("retired", request_type="complaint", active=False)
    assert match_policy(request_type="complaint", severity="general", policies=[stale]) is None


def test_a_blank_default_loses_to_a_blank_ordinary_policy():
    default = policy("default", is_default=True)
    ordinary = policy("ordinary")
    assert match_policy(request_type="complaint", severity="general", policies=[default, ordinary]) is ordinary


@pytest.mark.django_db
def test_intake_stores_the_matched_policy_or_the_default(cast):
    default = SlaPolicyFactory(name="default", is_default=True, first_response_minutes=90)
    complaints = SlaPolicyFactory(name="complaints", request_type="consultation", first_response_minutes=30)
    with frozen(sh(2026, 11, 19, 9, 0)):
        consultation = new_request(actor=cast.desk, customer=cast.customer_a, request_type="consultation")
        repair = new_request(actor=cast.desk, customer=cast.customer_a)
    assert consultation.sla_policy == complaints
    assert repair.sla_policy == default
    assert deadlines_for(repair, now=sh(2026, 11, 19, 9, 0))["first_response"].due_at == sh(2026, 11, 19, 10, 30)
    assert repair.sla_due_at == sh(2026, 11, 19, 10, 30)


@pytest.mark.django_db
def test_without_any_policy_the_built_in_targets_apply(cast):
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a)
    assert request.sla_policy is None
    found = deadlines_for(request, now=sh(2026, 11, 19, 9, 0))
    assert found["first_response"].due_at == sh(2026, 11, 19, 11, 0)
    assert found["plan_decided"].due_at == sh(2026, 11, 24, 9, 0)  # Thu 09:00 + 3 working days


@pytest.mark.django_db
def test_a_24x7_contract_counts_round_the_clock(cast):
    unit = UnitFactory(customer=cast.customer_a, ship_date=date(2020, 1, 1))
    contract = ServiceContractFactory(customer=cast.customer_a, sla_level="24x7")
    contract.units.add(unit)
    with frozen(sh(2026, 10, 1, 23, 0)):  # National Day, at night
        request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    assert request.contract == contract
    assert SpecCache().for_request(request) is ROUND_THE_CLOCK
    assert deadlines_for(request, now=sh(2026, 10, 1, 23, 0))["first_response"].due_at == sh(2026, 10, 2, 1, 0)


@pytest.mark.django_db
def test_policy_calendar_and_company_days_are_used(cast):
    CalendarDay.objects.create(date=date(2026, 11, 20), is_working=False, note="公司年会")
    calendar = WorkCalendar.objects.create(code="SHIFT", name="两班", working_hours="08:00-20:00")
    SlaPolicyFactory(name="default", is_default=True, calendar=calendar, first_response_minutes=120)
    with frozen(sh(2026, 11, 19, 19, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a)
    # 19:00-20:00 Thursday, Friday is a company day off, Monday from 08:00
    assert deadlines_for(request, now=sh(2026, 11, 19, 19, 0))["first_response"].due_at == sh(2026, 11, 23, 9, 0)



@pytest.mark.django_db
def test_the_shipped_policies_are_a_default_and_tighter_targets_for_major_faults():
    from importlib import import_module

    from django.apps import apps as global_apps

    shipped = import_module("serviceloop.service.migrations.0003_default_sla_policies")
    shipped.create(global_apps, None)  # what migrate ran (the fixture of these tests removed it)
    default = SlaPolicy.objects.get(is_default=True)
    assert default.engineer_contact_minutes == 60 and default.plan_decided_minutes == 3 * 8 * 60
    assert match_policy(request_type="fault_repair", severity="major").severity == "major"
    assert match_policy(request_type="fault_repair", severity="minor") == default
