"""Every path of a follow-up (回访) and of a service complaint (服务投诉)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.models import Notification
from serviceloop.core.timeline import events_for
from serviceloop.feedback import services
from serviceloop.feedback.models import FollowUp, ServiceComplaint
from serviceloop.service import services as request_services
from serviceloop.service.models import ServiceRequest
from serviceloop.service.tests.factories import new_request

from .factories import open_complaint, phone_answers, record_phone, resolved_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved_a(cast):
    return resolved_request(actor=cast.desk, customer=cast.customer_a)


def _status(request) -> str:
    return ServiceRequest.objects.get(pk=request.pk).status


def _code(excinfo) -> str | None:
    return getattr(excinfo.value, "code", None)


# ------------------------------------------------------------------ satisfied

def test_satisfied_follow_up_closes_the_request(cast, resolved_a):
    follow_up = record_phone(actor=cast.desk, service_request=resolved_a)
    assert _status(resolved_a) == "closed"
    assert follow_up.outcome == "closed"
    assert (follow_up.channel, follow_up.called_by, follow_up.person) == ("phone", cast.desk, "王工")
    assert (follow_up.attitude, follow_up.skill, follow_up.timeliness, follow_up.satisfied) == (5, 4, 4, True)
    assert follow_up.resolved_at == resolved_a.resolved_at
    assert follow_up.average_score == 4.3
    verbs = [(e.verb, e.data.get("follow_up")) for e in events_for(resolved_a)]
    assert verbs[:2] == [("close", follow_up.pk), ("followed_up", follow_up.pk)]
    assert not ServiceComplaint.objects.exists()


def test_customer_rates_their_own_request_in_the_portal(cast, resolved_a):
    follow_up = services.follow_up_record(actor=cast.colleague, service_request=resolved_a, channel="portal",
                                          attitude=4, skill=5, timeliness=3, satisfied=True)
    assert _status(resolved_a) == "closed"
    assert (follow_up.channel, follow_up.called_by, follow_up.person) == ("portal", cast.colleague, str(cast.colleague))


# ------------------------------------------------------------------ unsatisfied

def test_unsatisfied_reopen_puts_the_request_back_in_progress(cast, resolved_a):
    follow_up = record_phone(actor=cast.desk, service_request=resolved_a, satisfied=False, comments="温度仍然波动",
                             unsatisfied_action="reopen")
    request = ServiceRequest.objects.get(pk=resolved_a.pk)
    assert request.status == "in_progress"
    assert request.resolved_at is None
    assert follow_up.outcome == "reopened"
    reopen = events_for(request).first()
    assert (reopen.verb, reopen.note) == ("reopen", "温度仍然波动")
    assert not ServiceComplaint.objects.exists()


def test_a_reopened_request_resolved_again_gets_its_own_follow_up(cast, resolved_a):
    record_phone(actor=cast.desk, service_request=resolved_a, satisfied=False, comments="温度仍然波动")
    request_services.request_resolve(actor=cast.desk, service_request=resolved_a, resolution="更换热电偶")
    second = record_phone(actor=cast.desk, service_request=resolved_a)
    assert _status(resolved_a) == "closed"
    assert FollowUp.objects.filter(service_request=resolved_a).count() == 2
    assert second.outcome == "closed"


def test_unsatisfied_complaint_registers_it_and_closes_the_request(cast, resolved_a, east):
    east_manager = UserFactory(username="east_mgr", branch=east, roles=["service_manager"])
    south_manager = UserFactory(username="south_mgr", branch=cast.customer_b.branch, roles=["service_manager"])
    gm = UserFactory(username="gm", roles=["gm_office"])
    before = timezone.now()
    complaint = open_complaint(actor=cast.desk, service_request=resolved_a)
    assert _status(resolved_a) == "closed"
    assert complaint.status == "open"
    assert complaint.number.startswith("SC-")
    assert complaint.description == "工程师迟到两天，态度差"
    assert complaint.follow_up.outcome == "complaint"
    assert (complaint.customer, complaint.service_request, complaint.channel) == (cast.customer_a, resolved_a, "follow_up")
    assert complaint.due_at is None and complaint.created_at >= before  # due once sent to the departments
    assert complaint.major is False
    assert [e.verb for e in events_for(complaint)] == ["created"]
    assert "complaint_opened" in [e.verb for e in events_for(resolved_a)]
    notified = set(Notification.objects.filter(kind="service_complaint").values_list("recipient__username", flat=True))
    assert notified == {"manager", east_manager.username}  # the branch's managers and HQ's, not south's, no GM
    assert south_manager.username not in notified and gm.username not in notified
    note = Notification.objects.filter(kind="service_complaint").first()
    assert note.url == complaint.get_absolute_url()


def test_a_complaint_on_a_major_request_also_goes_to_the_gm_office(cast):
    gm = UserFactory(username="gm", roles=["gm_office"])
    request = resolved_request(actor=cast.desk, customer=cast.customer_a, severity="major")
    open_complaint(actor=cast.desk, service_request=request)
    assert Notification.objects.filter(kind="complaint_major", recipient=gm).exists()


def test_unsatisfied_needs_comments(cast, resolved_a):
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, satisfied=False, comments="  ")
    assert "comments" in excinfo.value.message_dict
    assert _status(resolved_a) == "resolved"
    assert not FollowUp.objects.exists()


def test_unsatisfied_needs_a_known_action(cast, resolved_a):
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, satisfied=False, comments="不满意", unsatisfied_action="x")
    assert "unsatisfied_action" in excinfo.value.message_dict


# ------------------------------------------------------------------ refusals

@pytest.mark.parametrize("status", ["new", "in_progress", "cancelled"])
def test_only_a_resolved_request_is_followed_up(cast, status):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    ServiceRequest.objects.filter(pk=request.pk).update(status=status)
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=request)
    assert _code(excinfo) == "not_resolved"
    assert "resolved request" in excinfo.value.messages[0]
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("first", ["satisfied", "complaint"])
def test_one_follow_up_per_resolution(cast, resolved_a, first):
    if first == "satisfied":
        record_phone(actor=cast.desk, service_request=resolved_a)
    else:
        open_complaint(actor=cast.desk, service_request=resolved_a)
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a)
    assert _code(excinfo) == "twice"
    assert "already been followed up" in excinfo.value.messages[0]
    assert FollowUp.objects.count() == 1


def test_the_database_refuses_a_second_follow_up_of_the_same_resolution(cast, resolved_a):
    first = record_phone(actor=cast.desk, service_request=resolved_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(service_request=resolved_a, resolved_at=first.resolved_at, channel="phone",
                                called_at=timezone.now(), attitude=3, skill=3, timeliness=3, satisfied=True,
                                outcome="closed")


def test_customer_b_cannot_rate_customer_as_request(cast, resolved_a):
    with pytest.raises(ValidationError) as excinfo:
        services.follow_up_record(actor=cast.outsider, service_request=resolved_a, channel="portal",
                                  attitude=1, skill=1, timeliness=1, satisfied=False, comments="捣乱")
    assert _code(excinfo) == "forbidden"
    assert _status(resolved_a) == "resolved"
    assert not FollowUp.objects.exists()


def test_customers_rate_in_the_portal_and_the_desk_calls(cast, resolved_a):
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.owner, service_request=resolved_a)
    assert "channel" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.follow_up_record(actor=cast.desk, service_request=resolved_a, channel="portal", attitude=5, skill=5,
                                  timeliness=5, satisfied=True)
    assert "channel" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, channel="fax")
    assert "channel" in excinfo.value.message_dict


def test_a_phone_call_names_the_person_reached(cast, resolved_a):
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, person=" ")
    assert "person" in excinfo.value.message_dict


@pytest.mark.parametrize("field", ["attitude", "skill", "timeliness"])
@pytest.mark.parametrize("value", [0, 6, -1, 100, None, "x", "", 2.5, True])
def test_scores_outside_one_to_five_are_refused(cast, resolved_a, field, value):
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, **{field: value})
    assert list(excinfo.value.message_dict) == [field]
    assert "from 1 to 5" in excinfo.value.message_dict[field][0]
    assert _status(resolved_a) == "resolved"


@pytest.mark.parametrize("value", [1, 5, "3"])
def test_scores_one_to_five_are_accepted(cast, resolved_a, value):
    follow_up = record_phone(actor=cast.desk, service_request=resolved_a, attitude=value)
    assert follow_up.attitude == int(value)


def test_the_database_refuses_a_score_outside_one_to_five(cast, resolved_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(service_request=resolved_a, resolved_at=resolved_a.resolved_at, channel="phone",
                                called_at=timezone.now(), attitude=6, skill=3, timeliness=3, satisfied=True,
                                outcome="closed")


def test_satisfied_must_be_yes_or_no(cast, resolved_a):
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, satisfied="maybe")
    assert "satisfied" in excinfo.value.message_dict


def test_the_call_time_is_not_in_the_future_nor_before_the_resolution(cast, resolved_a):
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, called_at=timezone.now() + timedelta(hours=1))
    assert "called_at" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        record_phone(actor=cast.desk, service_request=resolved_a, called_at=resolved_a.resolved_at - timedelta(minutes=1))
    assert "called_at" in excinfo.value.message_dict
    earlier = record_phone(actor=cast.desk, service_request=resolved_a, called_at=resolved_a.resolved_at + timedelta(seconds=1))
    assert earlier.called_at == resolved_a.resolved_at + timedelta(seconds=1)


def test_a_failed_follow_up_leaves_nothing_behind(cast, resolved_a):
    events = events_for(resolved_a).count()
    with pytest.raises(ValidationError):
        services.follow_up_record(actor=cast.desk, service_request=resolved_a, **phone_answers(attitude=9))
    assert events_for(resolved_a).count() == events
    assert not FollowUp.objects.exists()
