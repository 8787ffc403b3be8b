"""Work order workflow: every move legal and illegal, who may act, SLA clocks, help requests, the signed
service report, the work report of major faults, fees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.assets.tests.factories import SalesOrderFactory, UnitFactory
from serviceloop.core.attachments import attachments_for
from serviceloop.core.models import Notification, TimelineEvent
from serviceloop.core.timeline import events_for
from serviceloop.service.models import ServiceRequest, SlaEvent
from serviceloop.service.services import request_cancel
from serviceloop.workorders import services
from serviceloop.workorders.models import (
    TRANSITIONS,
    FeeLine,
    HelpRequest,
    LabourEntry,
    ServiceReport,
    Visit,
    WorkOrder,
    WorkOrderAssignment,
    WorkReport,
)
from serviceloop.workorders.selectors import unassigned_work_orders

from .factories import (
    completed,
    confirmed_request,
    dispatched,
    engineer,
    new_work_order,
    on_site,
    signature_data_url,
    today,
)

pytestmark = pytest.mark.django_db

STATUSES = ["draft", "pending_approval", "dispatched", "declined", "accepted", "on_site", "completed", "closed",
            "cancelled"]


def _signed_report(wo):
    return ServiceReport.objects.create(number=f"PSR-T-{wo.pk}", work_order=wo, status="signed")


MOVES = {
    "assign": lambda c, wo: services.work_order_assign(actor=c.dispatcher, work_order=wo, lead=c.east_eng),
    "reject": lambda c, wo: services.work_order_reject(actor=c.manager, work_order=wo, reason="人手不足"),
    "approve": lambda c, wo: services.work_order_approve(actor=c.manager, work_order=wo),
    "accept": lambda c, wo: services.work_order_accept(actor=c.east_eng, work_order=wo),
    "decline": lambda c, wo: services.work_order_decline(actor=c.east_eng, work_order=wo, reason="外地出差"),
    "check_in": lambda c, wo: services.work_order_check_in(actor=c.east_eng, work_order=wo),
    "complete": lambda c, wo: services.work_order_record_result(actor=c.east_eng, work_order=wo, result="fixed",
                                                                 work_done="更换温控模块"),
    "close": lambda c, wo: services.work_order_close(actor=c.desk, work_order=wo),
    "cancel": lambda c, wo: services.work_order_cancel(actor=c.dispatcher, work_order=wo, reason="客户取消"),
}


def test_every_move_has_a_service():
    assert set(MOVES) == set(TRANSITIONS)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("move", sorted(MOVES))
def test_moves_follow_the_transition_table(crew, move, status):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    _signed_report(wo)
    WorkOrder.objects.filter(pk=wo.pk).update(status=status)
    wo.refresh_from_db()
    allowed, target = TRANSITIONS[move]
    before = TimelineEvent.objects.count()
    if status in allowed:
        MOVES[move](crew, wo)
        wo.refresh_from_db()
        assert wo.status == target
        last = events_for(wo).filter(verb=move).first()
        assert (last.from_state, last.to_state) == (status, target)
    else:
        with pytest.raises(ValidationError) as excinfo:
            MOVES[move](crew, wo)
        assert excinfo.value.code == "illegal_transition"
        assert "cannot move to" in excinfo.value.messages[0]
        wo.refresh_from_db()
        assert wo.status == status
        assert TimelineEvent.objects.count() == before


# ------------------------------------------------------------- creation

def test_create_from_a_confirmed_onsite_plan_starts_the_work(crew):
    unit = UnitFactory(customer=crew.customer_a, ship_date=dt.date(2020, 1, 1))
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a, unit=unit)
    assert wo.number.startswith("WO-") and len(wo.number) == len("WO-2611-0001")
    assert wo.status == "draft"
    assert (wo.customer, wo.unit, wo.branch) == (crew.customer_a, unit, crew.east)
    assert wo.chargeable is True  # out of warranty
    assert wo.service_request.status == "in_progress"
    assert events_for(wo).first().verb == "created"
    assert events_for(wo.service_request).filter(verb="work_order_created", note=wo.number).exists()


def test_in_warranty_job_is_not_chargeable(crew):
    unit = UnitFactory(customer=crew.customer_a, ship_date=today() - dt.timedelta(days=30))
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a, unit=unit)
    assert wo.chargeable is False


def test_create_needs_an_onsite_plan_the_customer_confirmed(crew):
    request = confirmed_request(actor=crew.desk, customer=crew.customer_a, plan="remote_support")
    with pytest.raises(ValidationError, match="not on-site service"):
        services.work_order_create(actor=crew.dispatcher, service_request=request)
    from serviceloop.service.tests.factories import new_request

    fresh = new_request(actor=crew.desk, customer=crew.customer_a)
    with pytest.raises(ValidationError) as excinfo:
        services.work_order_create(actor=crew.dispatcher, service_request=fresh)
    assert excinfo.value.code == "request_state"


def test_another_visit_on_a_request_in_progress(crew):
    first = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                      result="another_visit")
    second = services.work_order_create(actor=crew.dispatcher, service_request=first.service_request)
    assert second.service_request == first.service_request and second.number != first.number
    with pytest.raises(ValidationError, match="still open"):
        services.work_order_create(actor=crew.dispatcher, service_request=first.service_request)


def test_only_office_roles_create(crew):
    request = confirmed_request(actor=crew.desk, customer=crew.customer_a)
    for who in (crew.east_eng, crew.owner, crew.east_staff):
        with pytest.raises(PermissionDenied):
            services.work_order_create(actor=who, service_request=request)
    services.work_order_create(actor=crew.desk, service_request=request)  # the service desk issues WOs too


# ------------------------------------------------------------- dispatch and approval

def test_assign_needs_the_dispatch_permission(crew):
    wo = new_work_order(actor=crew.desk, customer=crew.customer_a)
    with pytest.raises(PermissionDenied):
        services.work_order_assign(actor=crew.desk, work_order=wo, lead=crew.east_eng)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng,
                               helpers=[crew.east_helper, crew.hq_eng])
    wo.refresh_from_db()
    assert wo.status == "pending_approval" and wo.dispatched_by == crew.dispatcher
    roles = dict(WorkOrderAssignment.objects.filter(work_order=wo).values_list("engineer__username", "role"))
    assert roles == {"east_eng": "lead", "east_helper": "helper", "hq_eng": "helper"}
    assert Notification.objects.filter(recipient=crew.manager, kind="work_order_to_approve").exists()


@pytest.mark.parametrize("who", ["south_eng", "desk", "inactive", "same_twice"])
def test_assign_refuses_engineers_who_cannot_serve(crew, who):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    lead, helpers, field = crew.east_eng, [], "helpers"
    if who == "south_eng":
        helpers = [crew.south_eng]  # another branch: ask HQ instead
    elif who == "desk":
        lead, field = crew.desk, "lead"  # no engineer profile
    elif who == "inactive":
        helpers = [engineer(branch=crew.east, username="away", active=False)]
    else:
        helpers = [crew.east_eng]
    with pytest.raises(ValidationError) as excinfo:
        services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=lead, helpers=helpers)
    assert field in excinfo.value.message_dict


def test_reassign_replaces_the_team(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng, helpers=[crew.east_helper])
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_helper)
    active = WorkOrderAssignment.objects.filter(work_order=wo, released_at__isnull=True)
    assert [(a.engineer, a.role) for a in active] == [(crew.east_helper, "lead")]
    assert WorkOrderAssignment.objects.filter(work_order=wo).count() == 3


def test_approve_needs_a_manager_and_starts_the_dispatch_clocks(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    with pytest.raises(PermissionDenied):
        services.work_order_approve(actor=crew.dispatcher, work_order=wo)  # the dispatcher cannot approve
    services.work_order_approve(actor=crew.manager, work_order=wo)
    wo.refresh_from_db()
    assert wo.status == "dispatched" and wo.approved_by == crew.manager
    started = set(SlaEvent.objects.filter(service_request=wo.service_request, kind="started").exclude(target="")
                  .values_list("target", flat=True))
    assert started == {"engineer_contact", "onsite_arrival"}
    to_lead = Notification.objects.get(recipient=crew.east_eng, kind="work_order_dispatched")
    assert wo.number in to_lead.subject
    for person in (crew.owner, crew.colleague):
        note = Notification.objects.get(recipient=person, kind="engineer_dispatched")
        assert str(crew.east_eng) in note.body and "13911112222" in note.body
    assert not Notification.objects.filter(recipient=crew.outsider).exists()


def test_manager_returns_a_dispatch_with_a_reason(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    with pytest.raises(ValidationError):
        services.work_order_reject(actor=crew.manager, work_order=wo, reason=" ")
    services.work_order_reject(actor=crew.manager, work_order=wo, reason="技能不匹配")
    wo.refresh_from_db()
    assert wo.status == "draft"
    assert not WorkOrderAssignment.objects.filter(work_order=wo, released_at__isnull=True).exists()
    assert wo in unassigned_work_orders(crew.dispatcher)


def test_approve_without_a_lead_is_refused(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    WorkOrder.objects.filter(pk=wo.pk).update(status="pending_approval")
    with pytest.raises(ValidationError, match="lead engineer"):
        services.work_order_approve(actor=crew.manager, work_order=wo)


# ------------------------------------------------------------- the engineers

def test_lead_declines_for_redispatch(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    with pytest.raises(ValidationError):
        services.work_order_decline(actor=crew.east_eng, work_order=wo, reason="")
    services.work_order_decline(actor=crew.east_eng, work_order=wo, reason="车辆故障")
    wo.refresh_from_db()
    assert wo.status == "declined"
    row = WorkOrderAssignment.objects.get(work_order=wo, engineer=crew.east_eng)
    assert row.decline_reason == "车辆故障" and row.declined_at and row.released_at
    assert Notification.objects.filter(recipient=crew.dispatcher, kind="work_order_declined").exists()
    assert list(unassigned_work_orders(crew.dispatcher)) == [wo]
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_helper)
    services.work_order_approve(actor=crew.manager, work_order=wo)
    assert SlaEvent.objects.filter(service_request=wo.service_request, kind="started", target="engineer_contact").count() == 2


def test_helper_accepts_and_declines_without_moving_the_work_order(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                    helpers=[crew.east_helper, crew.hq_eng])
    services.work_order_accept(actor=crew.east_helper, work_order=wo)
    wo.refresh_from_db()
    assert wo.status == "dispatched"
    with pytest.raises(ValidationError, match="already accepted"):
        services.work_order_accept(actor=crew.east_helper, work_order=wo)
    services.work_order_decline(actor=crew.hq_eng, work_order=wo, reason="另有任务")
    wo.refresh_from_db()
    assert wo.status == "dispatched"
    assert not services.is_assigned(crew.hq_eng, wo)
    services.work_order_accept(actor=crew.east_eng, work_order=wo)
    wo.refresh_from_db()
    assert wo.status == "accepted" and wo.accepted_at


@pytest.mark.parametrize("action", ["accept", "decline", "contacted", "check_in", "progress", "test", "hours",
                                    "parts", "result", "photo", "report"])
def test_only_assigned_engineers_act(crew, action):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    calls = {
        "accept": lambda u: services.work_order_accept(actor=u, work_order=wo),
        "decline": lambda u: services.work_order_decline(actor=u, work_order=wo, reason="x"),
        "contacted": lambda u: services.work_order_contacted(actor=u, work_order=wo),
        "check_in": lambda u: services.work_order_check_in(actor=u, work_order=wo),
        "progress": lambda u: services.work_order_add_progress(actor=u, work_order=wo, note="x"),
        "test": lambda u: services.work_order_add_test(actor=u, work_order=wo, item="x", passed=True),
        "hours": lambda u: services.work_order_log_hours(actor=u, work_order=wo, day=today(), hours=1),
        "parts": lambda u: services.work_order_record_parts(actor=u, work_order=wo, parts_used="x"),
        "result": lambda u: services.work_order_record_result(actor=u, work_order=wo, result="fixed", work_done="x"),
        "photo": lambda u: services.work_order_add_photo(actor=u, work_order=wo, upload=None),
        "report": lambda u: services.service_report_prepare(actor=u, work_order=wo),
    }
    for outsider in (crew.east_helper, crew.manager, crew.dispatcher, crew.owner):
        with pytest.raises(PermissionDenied):
            calls[action](outsider)


def test_contacted_meets_the_contact_target_once(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    services.work_order_contacted(actor=crew.east_eng, work_order=wo, note="约定明早 9 点")
    wo.refresh_from_db()
    assert wo.contacted_at is not None
    assert SlaEvent.objects.filter(service_request=wo.service_request, kind="target_met", target="engineer_contact").count() == 1
    with pytest.raises(ValidationError, match="already recorded"):
        services.work_order_contacted(actor=crew.east_eng, work_order=wo)
    with pytest.raises(ValidationError):
        services.work_order_contacted(actor=crew.east_eng, work_order=wo,
                                      at=timezone.now() + dt.timedelta(hours=2))


def test_check_in_and_out(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                    helpers=[crew.east_helper])
    services.work_order_accept(actor=crew.east_eng, work_order=wo)
    with pytest.raises(ValidationError, match="not checked in"):
        services.work_order_check_out(actor=crew.east_eng, work_order=wo)
    with pytest.raises(ValidationError):
        services.work_order_check_in(actor=crew.east_eng, work_order=wo, latitude="31.2")  # half a position
    visit = services.work_order_check_in(actor=crew.east_eng, work_order=wo, latitude="31.230416",
                                         longitude="121.473701")
    wo.refresh_from_db()
    assert wo.status == "on_site" and wo.arrived_at == visit.check_in_at
    assert visit.check_in_latitude == Decimal("31.230416")
    met = set(SlaEvent.objects.filter(service_request=wo.service_request, kind="target_met").values_list("target", flat=True))
    assert {"onsite_arrival", "engineer_contact"} <= met
    arrived = Notification.objects.filter(kind="engineer_arrived")
    assert {n.recipient for n in arrived} == {crew.owner, crew.colleague}
    with pytest.raises(ValidationError, match="already checked in"):
        services.work_order_check_in(actor=crew.east_eng, work_order=wo)
    services.work_order_check_in(actor=crew.east_helper, work_order=wo)  # helper joins: no second message
    assert Notification.objects.filter(kind="engineer_arrived").count() == 2
    out = services.work_order_check_out(actor=crew.east_eng, work_order=wo, latitude=31.23, longitude=121.47)
    assert out.check_out_at >= out.check_in_at and out.duration is not None
    assert Visit.objects.filter(work_order=wo, check_out_at__isnull=True).count() == 1


def test_progress_tests_hours_parts_and_photos(crew):
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                 helpers=[crew.east_helper])
    services.work_order_add_progress(actor=crew.east_eng, work_order=wo, note="拆检温控模块")
    with pytest.raises(ValidationError):
        services.work_order_add_progress(actor=crew.east_eng, work_order=wo, note="x",
                                         day=today() + dt.timedelta(days=1))
    services.work_order_add_test(actor=crew.east_eng, work_order=wo, item="绝缘电阻", result="> 2 MΩ", passed=True)
    with pytest.raises(ValidationError):
        services.work_order_add_test(actor=crew.east_eng, work_order=wo, item=" ", passed=True)
    services.work_order_log_hours(actor=crew.east_eng, work_order=wo, day=today(), hours="4")
    services.work_order_log_hours(actor=crew.east_eng, work_order=wo, day=today(), hours="5.5")  # replaces
    services.work_order_log_hours(actor=crew.east_eng, work_order=wo, day=today(), hours=3, engineer=crew.east_helper)
    assert dict(LabourEntry.objects.filter(work_order=wo).values_list("engineer__username", "hours")) == {
        "east_eng": Decimal("5.50"), "east_helper": Decimal("3.00")}
    with pytest.raises(PermissionDenied):  # a helper logs only their own hours
        services.work_order_log_hours(actor=crew.east_helper, work_order=wo, day=today(), hours=1,
                                      engineer=crew.east_eng)
    for bad in (0, -1, 25, "abc"):
        with pytest.raises(ValidationError):
            services.work_order_log_hours(actor=crew.east_eng, work_order=wo, day=today(), hours=bad)
    other = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    with pytest.raises(ValidationError, match="other work orders"):
        services.work_order_log_hours(actor=crew.east_eng, work_order=other, day=today(), hours=20)
    services.work_order_record_parts(actor=crew.east_eng, work_order=wo, parts_used="温控模块 TC-01 x1")
    png = signature_data_url().split(",", 1)[1]
    import base64

    photo = SimpleUploadedFile("现场.png", base64.b64decode(png))
    services.work_order_add_photo(actor=crew.east_eng, work_order=wo, upload=photo, description="故障部位")
    assert attachments_for(wo).count() == 1
    with pytest.raises(ValidationError):
        services.work_order_add_photo(actor=crew.east_eng, work_order=wo,
                                      upload=SimpleUploadedFile("a.txt", b"hello"))


@pytest.mark.parametrize("result", ["escalate_technical", "escalate_process", "needs_parts", "another_visit",
                                    "return_to_factory"])
def test_results_other_than_fixed_tell_the_office(crew, result):
    tech = UserFactory(username="tech", roles=["tech_support"], branch=crew.hq)
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   result=result)
    assert wo.status == "completed" and wo.result == result
    kinds = set(Notification.objects.filter(recipient__in=[crew.manager]).values_list("kind", flat=True))
    assert kinds & {"work_order_escalated", "work_order_follow_up"}
    if result in ("escalate_technical", "escalate_process"):
        assert Notification.objects.filter(recipient=tech, kind="work_order_escalated").exists() == (
            result == "escalate_technical")
        services.work_order_record_escalation_plan(actor=tech, work_order=wo, plan="更换主控板, QA 复核")
        wo.refresh_from_db()
        assert wo.escalation_plan.startswith("更换主控板") and wo.escalation_planned_by == tech
    else:
        with pytest.raises((ValidationError, PermissionDenied)):
            services.work_order_record_escalation_plan(actor=tech, work_order=wo, plan="x")


def test_result_needs_a_valid_result_and_work_done(crew):
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    with pytest.raises(ValidationError) as excinfo:
        services.work_order_record_result(actor=crew.east_eng, work_order=wo, result="magic", work_done="")
    assert set(excinfo.value.message_dict) == {"result", "work_done"}


# ------------------------------------------------------------- help requests (协作申请单)

def test_help_request_approved_confirmed(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    hr = services.help_request_create(actor=crew.east_eng, work_order=wo, reason="主控程序异常, 需总部支援",
                                      skill=crew.skill)
    assert hr.number.startswith("HR-") and hr.status == "pending"
    assert Notification.objects.filter(recipient=crew.manager, kind="help_request").exists()
    with pytest.raises(ValidationError, match="already waiting"):
        services.help_request_create(actor=crew.east_staff, work_order=wo, reason="again")
    with pytest.raises(PermissionDenied):
        services.help_request_approve(actor=crew.dispatcher, help_request=hr, hq_engineer=crew.hq_eng)
    with pytest.raises(ValidationError) as excinfo:
        services.help_request_approve(actor=crew.manager, help_request=hr, hq_engineer=crew.east_helper)
    assert "hq_engineer" in excinfo.value.message_dict  # a branch engineer is not headquarters
    services.help_request_approve(actor=crew.manager, help_request=hr, hq_engineer=crew.hq_eng)
    hr.refresh_from_db()
    assert hr.status == "approved" and hr.hq_engineer == crew.hq_eng
    helper = WorkOrderAssignment.objects.get(work_order=wo, engineer=crew.hq_eng, released_at__isnull=True)
    assert helper.role == "helper" and helper.help_request == hr
    assert Notification.objects.filter(recipient=crew.hq_eng, kind="help_assigned").exists()
    with pytest.raises(PermissionDenied):  # the supporter does not confirm their own support
        services.help_request_confirm(actor=crew.hq_eng, help_request=hr, support_given="x", rating=5)
    with pytest.raises(ValidationError):
        services.help_request_confirm(actor=crew.east_eng, help_request=hr, support_given="远程+现场", rating=6)
    confirmation = services.help_request_confirm(actor=crew.east_eng, help_request=hr,
                                                 support_given="总部工程师现场重写 PLC 程序", rating=5)
    hr.refresh_from_db()
    assert hr.status == "confirmed" and confirmation.rating == 5
    with pytest.raises(ValidationError):
        services.help_request_confirm(actor=crew.east_eng, help_request=hr, support_given="x", rating=4)


def test_help_request_rejected_and_who_may_ask(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    with pytest.raises(PermissionDenied):
        services.help_request_create(actor=crew.south_staff, work_order=wo, reason="x")
    hr = services.help_request_create(actor=crew.east_staff, work_order=wo, reason="缺少调试经验")
    with pytest.raises(ValidationError):
        services.help_request_reject(actor=crew.manager, help_request=hr, reason="")
    services.help_request_reject(actor=crew.manager, help_request=hr, reason="总部人手已满")
    hr.refresh_from_db()
    assert hr.status == "rejected" and hr.decision_note == "总部人手已满"
    assert Notification.objects.filter(recipient=crew.east_staff, kind="help_rejected").exists()
    with pytest.raises(ValidationError, match="already been decided"):
        services.help_request_approve(actor=crew.manager, help_request=hr, hq_engineer=crew.hq_eng)


# ------------------------------------------------------------- the service report (售后服务记录单)

def _ready_report(crew, **kwargs):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   **kwargs)
    return wo, services.service_report_prepare(actor=crew.east_eng, work_order=wo)


def test_prepare_fills_the_report_from_the_work_order(crew):
    wo, report = _ready_report(crew)
    assert report.number.startswith("PSR-") and report.status == "draft"
    assert report.fault_description.startswith(wo.service_request.title)
    assert report.work_done == "更换温控模块" and report.parts_used == "温控模块 x1"
    assert report.tests == [{"item": "炉温曲线", "result": "245℃", "passed": True}]
    assert report.labour_hours == Decimal("3.50") and report.result == "fixed"
    services.service_report_update(actor=crew.east_eng, report=report, work_done="更换温控模块并校准")
    again = services.service_report_prepare(actor=crew.east_eng, work_order=wo)
    assert again.pk == report.pk and again.work_done == "更换温控模块并校准"  # the edited text is kept


@pytest.mark.parametrize(
    ("data_url", "code_text"),
    [
        ("", "has not signed"),
        ("data:image/jpeg;base64,/9j/4AAQ", "PNG"),
        ("data:image/png;base64,not*base64", "base64"),
        ("data:image/png;base64,aGVsbG8gd29ybGQ=", "PNG"),  # decodes, but is not an image
        ("blank", "blank"),
        ("jpeg-as-png", "PNG"),
        ("too-big", "larger than"),
    ],
)
def test_signature_is_validated_strictly(crew, data_url, code_text):
    wo, report = _ready_report(crew)
    if data_url == "blank":
        data_url = signature_data_url(blank=True)
    elif data_url == "jpeg-as-png":
        data_url = signature_data_url(mode="RGB", fmt="JPEG").replace("image/jpeg", "image/png")
    elif data_url == "too-big":
        data_url = "data:image/png;base64," + "A" * (500 * 1024)
    with pytest.raises(ValidationError) as excinfo:
        services.service_report_sign(actor=crew.east_eng, report=report, signature_data_url=data_url,
                                     signer_name="王工", satisfied=True)
    assert code_text in " ".join(excinfo.value.message_dict["signature"])
    report.refresh_from_db()
    assert report.status == "draft" and not report.pdf


def test_white_opaque_signature_is_blank_too(crew):
    from serviceloop.workorders.signatures import signature_png

    with pytest.raises(ValidationError, match="blank"):
        signature_png(signature_data_url(blank=True, mode="RGB"))
    assert signature_png(signature_data_url()).startswith(b"\x89PNG")


def test_unsatisfied_customer_must_say_why(crew):
    wo, report = _ready_report(crew)
    with pytest.raises(ValidationError) as excinfo:
        services.service_report_sign(actor=crew.east_eng, report=report, signature_data_url=signature_data_url(),
                                     signer_name="王工", satisfied=False)
    assert "unsatisfied_reason" in excinfo.value.message_dict


def test_signing_stores_signature_and_pdf_and_resolves_the_request(crew):
    wo, report = _ready_report(crew)
    signed = services.service_report_sign(actor=crew.east_eng, report=report,
                                          signature_data_url=signature_data_url(), signer_name="王工",
                                          satisfied=True)
    assert signed.status == "signed" and signed.signed_at and signed.signer_name == "王工"
    assert signed.signature.name.endswith(".png") and signed.pdf.name.endswith(".pdf")
    import hashlib

    pdf = signed.pdf.read()
    assert hashlib.sha256(pdf).hexdigest() == signed.pdf_sha256
    assert signed.content_sha256 == services.report_content_sha256(signed)
    assert services.service_report_verify(pdf) == signed
    request = ServiceRequest.objects.get(pk=wo.service_request_id)
    assert request.status == "resolved"
    assert (request.resolution_confirmed_via, request.resolution_confirmed_name) == ("signature", "王工")
    recipients = set(Notification.objects.filter(kind="report_signed").values_list("recipient__username", flat=True))
    assert recipients == {"owner", "colleague", "desk"}
    with pytest.raises(ValidationError, match="already signed"):
        services.service_report_sign(actor=crew.east_eng, report=signed, signature_data_url=signature_data_url(),
                                     signer_name="王工", satisfied=True)


def test_unsatisfied_signature_resolves_without_confirming(crew):
    wo, report = _ready_report(crew)
    services.service_report_sign(actor=crew.east_eng, report=report, signature_data_url=signature_data_url(),
                                 signer_name="李主任", satisfied=False, unsatisfied_reason="响应太慢")
    request = ServiceRequest.objects.get(pk=wo.service_request_id)
    assert request.status == "resolved" and request.resolution_confirmed_at is None


def test_a_report_is_signed_after_the_result(crew):
    wo = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    report = services.service_report_prepare(actor=crew.east_eng, work_order=wo)
    with pytest.raises(ValidationError, match="result"):
        services.service_report_sign(actor=crew.east_eng, report=report, signature_data_url=signature_data_url(),
                                     signer_name="王工", satisfied=True)


# ------------------------------------------------------------- closing

def _signed(crew, **kwargs):
    wo, report = _ready_report(crew, **kwargs)
    services.service_report_sign(actor=crew.east_eng, report=report, signature_data_url=signature_data_url(),
                                 signer_name="王工", satisfied=True)
    return wo


def test_close_needs_a_signed_report_and_nobody_on_site(crew):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    with pytest.raises(ValidationError) as excinfo:
        services.work_order_close(actor=crew.desk, work_order=wo)
    text = " ".join(excinfo.value.messages)
    assert "not signed" in text and "still checked in" in text
    with pytest.raises(PermissionDenied):
        services.work_order_close(actor=crew.east_eng, work_order=wo)


def test_major_fault_cannot_close_without_the_work_report(crew):
    wo = _signed(crew, severity="major")
    # the signature checked the engineer out (issue 9): nobody is left on site
    with pytest.raises(ValidationError, match="major fault needs the detailed service work report"):
        services.work_order_close(actor=crew.desk, work_order=wo)
    with pytest.raises(ValidationError) as excinfo:
        services.work_report_save(actor=crew.east_eng, work_order=wo, fault_phenomenon="", cause_analysis="",
                                  actions_taken="")
    assert set(excinfo.value.message_dict) == {"fault_phenomenon", "cause_analysis", "actions_taken"}
    report = services.work_report_save(actor=crew.east_eng, work_order=wo, fault_phenomenon="整套电控损坏",
                                       cause_analysis="电源浪涌", actions_taken="更换电控柜",
                                       preventive_suggestion="加装浪涌保护器")
    assert WorkReport.objects.get(work_order=wo) == report and report.author == crew.east_eng
    services.work_order_close(actor=crew.desk, work_order=wo)
    wo.refresh_from_db()
    assert wo.status == "closed" and wo.closed_at


def test_general_fault_closes_with_the_signed_report(crew):
    wo = _signed(crew)
    # the signature checked the engineer out (issue 9): nobody is left on site
    assert services.close_blockers(wo) == []
    services.work_order_close(actor=crew.dispatcher, work_order=wo)
    assert WorkOrder.objects.get(pk=wo.pk).status == "closed"


def test_cancel(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    with pytest.raises(PermissionDenied):
        services.work_order_cancel(actor=crew.east_eng, work_order=wo, reason="x")
    with pytest.raises(ValidationError):
        services.work_order_cancel(actor=crew.dispatcher, work_order=wo, reason="")
    services.work_order_cancel(actor=crew.dispatcher, work_order=wo, reason="客户已自行修复")
    wo.refresh_from_db()
    assert wo.status == "cancelled" and wo.cancel_reason == "客户已自行修复"
    assert not WorkOrderAssignment.objects.filter(work_order=wo, released_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=crew.east_eng, kind="work_order_cancelled").exists()


def test_approval_of_a_cancelled_request_is_refused(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    request_cancel(actor=crew.desk, service_request=wo.service_request, reason="客户撤销")
    with pytest.raises(ValidationError, match="no longer open"):
        services.work_order_approve(actor=crew.manager, work_order=wo)
    assert WorkOrder.objects.get(pk=wo.pk).status == "pending_approval"


# ------------------------------------------------------------- fees

def test_fee_lines_of_a_chargeable_job(crew):
    unit = UnitFactory(customer=crew.customer_a, ship_date=dt.date(2020, 1, 1))
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   unit=unit)
    assert wo.chargeable
    line = services.fee_line_save(user=crew.desk, instance=FeeLine(work_order=wo, kind="labour", description="工时费",
                                                                   quantity=Decimal("3.5"), unit_price=Decimal("200")))
    assert line.amount == Decimal("700.00")
    line.quantity = Decimal("4")
    services.fee_line_save(user=crew.east_eng, instance=line)
    line.refresh_from_db()
    assert line.amount == Decimal("800.00")
    with pytest.raises(ValidationError):
        services.fee_line_save(user=crew.desk, instance=FeeLine(work_order=wo, kind="travel", description="差旅",
                                                                quantity=Decimal("0"), unit_price=Decimal("1")))
    with pytest.raises(PermissionDenied):
        services.fee_line_save(user=crew.owner, instance=FeeLine(work_order=wo, kind="parts", description="x",
                                                                 quantity=1, unit_price=1))
    assert services.fee_total(wo) == Decimal("800.00")
    problems = services.close_blockers(wo)
    assert any("sales order" in p for p in problems)
    with pytest.raises(ValidationError):
        services.work_order_link_sales_order(actor=crew.desk, work_order=wo,
                                             sales_order=SalesOrderFactory(customer=crew.customer_b))
    so = SalesOrderFactory(customer=crew.customer_a)
    services.work_order_link_sales_order(actor=crew.desk, work_order=wo, sales_order=so)
    assert WorkOrder.objects.get(pk=wo.pk).billing_sales_order == so
    services.fee_line_delete(actor=crew.desk, fee_line=line)
    assert services.fee_total(wo) == 0


def test_no_fees_on_a_job_in_warranty(crew):
    unit = UnitFactory(customer=crew.customer_a, ship_date=today() - dt.timedelta(days=10))
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a, unit=unit)
    with pytest.raises(ValidationError, match="not chargeable"):
        services.fee_line_save(user=crew.desk, instance=FeeLine(work_order=wo, kind="labour", description="x",
                                                                quantity=1, unit_price=1))
    assert HelpRequest.objects.count() == 0
