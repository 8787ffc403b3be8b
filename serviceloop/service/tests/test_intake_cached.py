"""Intake with its reads cached or compiled: the same request, SLA columns, warranty verdict and
warnings as the plain ORM reads give, inside and outside HTTP requests, with the fast paths
(core/fastpaths) on and off."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.utils import timezone

from serviceloop.assets.tests.factories import ServiceContractFactory, UnitFactory
from serviceloop.assets.warranty import warranty_state
from serviceloop.core import stamps
from serviceloop.core.models import CalendarDay, WorkCalendar
from serviceloop.service import services
from serviceloop.service.choices import OPEN_STATUSES
from serviceloop.service.models import ServiceRequest
from serviceloop.service.sla.deadlines import deadlines_for, summary
from serviceloop.service.sla.policies import spec_for_request

from .factories import SlaPolicyFactory, new_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=[True, False], ids=["fast paths", "plain paths"])
def _fast_paths(request, settings):
    settings.FASTPATHS = request.param


@contextlib.contextmanager
def in_request():
    """As during an HTTP request: the per-process caches are used."""
    stamps._request_started()
    try:
        yield
    finally:
        stamps._request_finished()


@pytest.fixture(params=["in a request", "outside requests"])
def context(request):
    return in_request() if request.param == "in a request" else contextlib.nullcontext()


def _calendars():
    CalendarDay.objects.create(date=dt.date(2030, 10, 8), is_working=False, note="公司年会")
    shift = WorkCalendar.objects.create(code="SHIFT", name="两班", working_hours="08:00-20:00")
    WorkCalendar.objects.create(code="STD", name="标准", is_default=True, working_hours="09:00-17:00")
    return shift


def test_intake_stores_the_sla_columns_the_log_gives(cast, context):
    shift = _calendars()
    SlaPolicyFactory(name="shift", request_type="fault_repair", calendar=shift, first_response_minutes=90)
    unit = UnitFactory(customer=cast.customer_a)
    with context:
        request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert stored.sla_policy.name == "shift"
    found = deadlines_for(stored, now=stored.received_at)
    assert (stored.sla_due_at, stored.sla_breached) == summary(found) and stored.sla_due_at is not None
    first = stored.history.order_by("history_id").first()
    assert (first.sla_due_at, first.sla_breached) == (stored.sla_due_at, stored.sla_breached)
    assert list(stored.sla_events.values_list("kind", "target", "at")) == [("started", "", stored.received_at)]


@pytest.mark.parametrize("case", ["policy calendar", "default calendar", "no calendar", "24/7 contract"])
def test_the_calendar_spec_is_the_one_sla_builds(cast, case):
    shift = _calendars() if case != "no calendar" else None
    unit = UnitFactory(customer=cast.customer_a)
    if case == "policy calendar":
        SlaPolicyFactory(name="shift", is_default=True, calendar=shift)
    if case == "24/7 contract":
        ServiceContractFactory(customer=cast.customer_a, sla_level="24x7", start_date=dt.date(2020, 1, 1),
                               end_date=dt.date(2099, 12, 31)).units.add(unit)
    specs = []
    for context in (in_request(), contextlib.nullcontext()):  # the process's cache, then the database
        with context:
            request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
            specs.append(spec_for_request(ServiceRequest.objects.get(pk=request.pk)))
    assert specs[0] == specs[1]
    assert specs[0].round_the_clock == (case == "24/7 contract")


def test_contracts_and_open_requests_as_the_orm_reads_them(cast, context):
    unit = UnitFactory(customer=cast.customer_a, ship_date=dt.date(2020, 1, 1))
    contract = ServiceContractFactory(customer=cast.customer_a, start_date=dt.date(2020, 1, 1),
                                      end_date=dt.date(2099, 12, 31))
    contract.units.add(unit)
    earlier = [new_request(actor=cast.desk, customer=cast.customer_a, unit=unit) for _ in range(2)]
    with context:
        result = services.request_create(actor=cast.desk, channel="phone", request_type="fault_repair",
                                         customer=cast.customer_a, unit=unit, title="又报警")
    expected = list(ServiceRequest.objects.filter(unit=unit, status__in=OPEN_STATUSES)
                    .exclude(pk=result.service_request.pk).order_by("received_at"))
    assert result.open_requests == expected == earlier
    assert [r.number for r in result.open_requests] == [e.number for e in earlier]
    assert len(result.warnings) == 2
    verdict = warranty_state(type(unit).objects.get(pk=unit.pk), timezone.localdate())
    assert (result.service_request.contract, result.service_request.warranty_state) == (verdict.contract, verdict.state) == (
        contract, "contract")


def test_the_shared_policy_is_not_the_requests_instance(cast):
    SlaPolicyFactory(name="standard", is_default=True)
    with in_request():
        one = new_request(actor=cast.desk, customer=cast.customer_a)
        two = new_request(actor=cast.desk, customer=cast.customer_a)
    assert one.sla_policy == two.sla_policy and one.sla_policy is not two.sla_policy
