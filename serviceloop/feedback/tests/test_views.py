"""The feedback pages through the gate: queue, follow-up call, portal rating, complaints."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.models import AuthorizationFailure
from serviceloop.feedback.models import FollowUp, ServiceComplaint
from serviceloop.service.models import ServiceRequest
from serviceloop.service.tests.factories import new_request

from .factories import open_complaint, resolved_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def a(cast):
    return resolved_request(actor=cast.desk, customer=cast.customer_a, title="甲公司回流焊炉")


@pytest.fixture
def b(cast):
    return resolved_request(actor=cast.desk, customer=cast.customer_b, title="乙公司贴片机")


def _text(response) -> str:
    return response.content.decode()


def _answers(**overrides):
    data = {"person": "王工", "attitude": "5", "skill": "4", "timeliness": "4", "satisfied": "yes", "comments": "",
            "unsatisfied_action": "reopen"}
    data.update(overrides)
    return data


def _status(request) -> str:
    return ServiceRequest.objects.get(pk=request.pk).status


# ------------------------------------------------------------------ anonymous

def test_anonymous_is_sent_to_login(client, cast, a):
    complaint = open_complaint(actor=cast.desk, service_request=resolved_request(actor=cast.desk, customer=cast.customer_a))
    login = reverse("login")
    for url in [reverse("feedback:queue"), reverse("feedback:follow_up", args=[a.pk]),
                reverse("feedback:rate", args=[a.pk]), reverse("feedback:complaint_list"),
                reverse("feedback:complaint_detail", args=[complaint.pk]),
                reverse("feedback:complaint_handle", args=[complaint.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    assert client.post(reverse("feedback:follow_up", args=[a.pk]), _answers()).status_code == 302
    assert _status(a) == "resolved"


# ------------------------------------------------------------------ queue

@pytest.mark.parametrize(
    ("who", "sees_a", "sees_b", "link"),
    [("desk", True, True, "follow_up"), ("manager", True, True, "follow_up"), ("owner", True, False, "rate"),
     ("outsider", False, True, "rate"), ("east_staff", True, False, None), ("south_staff", False, True, None)],
)
def test_queue_shows_visible_resolved_requests(client, cast, a, b, who, sees_a, sees_b, link):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("feedback:queue"))
    assert response.status_code == 200
    text = _text(response)
    assert (a.number in text) is sees_a
    assert (b.number in text) is sees_b
    visible = a if sees_a else b
    assert (reverse("feedback:follow_up", args=[visible.pk]) in text) is (link == "follow_up")
    assert (reverse("feedback:rate", args=[visible.pk]) in text) is (link == "rate")


def test_queue_without_a_role_is_403(client, cast, a):
    client.force_login(cast.nobody)
    assert client.get(reverse("feedback:queue")).status_code == 403
    assert AuthorizationFailure.objects.filter(user=cast.nobody, outcome="forbidden").exists()


def test_queue_is_oldest_first_paginated_and_searchable(client, cast):
    requests = [resolved_request(actor=cast.desk, customer=cast.customer_a) for _ in range(3)]
    client.force_login(cast.desk)
    rows = client.get(reverse("feedback:queue")).context["page"].rows()
    assert [r.pk for r in rows] == [r.pk for r in requests]
    response = client.get(reverse("feedback:queue"), {"q": requests[1].number})
    assert [r.pk for r in response.context["page"].rows()] == [requests[1].pk]
    response = client.get(reverse("feedback:queue"), {"page": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in _text(response)
    assert client.get(reverse("feedback:queue"), {"export": "xlsx"}).status_code == 200


def test_queue_query_count_does_not_grow_with_rows(client, cast, django_assert_max_num_queries):
    for _ in range(4):
        resolved_request(actor=cast.desk, customer=cast.customer_a)
    client.force_login(cast.desk)
    client.get(reverse("feedback:queue"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("feedback:queue"))
    for _ in range(6):
        resolved_request(actor=cast.desk, customer=cast.customer_b)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("feedback:queue"))
    assert len(response.context["page"].rows()) == 10


# ------------------------------------------------------------------ the desk's call

def test_the_desk_sees_the_script_and_radio_scores(client, cast, a):
    client.force_login(cast.desk)
    response = client.get(reverse("feedback:follow_up", args=[a.pk]))
    assert response.status_code == 200
    text = _text(response)
    assert 'data-testid="call-script"' in text and a.number in text and "王工" in text
    for field in ("attitude", "skill", "timeliness"):
        for n in range(1, 6):
            assert f'type="radio" name="{field}" value="{n}"' in text
    assert 'name="satisfied" value="no"' in text


def test_the_desk_records_a_satisfied_call(client, cast, a):
    client.force_login(cast.desk)
    response = client.post(reverse("feedback:follow_up", args=[a.pk]), _answers())
    assert response.status_code == 302 and response["Location"] == reverse("feedback:queue")
    assert _status(a) == "closed"
    assert FollowUp.objects.get(service_request=a).called_by == cast.desk


def test_the_desk_registers_a_complaint(client, cast, a):
    client.force_login(cast.desk)
    response = client.post(reverse("feedback:follow_up", args=[a.pk]),
                           _answers(satisfied="no", comments="工程师迟到", unsatisfied_action="complaint"))
    assert response.status_code == 302
    assert ServiceComplaint.objects.get(service_request=a).description == "工程师迟到"
    assert _status(a) == "closed"


def test_errors_are_shown_next_to_the_field_and_nothing_typed_is_lost(client, cast, a):
    client.force_login(cast.desk)
    response = client.post(reverse("feedback:follow_up", args=[a.pk]),
                           _answers(satisfied="no", comments="", person="李四", attitude="7"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "attitude" in form.errors
    assert 'value="李四"' in _text(response)
    response = client.post(reverse("feedback:follow_up", args=[a.pk]), _answers(satisfied="no", comments=""))
    assert response.status_code == 400
    assert "why the customer is not satisfied" in response.context["form"].errors["comments"][0]
    assert _status(a) == "resolved"


def test_a_request_not_resolved_shows_why_and_refuses(client, cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    client.force_login(cast.desk)
    response = client.get(reverse("feedback:follow_up", args=[request.pk]))
    assert response.status_code == 200
    assert 'data-testid="blocker"' in _text(response) and 'data-testid="follow-up-form"' not in _text(response)
    response = client.post(reverse("feedback:follow_up", args=[request.pk]), _answers())
    assert response.status_code == 400
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("south_staff", 404), ("nobody", 404),
                                             ("east_staff", 403)])
def test_follow_up_gate(client, cast, a, who, status):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("feedback:follow_up", args=[a.pk])).status_code == status
    assert client.post(reverse("feedback:follow_up", args=[a.pk]), _answers()).status_code == status
    assert _status(a) == "resolved"
    outcome = "not_found" if status == 404 else "forbidden"
    assert AuthorizationFailure.objects.filter(user=getattr(cast, who), outcome=outcome).exists()


def test_a_customer_on_the_desk_form_is_sent_to_the_rating(client, cast, a):
    client.force_login(cast.owner)
    response = client.get(reverse("feedback:follow_up", args=[a.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("feedback:rate", args=[a.pk])


# ------------------------------------------------------------------ the customer's rating

def test_the_customer_rates_on_a_phone_width_page(client, cast, a):
    client.force_login(cast.owner)
    response = client.get(reverse("feedback:rate", args=[a.pk]))
    assert response.status_code == 200
    text = _text(response)
    assert 'name="viewport"' in text and 'data-testid="rate-form"' in text
    assert 'name="person"' not in text and 'data-testid="call-script"' not in text
    response = client.post(reverse("feedback:rate", args=[a.pk]), _answers(person=""))
    assert response.status_code == 302
    follow_up = FollowUp.objects.get(service_request=a)
    assert (follow_up.channel, follow_up.called_by) == ("portal", cast.owner)
    assert _status(a) == "closed"


def test_the_customer_reopens_from_the_rating(client, cast, a):
    client.force_login(cast.colleague)
    response = client.post(reverse("feedback:rate", args=[a.pk]),
                           _answers(satisfied="no", comments="还是报警", unsatisfied_action="reopen"))
    assert response.status_code == 302
    assert _status(a) == "in_progress"


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("south_staff", 404), ("nobody", 404)])
def test_rating_gate(client, cast, a, who, status):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("feedback:rate", args=[a.pk])).status_code == status
    assert client.post(reverse("feedback:rate", args=[a.pk]), _answers()).status_code == status
    assert _status(a) == "resolved"


def test_staff_on_the_rating_page_are_sent_to_the_call_form(client, cast, a):
    client.force_login(cast.desk)
    response = client.get(reverse("feedback:rate", args=[a.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("feedback:follow_up", args=[a.pk])


def test_a_customer_without_the_rating_permission_is_403(client, cast, a):
    viewer = UserFactory(username="viewer", customer=cast.customer_a)  # no role: only seeing requests
    viewer.user_permissions.add(Permission.objects.get(codename="view_servicerequest"))
    client.force_login(viewer)
    assert client.get(reverse("feedback:rate", args=[a.pk])).status_code == 403


# ------------------------------------------------------------------ complaints

@pytest.fixture
def complaints(cast):
    ca = open_complaint(actor=cast.desk, service_request=resolved_request(actor=cast.desk, customer=cast.customer_a),
                        comments="甲方投诉：迟到")
    cb = open_complaint(actor=cast.desk, service_request=resolved_request(actor=cast.desk, customer=cast.customer_b),
                        comments="乙方投诉：态度")
    return ca, cb


@pytest.mark.parametrize(
    ("who", "sees_a", "sees_b"),
    [("manager", True, True), ("desk", True, True), ("east_staff", True, False), ("south_staff", False, True)],
)
def test_complaint_list_in_scope(client, cast, complaints, who, sees_a, sees_b):
    ca, cb = complaints
    client.force_login(getattr(cast, who))
    response = client.get(reverse("feedback:complaint_list"))
    assert response.status_code == 200
    assert (ca.number in _text(response)) is sees_a
    assert (cb.number in _text(response)) is sees_b
    assert client.get(reverse("feedback:complaint_list"), {"status": "handled"}).context["page"].rows() == []


@pytest.mark.parametrize("who", ["owner", "outsider", "nobody"])
def test_complaint_list_is_403_without_the_permission(client, cast, complaints, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("feedback:complaint_list")).status_code == 403


@pytest.mark.parametrize(
    ("who", "status", "handle_link"),
    [("manager", 200, True), ("desk", 200, False), ("east_staff", 200, False), ("south_staff", 404, False),
     ("owner", 404, False), ("nobody", 404, False)],
)
def test_complaint_detail_gate(client, cast, complaints, who, status, handle_link):
    ca, _cb = complaints
    client.force_login(getattr(cast, who))
    response = client.get(reverse("feedback:complaint_detail", args=[ca.pk]))
    assert response.status_code == status
    if status == 200:
        text = _text(response)
        assert "甲方投诉：迟到" in text and 'data-testid="timeline"' in text
        assert (reverse("feedback:complaint_handle", args=[ca.pk]) in text) is handle_link


@pytest.mark.parametrize(("who", "status"), [("desk", 403), ("east_staff", 403), ("south_staff", 404),
                                             ("owner", 404), ("nobody", 404)])
def test_only_the_manager_handles(client, cast, complaints, who, status):
    ca, _cb = complaints
    client.force_login(getattr(cast, who))
    assert client.get(reverse("feedback:complaint_handle", args=[ca.pk])).status_code == status
    assert client.post(reverse("feedback:complaint_handle", args=[ca.pk]), {"note": "x"}).status_code == status
    assert ServiceComplaint.objects.get(pk=ca.pk).status == "open"


def test_the_manager_handles_a_complaint(client, cast, complaints):
    ca, _cb = complaints
    client.force_login(cast.manager)
    url = reverse("feedback:complaint_handle", args=[ca.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "", "version": ca.version})
    assert response.status_code == 400 and "note" in response.context["form"].errors
    response = client.post(url, {"note": "已上门致歉", "version": ca.version + 5})
    assert response.status_code == 400 and "modified by" in _text(response)
    response = client.post(url, {"note": "已上门致歉", "version": ca.version})
    assert response.status_code == 302 and response["Location"] == ca.get_absolute_url()
    ca.refresh_from_db()
    assert (ca.status, ca.handling_note, ca.handled_by) == ("handled", "已上门致歉", cast.manager)
    detail = _text(client.get(ca.get_absolute_url()))
    assert "已上门致歉" in detail and url not in detail
    response = client.post(url, {"note": "再来一次"})
    assert response.status_code == 400
