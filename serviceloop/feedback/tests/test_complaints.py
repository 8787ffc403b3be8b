"""Every step of a service complaint (服务投诉, seed 003 §5.5): register, send to the departments, each
department's analysis within 24 hours, escalation of major ones to the GM office, the measures, the revisit
until the customer is satisfied, close; the periodic check of overdue analyses; refusals write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.models import Notification
from serviceloop.core.timeline import events_for
from serviceloop.feedback import services
from serviceloop.feedback.models import ComplaintAnalysis, ComplaintRevisit, ServiceComplaint
from serviceloop.feedback.tasks import escalate_overdue_complaint_analyses
from serviceloop.service.tests.factories import frozen, new_request

from .factories import register, through

pytestmark = pytest.mark.django_db


def _notified(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def _verbs(complaint) -> list[str]:
    return [e.verb for e in events_for(complaint).order_by("at", "pk")]


# ------------------------------------------------------------------ register

def test_the_desk_registers_a_complaint_on_its_own(cast, office):
    complaint = register(actor=cast.desk, customer=cast.customer_a, contact_name="王工", contact_phone="139")
    assert complaint.number.startswith("SC-")
    assert (complaint.status, complaint.customer, complaint.service_request, complaint.channel) == (
        "open", cast.customer_a, None, "phone")
    assert (complaint.registered_by, complaint.category, complaint.major, complaint.escalated_at) == (
        cast.desk, "timeliness", False, None)
    assert _verbs(complaint) == ["created"]
    assert _notified("service_complaint") == {"manager"}
    assert _notified("complaint_major") == set()


def test_a_complaint_about_a_request_is_on_the_request_timeline(cast, office):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    complaint = register(actor=cast.desk, customer=None, service_request=request)
    assert (complaint.customer, complaint.service_request) == (cast.customer_a, request)
    assert "complaint_opened" in [e.verb for e in events_for(request)]


def test_a_major_complaint_goes_to_the_gm_office_and_the_branch_at_once(cast, office):
    complaint = register(actor=cast.desk, customer=cast.customer_a, major=True)
    assert complaint.major and complaint.escalated_at is not None
    assert _verbs(complaint) == ["created", "escalated"]
    # the GM office and the customer's branch (east), not the other branch
    assert _notified("complaint_major") == {"gm", "east"}


@pytest.mark.parametrize("how", ["key_account", "major_request"])
def test_key_accounts_and_major_requests_are_major_by_themselves(cast, office, how):
    request = None
    if how == "key_account":
        cast.customer_a.level = "A"
        cast.customer_a.save()
    else:
        request = new_request(actor=cast.desk, customer=cast.customer_a, severity="major")
    complaint = register(actor=cast.desk, customer=cast.customer_a, service_request=request)
    assert complaint.major is True
    assert "gm" in _notified("complaint_major")


def test_the_customer_registers_in_the_portal(cast, office):
    complaint = register(actor=cast.owner, customer=cast.customer_a, major=True, channel="phone")
    assert (complaint.channel, complaint.major, complaint.contact_name) == ("portal", False, str(cast.owner))


def test_a_customer_cannot_complain_for_another_customer(cast, office):
    with pytest.raises(PermissionDenied):
        register(actor=cast.outsider, customer=cast.customer_a)
    other = new_request(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(PermissionDenied):
        register(actor=cast.outsider, customer=None, service_request=other)
    assert not ServiceComplaint.objects.exists()


@pytest.mark.parametrize(("field", "values"), [
    ("description", {"description": "  "}),
    ("category", {"category": "nonsense"}),
    ("channel", {"channel": "portal"}),  # staff never register "in the portal"
    ("contact_name", {"contact_name": "x" * 101}),
    ("customer", {"customer": None}),
])
def test_bad_registrations_are_refused_and_write_nothing(cast, office, field, values):
    kwargs = {"customer": cast.customer_a, "description": "态度差", **values}
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_register(actor=cast.desk, **kwargs)
    assert field in excinfo.value.message_dict
    assert not ServiceComplaint.objects.exists()
    assert not Notification.objects.exists()


def test_a_request_of_another_customer_is_refused(cast, office):
    request = new_request(actor=cast.desk, customer=cast.customer_b)
    with pytest.raises(ValidationError) as excinfo:
        register(actor=cast.desk, customer=cast.customer_a, service_request=request)
    assert "service_request" in excinfo.value.message_dict


# ------------------------------------------------------------------ send to the departments

def test_sending_to_the_departments_sets_24_hours(cast, office):
    complaint = register(actor=cast.desk, customer=cast.customer_a)
    before = timezone.now()
    sent = services.complaint_send(actor=cast.manager, complaint=complaint, departments=[office.qa, office.tsc.pk],
                                   note="请24小时内回复")
    assert sent.status == "analysing"
    rows = list(ComplaintAnalysis.objects.filter(complaint=complaint).order_by("department__code"))
    assert [r.department for r in rows] == [office.qa, office.tsc]
    for row in rows:
        assert timedelta(hours=23, minutes=59) < row.due_at - before <= timedelta(hours=24, seconds=5)
        assert row.sent_by == cast.manager and row.submitted_at is None
    assert sent.due_at == rows[0].due_at
    last = events_for(sent).first()
    assert (last.verb, last.from_state, last.to_state) == ("send", "open", "analysing")
    assert "品质部" in last.note and "请24小时内回复" in last.note
    assert _notified("complaint_analysis") == {"quality", "tech"}  # the departments' members only


def test_sending_refusals(cast, office):
    complaint = register(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(PermissionDenied):  # the desk registers, it does not coordinate
        services.complaint_send(actor=cast.desk, complaint=complaint, departments=[office.qa])
    for bad in ([], [999999], ["1.5"], [True]):
        with pytest.raises(ValidationError) as excinfo:
            services.complaint_send(actor=cast.manager, complaint=complaint, departments=bad)
        assert "departments" in excinfo.value.message_dict
    with pytest.raises(StaleEditError):
        services.complaint_send(actor=office.gm, complaint=complaint, departments=[office.qa],
                                expected_version=complaint.version + 1)
    assert not ComplaintAnalysis.objects.exists()
    assert ServiceComplaint.objects.get(pk=complaint.pk).status == "open"
    services.complaint_send(actor=office.gm, complaint=complaint, departments=[office.qa])  # the GM office too
    with pytest.raises(ValidationError) as excinfo:  # analysing: no second send until the answers are in
        services.complaint_send(actor=office.gm, complaint=complaint, departments=[office.tsc])
    assert excinfo.value.code == "illegal_transition"


# ------------------------------------------------------------------ the departments' analyses

def test_each_department_answers_and_the_last_one_moves_it_to_handling(cast, office):
    complaint = through(register(actor=cast.desk, customer=cast.customer_a), coordinator=cast.manager,
                        departments=[office.qa, office.tsc], answerers=[], to="analysing")
    first = services.complaint_analyse(actor=office.quality, complaint=complaint, cause="检验漏检",
                                       improvement="增加出厂全检")
    assert first.status == "analysing"
    qa = ComplaintAnalysis.objects.get(complaint=complaint, department=office.qa)
    assert (qa.cause, qa.improvement, qa.submitted_by) == ("检验漏检", "增加出厂全检", office.quality)
    assert first.due_at == ComplaintAnalysis.objects.get(complaint=complaint, department=office.tsc).due_at
    assert _notified("complaint_analysed") == set()
    with pytest.raises(PermissionDenied):  # once per department
        services.complaint_analyse(actor=office.quality, complaint=complaint, cause="x", improvement="y")
    done = services.complaint_analyse(actor=office.tech, complaint=first, cause="远程支持响应慢", improvement="设值班")
    assert done.status == "handling"
    last = events_for(done).first()
    assert (last.verb, last.from_state, last.to_state) == ("analyse", "analysing", "handling")
    assert _notified("complaint_analysed") == {"manager"}  # whoever sent it


def test_analysis_refusals_write_nothing(cast, office):
    complaint = through(register(actor=cast.desk, customer=cast.customer_a), coordinator=cast.manager,
                        departments=[office.qa], answerers=[], to="analysing")
    with pytest.raises(PermissionDenied):  # a department the complaint was not sent to
        services.complaint_analyse(actor=office.warehouse, complaint=complaint, cause="x", improvement="y")
    with pytest.raises(PermissionDenied):
        services.complaint_analyse(actor=cast.owner, complaint=complaint, cause="x", improvement="y")
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_analyse(actor=office.quality, complaint=complaint, cause=" ", improvement="")
    assert set(excinfo.value.message_dict) == {"cause", "improvement"}
    with pytest.raises(StaleEditError):
        services.complaint_analyse(actor=office.quality, complaint=complaint, cause="x", improvement="y",
                                   expected_version=complaint.version - 1)
    assert ComplaintAnalysis.objects.get(complaint=complaint).submitted_at is None
    assert ServiceComplaint.objects.get(pk=complaint.pk).status == "analysing"


# ------------------------------------------------------------------ escalation

def test_a_coordinator_escalates_a_complaint_later(cast, office):
    complaint = register(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_escalate(actor=cast.manager, complaint=complaint, reason=" ")
    assert "reason" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        services.complaint_escalate(actor=cast.desk, complaint=complaint, reason="客户威胁退货")
    escalated = services.complaint_escalate(actor=cast.manager, complaint=complaint, reason="客户威胁退货")
    assert escalated.major and escalated.escalated_at is not None
    assert "客户威胁退货" in events_for(escalated).first().note
    assert "gm" in _notified("complaint_major")
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_escalate(actor=cast.manager, complaint=escalated, reason="again")
    assert excinfo.value.code == "twice"


# ------------------------------------------------------------------ measures, revisit, close

def test_measures_only_after_the_analyses(cast, office):
    complaint = through(register(actor=cast.desk, customer=cast.customer_a), coordinator=cast.manager,
                        departments=[office.qa], answerers=[], to="analysing")
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_handle(actor=cast.manager, complaint=complaint, note="已致歉")
    assert excinfo.value.code == "illegal_transition"
    services.complaint_analyse(actor=office.quality, complaint=complaint, cause="漏检", improvement="全检")
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_handle(actor=cast.manager, complaint=complaint, note=" ")
    assert "note" in excinfo.value.message_dict
    handled = services.complaint_handle(actor=cast.manager, complaint=complaint, note="已致歉并更换工程师")
    assert (handled.status, handled.handled_by, handled.handling_note) == ("handled", cast.manager, "已致歉并更换工程师")
    last = events_for(handled).first()
    assert (last.verb, last.from_state, last.to_state) == ("handle", "handling", "handled")


def test_not_satisfied_goes_back_to_handling_until_satisfied_then_closes(cast, office):
    complaint = through(register(actor=cast.desk, customer=cast.customer_a), coordinator=cast.manager,
                        departments=[office.qa], answerers=[office.quality], to="handled")
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_revisit(actor=cast.manager, complaint=complaint, satisfied=False, person="王工")
    assert "comments" in excinfo.value.message_dict
    unhappy = services.complaint_revisit(actor=cast.manager, complaint=complaint, satisfied=False, person="王工",
                                         comments="新工程师也没来")
    complaint.refresh_from_db()
    assert complaint.status == "handling"
    assert (unhappy.channel, unhappy.recorded_by, unhappy.satisfied) == ("phone", cast.manager, False)
    assert _notified("complaint_unsatisfied") == {"manager"}
    with pytest.raises(ValidationError):  # no close before the customer is satisfied
        services.complaint_close(actor=cast.manager, complaint=complaint)
    complaint = services.complaint_handle(actor=cast.manager, complaint=complaint, note="总部工程师次日上门")
    happy = services.complaint_revisit(actor=office.gm, complaint=complaint, satisfied=True, person="王工",
                                       channel="visit")
    complaint.refresh_from_db()
    assert (complaint.status, happy.channel) == ("satisfied", "visit")
    closed = services.complaint_close(actor=cast.manager, complaint=complaint, note="结案")
    assert (closed.status, closed.closed_by) == ("closed", cast.manager) and closed.closed_at is not None
    assert _verbs(closed) == ["created", "send", "analyse", "handle", "revisit", "handle", "revisit", "close"]
    assert ComplaintRevisit.objects.filter(complaint=complaint).count() == 2


def test_the_customer_answers_the_revisit_in_the_portal(cast, office):
    complaint = through(register(actor=cast.owner, customer=cast.customer_a), coordinator=cast.manager,
                        departments=[office.qa], answerers=[office.quality], to="handled")
    with pytest.raises(PermissionDenied):
        services.complaint_revisit(actor=cast.outsider, complaint=complaint, satisfied=True)
    revisit = services.complaint_revisit(actor=cast.colleague, complaint=complaint, satisfied=True)
    assert (revisit.channel, revisit.person) == ("portal", str(cast.colleague))
    assert ServiceComplaint.objects.get(pk=complaint.pk).status == "satisfied"


def test_revisit_refusals(cast, office):
    complaint = register(actor=cast.desk, customer=cast.customer_a)
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_revisit(actor=cast.manager, complaint=complaint, satisfied=True, person="王工")
    assert excinfo.value.code == "illegal_transition"
    complaint = through(complaint, coordinator=cast.manager, departments=[office.qa], answerers=[office.quality],
                        to="handled")
    for kwargs, field in (({"satisfied": "yes", "person": "王工"}, "satisfied"),
                          ({"satisfied": True, "person": ""}, "person"),
                          ({"satisfied": True, "person": "王工", "channel": "portal"}, "channel")):
        with pytest.raises(ValidationError) as excinfo:
            services.complaint_revisit(actor=cast.manager, complaint=complaint, **kwargs)
        assert field in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        services.complaint_revisit(actor=cast.desk, complaint=complaint, satisfied=True, person="王工")
    assert not ComplaintRevisit.objects.exists()


# ------------------------------------------------------------------ overdue analyses

def test_overdue_analyses_are_flagged_once_and_escalated(cast, office):
    sent_at = timezone.now()
    with frozen(sent_at):
        complaint = through(register(actor=cast.desk, customer=cast.customer_a), coordinator=cast.manager,
                            departments=[office.qa, office.tsc], answerers=[], to="analysing")
        services.complaint_analyse(actor=office.tech, complaint=complaint, cause="响应慢", improvement="设值班")
    Notification.objects.all().delete()
    assert services.complaint_escalate_overdue(now=sent_at + timedelta(hours=23)) == 0
    assert escalate_overdue_complaint_analyses.call_local() == 0  # the periodic task, now: not yet due
    assert services.complaint_escalate_overdue(now=sent_at + timedelta(hours=25)) == 1  # QA only: TSC answered
    qa = ComplaintAnalysis.objects.get(complaint=complaint, department=office.qa)
    assert qa.overdue_at == sent_at + timedelta(hours=25)
    assert ComplaintAnalysis.objects.get(complaint=complaint, department=office.tsc).overdue_at is None
    event = events_for(complaint).first()
    assert (event.verb, event.note, event.actor) == ("analysis_overdue", "品质部", None)
    # the late department, the service managers, the GM office and the branch: one notification each
    assert sorted(Notification.objects.filter(kind="complaint_overdue").values_list("recipient__username", flat=True)) \
        == ["east", "gm", "manager", "quality"]
    assert services.complaint_escalate_overdue(now=sent_at + timedelta(hours=30)) == 0  # flagged once
    # a late answer is still taken, and marked late on the timeline
    with frozen(sent_at + timedelta(hours=31)):
        services.complaint_analyse(actor=office.quality, complaint=complaint, cause="漏检", improvement="全检")
    assert events_for(complaint).first().data["late"] is True


def test_the_periodic_task_flags_through_the_worker(cast, office):
    with frozen(timezone.now() - timedelta(hours=30)):
        through(register(actor=cast.desk, customer=cast.customer_a), coordinator=cast.manager,
                departments=[office.qa], answerers=[], to="analysing")
    assert escalate_overdue_complaint_analyses.call_local() == 1
    assert escalate_overdue_complaint_analyses.call_local() == 0


def test_the_follow_up_path_still_registers_with_the_request(cast, office):
    from .factories import open_complaint, resolved_request

    request = resolved_request(actor=cast.desk, customer=cast.customer_a)
    complaint = open_complaint(actor=cast.desk, service_request=request)
    assert (complaint.channel, complaint.customer, complaint.contact_name) == ("follow_up", cast.customer_a, "王工")
    UserFactory(username="late_gm", roles=["gm_office"])  # later members do not matter to earlier complaints
    assert complaint.follow_up is not None


def test_the_major_escalation_is_written_in_the_registration_transaction(cast, office, settings):
    """The GM office's notification and its outbox delivery rows commit or roll back with the complaint."""
    from django.db import transaction

    from serviceloop.core.models import NotificationDelivery

    settings.NOTIFICATION_CHANNELS = ["serviceloop.core.notifications.EmailChannel"]

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        register(actor=cast.desk, customer=cast.customer_a, major=True)
        assert NotificationDelivery.objects.filter(notification__kind="complaint_major").exists()
        raise Boom
    assert not ServiceComplaint.objects.exists() and not Notification.objects.exists()
    register(actor=cast.desk, customer=cast.customer_a, major=True)
    rows = NotificationDelivery.objects.filter(notification__kind="complaint_major", notification__recipient=office.gm)
    assert [(r.channel, r.status) for r in rows] == [("email", "pending")]
