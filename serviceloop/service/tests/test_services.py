"""Service request workflow: intake, transitions legal and illegal, review, plan, SLA events."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from serviceloop.accounts.tests.factories import DepartmentFactory
from serviceloop.assets.tests.factories import (
    SalesOrderFactory,
    SalesOrderLineFactory,
    ServiceContractFactory,
    UnitFactory,
)
from serviceloop.core.attachments import attachments_for
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.models import TimelineEvent
from serviceloop.core.timeline import events_for
from serviceloop.core.workcalendar import SHANGHAI
from serviceloop.service import services
from serviceloop.service.classification import priority_for
from serviceloop.service.models import TRANSITIONS, Review, ServiceRequest, SlaEvent
from serviceloop.service.sla.deadlines import deadlines_for

from .factories import frozen, new_request

pytestmark = pytest.mark.django_db


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def kinds(request):
    return [(e.kind, e.target) for e in SlaEvent.objects.filter(service_request=request).order_by("at", "id")]


# ------------------------------------------------------------- every move, legal and illegal

MOVES = {
    "start_review": lambda actor, r: services.request_start_review(actor=actor, service_request=r),
    "propose_plan": lambda actor, r: services.request_propose_plan(actor=actor, service_request=r, plan="remote_support"),
    "confirm_plan": lambda actor, r: services.request_confirm_plan(
        actor=actor, service_request=r, how="phone", confirmed_by_name="王工"
    ),
    "reject_plan": lambda actor, r: services.request_reject_plan(actor=actor, service_request=r, comment="时间不合适"),
    "start_work": lambda actor, r: services.request_start_work(actor=actor, service_request=r),
    "resolve": lambda actor, r: services.request_resolve(actor=actor, service_request=r, resolution="更换温控模块"),
    "close": lambda actor, r: services.request_close(actor=actor, service_request=r, follow_up=SimpleNamespace(pk=1)),
    "cancel": lambda actor, r: services.request_cancel(actor=actor, service_request=r, reason="客户自行解决"),
    "reopen": lambda actor, r: services.request_reopen(actor=actor, service_request=r, reason="故障复现"),
}
STATUSES = ["new", "under_review", "plan_proposed", "plan_confirmed", "in_progress", "resolved", "closed", "cancelled"]


def test_every_move_has_a_service():
    assert set(MOVES) == set(TRANSITIONS)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("move", sorted(MOVES))
def test_moves_follow_the_transition_table(cast, move, status):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    ServiceRequest.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    allowed, target = TRANSITIONS[move]
    before = TimelineEvent.objects.count()
    if status in allowed:
        MOVES[move](cast.desk, request)
        request.refresh_from_db()
        assert request.status == target
        last = events_for(request).first()
        assert (last.verb, last.from_state, last.to_state) == (move, status, target)
    else:
        with pytest.raises(ValidationError) as excinfo:
            MOVES[move](cast.desk, request)
        assert excinfo.value.code == "illegal_transition"
        request.refresh_from_db()
        assert request.status == status
        assert TimelineEvent.objects.count() == before


def test_the_illegal_move_message_names_both_states(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError, match="cannot move to"):
        services.request_resolve(actor=cast.desk, service_request=request, resolution="x")


# ------------------------------------------------------------- intake

def test_intake_numbers_snapshots_and_starts_the_clock(cast):
    with frozen(sh(2026, 11, 19, 9, 0)):
        result = services.request_create(
            actor=cast.desk, channel="phone", request_type="fault_repair", customer=cast.customer_a,
            title="  贴片机抛料  ", severity="severe",
        )
    request = result.service_request
    assert request.number == "CSI-2611-0001"
    assert request.title == "贴片机抛料"
    assert request.status == "new" and request.priority == "P2"
    assert request.received_by == cast.desk
    assert kinds(request) == [("started", "")]
    assert events_for(request).first().verb == "created"
    assert result.warnings == []


def test_intake_warns_about_an_open_request_for_the_same_unit(cast):
    unit = UnitFactory(customer=cast.customer_a)
    first = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    closed = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    services.request_cancel(actor=cast.desk, service_request=closed, reason="重复")
    result = services.request_create(
        actor=cast.desk, channel="qr", request_type="fault_repair", customer=cast.customer_a, title="又坏了", unit=unit
    )
    assert result.open_requests == [first]
    assert len(result.warnings) == 1 and first.number in result.warnings[0]
    assert ServiceRequest.objects.filter(unit=unit).count() == 3  # a warning, not a refusal


@pytest.mark.parametrize(
    ("received", "state", "text"),
    [(sh(2025, 6, 1, 10, 0), "in_warranty", "In warranty until 2026-01-14"),
     (sh(2026, 3, 1, 10, 0), "chargeable", "Warranty ended on 2026-01-14")],
)
def test_intake_takes_a_warranty_snapshot(cast, received, state, text):
    unit = UnitFactory(customer=cast.customer_a, ship_date=date(2025, 1, 15))
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit, received_at=received)
    assert request.warranty_state == state
    assert text in request.warranty_reason
    assert request.contract is None


def test_intake_snapshot_under_contract_raises_priority(cast):
    unit = UnitFactory(customer=cast.customer_a, ship_date=date(2020, 1, 1))
    contract = ServiceContractFactory(customer=cast.customer_a, sla_level="priority")
    contract.units.add(unit)
    with frozen(sh(2026, 6, 1, 10, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit, severity="general")
    assert request.warranty_state == "contract" and request.contract == contract
    assert request.priority == "P2"


def test_the_snapshot_does_not_change_when_the_unit_does(cast):
    unit = UnitFactory(customer=cast.customer_a, ship_date=date(2026, 1, 15))
    with frozen(sh(2026, 6, 1, 10, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    ServiceRequest.objects.filter(pk=request.pk)  # unchanged row
    unit.ship_date = date(2020, 1, 1)
    unit.save()
    request.refresh_from_db()
    assert request.warranty_state == "in_warranty"


def test_a_complaint_takes_the_so_from_the_units_sales_order_line(cast):
    line = SalesOrderLineFactory(order=SalesOrderFactory(customer=cast.customer_a))
    unit = UnitFactory(customer=cast.customer_a, so_line=line)
    request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit, request_type="complaint")
    assert request.sales_order == line.order


def test_a_complaint_without_a_known_so_needs_one(cast):
    unit = UnitFactory(customer=cast.customer_a)
    with pytest.raises(ValidationError) as excinfo:
        new_request(actor=cast.desk, customer=cast.customer_a, unit=unit, request_type="complaint")
    assert "sales_order" in excinfo.value.message_dict
    assert not ServiceRequest.objects.exists()
    order = SalesOrderFactory(customer=cast.customer_a)
    request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit, request_type="complaint",
                          sales_order=order)
    assert request.sales_order == order


def test_the_so_must_be_the_units_and_the_customers(cast):
    line = SalesOrderLineFactory(order=SalesOrderFactory(customer=cast.customer_a))
    unit = UnitFactory(customer=cast.customer_a, so_line=line)
    other = SalesOrderFactory(customer=cast.customer_a)
    with pytest.raises(ValidationError) as excinfo:
        new_request(actor=cast.desk, customer=cast.customer_a, unit=unit, request_type="complaint", sales_order=other)
    assert line.order.number in excinfo.value.message_dict["sales_order"][0]
    foreign = SalesOrderFactory(customer=cast.customer_b)
    with pytest.raises(ValidationError) as excinfo:
        new_request(actor=cast.desk, customer=cast.customer_a, request_type="complaint", sales_order=foreign)
    assert "sales_order" in excinfo.value.message_dict


def test_intake_refuses_bad_input_with_field_messages_and_writes_nothing(cast):
    foreign_unit = UnitFactory(customer=cast.customer_b)
    with pytest.raises(ValidationError) as excinfo:
        services.request_create(
            actor=cast.desk, channel="fax", request_type="fault_repair", customer=cast.customer_a, title=" ",
            unit=foreign_unit, received_at=datetime.now(SHANGHAI) + timedelta(days=1),
        )
    assert set(excinfo.value.message_dict) == {"channel", "title", "unit", "received_at"}
    assert not ServiceRequest.objects.exists() and not SlaEvent.objects.exists()


def test_a_portal_user_logs_requests_for_their_own_company_only(cast):
    request = new_request(actor=cast.owner, customer=cast.customer_a, channel="portal")
    assert request.received_by == cast.owner
    with pytest.raises(ValidationError) as excinfo:
        new_request(actor=cast.owner, customer=cast.customer_b, channel="portal")
    assert "customer" in excinfo.value.message_dict


def test_a_request_received_by_another_department_is_handed_over(cast):
    sales = DepartmentFactory(code="SALES", name="业务部")
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a, received_at=sh(2026, 11, 19, 8, 40))
    with frozen(sh(2026, 11, 19, 10, 0)):
        services.request_hand_over(actor=cast.desk, service_request=request, from_department=sales, note="业务部转来")
    request.refresh_from_db()
    assert request.handed_over_from == sales and request.channel == "other_dept"
    assert request.handed_over_at == sh(2026, 11, 19, 10, 0)
    assert events_for(request).first().verb == "handed_over"
    # the clock runs from the original receipt, not from the hand-over
    assert deadlines_for(request, now=sh(2026, 11, 19, 10, 0))["first_response"].due_at == sh(2026, 11, 19, 10, 40)
    with pytest.raises(ValidationError):
        services.request_hand_over(actor=cast.desk, service_request=request, from_department=sales)


def test_intake_with_a_handing_department(cast):
    sales = DepartmentFactory(code="SALES", name="业务部")
    request = new_request(actor=cast.desk, customer=cast.customer_a, handed_over_from=sales)
    assert request.channel == "other_dept" and request.handed_over_from == sales
    assert [e.verb for e in events_for(request)] == ["handed_over", "created"]


# ------------------------------------------------------------- review, plan, confirmation, the whole loop

def test_the_complaint_loop_from_intake_to_close(cast):
    order = SalesOrderFactory(customer=cast.customer_a)
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a, request_type="complaint", sales_order=order)
    with frozen(sh(2026, 11, 19, 9, 20)):
        services.request_start_review(actor=cast.desk, service_request=request)
    with frozen(sh(2026, 11, 20, 10, 0)):
        review = services.review_record(
            actor=cast.manager, service_request=request, analysis="温控板焊点虚焊", opinion="返厂维修，免费",
            decided_plan="return_to_factory", review_form="会签",
            customer_feedback=[SimpleUploadedFile("feedback.txt", "客户书面意见".encode())],
        )
        services.request_propose_plan(actor=cast.desk, service_request=request)
    request.refresh_from_db()
    assert request.plan == "return_to_factory"
    assert request.first_responded_at == sh(2026, 11, 19, 9, 20)
    assert request.plan_decided_at == sh(2026, 11, 20, 10, 0)
    assert [a.original_name for a in attachments_for(review)] == ["feedback.txt"]
    found = deadlines_for(request, now=sh(2026, 11, 20, 10, 0))
    assert found["first_response"].met_at == sh(2026, 11, 19, 9, 20) and not found["first_response"].breached
    assert found["plan_decided"].met_at == sh(2026, 11, 20, 10, 0) and not found["plan_decided"].breached

    services.request_confirm_plan(actor=cast.owner, service_request=request, how="portal")
    request.refresh_from_db()
    assert request.customer_confirmed_by == cast.owner and request.customer_confirmed_via == "portal"
    services.request_start_work(actor=cast.desk, service_request=request)
    services.request_resolve(actor=cast.desk, service_request=request, resolution="返修完成")
    services.request_confirm_resolution(actor=cast.owner, service_request=request, how="portal")
    with pytest.raises(ValidationError) as excinfo:
        services.request_close(actor=cast.desk, service_request=request)
    assert excinfo.value.code == "follow_up_needed"
    with pytest.raises(ValidationError) as excinfo:
        services.request_close(actor=None, service_request=request, no_answer=True)
    assert excinfo.value.code == "too_early"
    services.request_close(actor=None, service_request=request, no_answer=True, now=timezone.now() + timedelta(days=8))
    request.refresh_from_db()
    assert request.status == "closed" and request.closed_at is not None
    assert [e.verb for e in events_for(request).order_by("id")] == [
        "created", "start_review", "reviewed", "propose_plan", "confirm_plan", "start_work",
        "resolve", "resolution_confirmed", "close",
    ]
    assert [(e.kind, e.target) for e in SlaEvent.objects.filter(service_request=request).order_by("id")][-2:] == [
        ("target_met", "resolution"), ("stopped", "")
    ]


def test_a_complaint_must_be_reviewed_before_a_plan(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a, request_type="complaint",
                          sales_order=SalesOrderFactory(customer=cast.customer_a))
    with pytest.raises(ValidationError, match="reviewed"):
        services.request_propose_plan(actor=cast.desk, service_request=request, plan="onsite")
    services.request_start_review(actor=cast.desk, service_request=request)
    with pytest.raises(ValidationError, match="reviewed"):
        services.request_propose_plan(actor=cast.desk, service_request=request, plan="onsite")


def test_a_review_needs_analysis_opinion_and_plan_and_an_open_review(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError, match="review"):
        services.review_record(actor=cast.manager, service_request=request, analysis="a", opinion="b", decided_plan="onsite")
    services.request_start_review(actor=cast.desk, service_request=request)
    with pytest.raises(ValidationError) as excinfo:
        services.review_record(actor=cast.manager, service_request=request, analysis=" ", opinion="", decided_plan="fly")
    assert set(excinfo.value.message_dict) == {"analysis", "opinion", "decided_plan"}
    assert not Review.objects.exists()


def test_a_plan_is_needed_to_propose_one(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError) as excinfo:
        services.request_propose_plan(actor=cast.desk, service_request=request)
    assert "plan" in excinfo.value.message_dict


def test_the_customer_can_send_a_plan_back_to_review(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    services.request_propose_plan(actor=cast.desk, service_request=request, plan="remote_support")
    with pytest.raises(ValidationError):  # not a second review start (issue 9): the customer rejects the plan
        services.request_start_review(actor=cast.desk, service_request=request, note="客户要求上门")
    services.request_reject_plan(actor=cast.owner, service_request=request, comment="客户要求上门")
    request.refresh_from_db()
    assert request.status == "under_review"
    assert kinds(request).count(("target_met", "plan_decided")) == 1


def test_confirmation_rules(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    services.request_propose_plan(actor=cast.desk, service_request=request, plan="onsite")
    with pytest.raises(PermissionDenied, match="Only the customer confirms in the portal"):
        services.request_confirm_plan(actor=cast.desk, service_request=request, how="portal")
    with pytest.raises(ValidationError) as excinfo:
        services.request_confirm_plan(actor=cast.desk, service_request=request, how="phone")
    assert "confirmed_by_name" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        services.request_confirm_plan(actor=cast.outsider, service_request=request, how="portal")
    services.request_confirm_plan(actor=cast.desk, service_request=request, how="phone", confirmed_by_name="李经理")
    request.refresh_from_db()
    assert request.customer_confirmed_name == "李经理" and request.customer_confirmed_by is None


def test_resolve_cancel_and_reopen_need_a_text(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError) as excinfo:
        services.request_cancel(actor=cast.desk, service_request=request, reason=" ")
    assert "reason" in excinfo.value.message_dict
    ServiceRequest.objects.filter(pk=request.pk).update(status="in_progress")
    with pytest.raises(ValidationError) as excinfo:
        services.request_resolve(actor=cast.desk, service_request=request, resolution="")
    assert "resolution" in excinfo.value.message_dict


def test_a_stale_edit_is_refused(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    stale = request.version
    services.request_start_review(actor=cast.desk, service_request=request)
    with pytest.raises(StaleEditError):
        services.request_cancel(actor=cast.manager, service_request=request, reason="x", expected_version=stale)


def test_pause_and_resume_bump_the_version(cast):
    """A client that read the request before a pause (or a resume) is refused, like after any other move."""
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    before_pause = ServiceRequest.objects.get(pk=request.pk).version
    services.sla_pause(service_request=request, reason="waiting_customer", actor=cast.desk,
                       expected_version=before_pause)
    paused = ServiceRequest.objects.get(pk=request.pk)
    assert paused.version == before_pause + 1 and paused.updated_by == cast.desk
    with pytest.raises(StaleEditError):
        services.request_start_review(actor=cast.manager, service_request=request, expected_version=before_pause)
    services.sla_resume(service_request=request, actor=cast.desk, expected_version=paused.version)
    assert ServiceRequest.objects.get(pk=request.pk).version == paused.version + 1
    with pytest.raises(StaleEditError):
        services.sla_pause(service_request=request, reason="waiting_parts", expected_version=paused.version)
    assert [h.sla_paused for h in ServiceRequest.history.filter(id=request.pk).order_by("history_id")][-2:] == [
        True, False]


# ------------------------------------------------------------- SLA events written by the services

def test_pause_and_resume(cast):
    with frozen(sh(2026, 9, 30, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a)
    with frozen(sh(2026, 9, 30, 9, 30)):
        services.sla_pause(service_request=request, reason="waiting_customer", actor=cast.desk)
    request.refresh_from_db()
    assert request.sla_paused and request.sla_pause_reason == "waiting_customer"
    assert request.sla_due_at is None  # the first response clock stands still
    with pytest.raises(ValidationError):
        services.sla_pause(service_request=request, reason="waiting_parts")
    with frozen(sh(2026, 10, 8, 14, 0)):
        services.sla_resume(service_request=request, actor=cast.desk)
    request.refresh_from_db()
    assert not request.sla_paused
    assert request.sla_due_at == sh(2026, 10, 8, 15, 30)
    with pytest.raises(ValidationError):
        services.sla_resume(service_request=request)
    assert [e.verb for e in events_for(request)][:2] == ["sla_resumed", "sla_paused"]


def test_a_finished_request_has_no_next_deadline(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    assert request.sla_due_at is not None
    services.request_cancel(actor=cast.desk, service_request=request, reason="重复")
    request.refresh_from_db()
    assert request.sla_due_at is None
    assert ("stopped", "") in kinds(request)


def test_a_naive_time_received_is_read_as_local_time(cast):
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a, received_at=datetime(2026, 11, 19, 8, 45))
    assert request.received_at == sh(2026, 11, 19, 8, 45)


def test_pause_needs_a_reason_and_an_open_request(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError):
        services.sla_pause(service_request=request, reason="lunch")
    services.request_cancel(actor=cast.desk, service_request=request, reason="重复")
    with pytest.raises(ValidationError):
        services.sla_pause(service_request=request, reason="waiting_parts")


def test_reopening_continues_the_resolution_clock(cast):
    with frozen(sh(2026, 11, 16, 8, 30)):
        request = new_request(actor=cast.desk, customer=cast.customer_a)
        services.request_propose_plan(actor=cast.desk, service_request=request, plan="remote_support")
        services.request_confirm_plan(actor=cast.desk, service_request=request, how="phone", confirmed_by_name="王工")
        services.request_start_work(actor=cast.desk, service_request=request)
    with frozen(sh(2026, 11, 17, 8, 30)):
        services.request_resolve(actor=cast.desk, service_request=request, resolution="远程修改参数")
    with frozen(sh(2026, 11, 19, 8, 30)):
        services.request_reopen(actor=cast.owner, service_request=request, reason="故障复现")
    request.refresh_from_db()
    assert request.status == "in_progress" and request.resolved_at is None
    found = deadlines_for(request, now=sh(2026, 11, 19, 8, 30))["resolution"]
    assert found.met_at is None and found.elapsed == timedelta(hours=8)
    assert found.due_at == sh(2026, 12, 1, 17, 30)
    with frozen(sh(2026, 11, 19, 10, 0)):
        services.request_resolve(actor=cast.desk, service_request=request, resolution="更换传感器")
    found = deadlines_for(request, now=sh(2026, 11, 19, 10, 0))["resolution"]
    assert found.met_at == sh(2026, 11, 19, 10, 0)


def test_dispatch_clocks_are_started_and_met_by_the_work_order_hooks(cast):
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a)
        services.sla_start_target(service_request=request, target="engineer_contact", actor=cast.desk)
    with frozen(sh(2026, 11, 19, 9, 45)):
        assert services.sla_meet_target(service_request=request, target="engineer_contact") is True
        assert services.sla_meet_target(service_request=request, target="engineer_contact") is False
    found = deadlines_for(request, now=sh(2026, 11, 19, 9, 45))["engineer_contact"]
    assert found.due_at == sh(2026, 11, 19, 10, 0) and found.met_at == sh(2026, 11, 19, 9, 45)
    with pytest.raises(ValidationError):
        services.sla_start_target(service_request=request, target="resolution")


# ------------------------------------------------------------- priority table

@pytest.mark.parametrize(
    ("severity", "level", "sla", "expected"),
    [
        ("major", "C", "", "P1"), ("severe", "C", "", "P2"), ("general", "C", "", "P3"), ("minor", "C", "", "P4"),
        ("minor", "A", "", "P3"), ("minor", "B", "", "P4"), ("minor", "C", "priority", "P3"),
        ("minor", "A", "24x7", "P2"), ("general", "A", "24x7", "P1"), ("severe", "A", "24x7", "P1"),
        ("general", "C", "standard", "P3"),
    ],
)
def test_priority_table(severity, level, sla, expected):
    assert priority_for(severity, level, sla) == expected


def test_priority_given_at_intake_wins_over_the_table(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a, severity="minor", priority="P1")
    assert request.priority == "P1"
