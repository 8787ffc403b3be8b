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

from .factories import open_complaint, register, resolved_request, through

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
                reverse("feedback:complaint_step", args=[complaint.pk, "send"]),
                reverse("feedback:complaint_create"), reverse("feedback:complaint_pdf", args=[complaint.pk])]:
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
    [("manager", True, True), ("desk", True, True), ("east_staff", True, False), ("south_staff", False, True),
     ("owner", True, False), ("outsider", False, True)],
)
def test_complaint_list_in_scope(client, cast, complaints, who, sees_a, sees_b):
    ca, cb = complaints
    client.force_login(getattr(cast, who))
    response = client.get(reverse("feedback:complaint_list"))
    assert response.status_code == 200
    assert (ca.number in _text(response)) is sees_a
    assert (cb.number in _text(response)) is sees_b
    assert client.get(reverse("feedback:complaint_list"), {"status": "closed"}).context["page"].rows() == []


def test_complaint_list_is_403_without_the_permission(client, cast, complaints):
    client.force_login(cast.nobody)
    assert client.get(reverse("feedback:complaint_list")).status_code == 403


def test_complaint_list_filters_and_pages(client, cast, complaints, settings):
    from serviceloop.feedback.views import COMPLAINT_LIST

    ca, cb = complaints
    client.force_login(cast.manager)
    rows = client.get(reverse("feedback:complaint_list"), {"major": "no", "category": "other"}).context["page"].rows()
    assert {c.pk for c in rows} == {ca.pk, cb.pk}
    assert client.get(reverse("feedback:complaint_list"), {"major": "yes"}).context["page"].rows() == []
    assert client.get(reverse("feedback:complaint_list"), {"overdue": "yes"}).context["page"].rows() == []
    assert client.get(reverse("feedback:complaint_list"), {"status": "bogus"}).context["page"].rows() == []
    page = client.get(reverse("feedback:complaint_list"), {"q": "甲方"}).context["page"]
    assert [c.pk for c in page.rows()] == [ca.pk]
    assert COMPLAINT_LIST.page_size == 25
    for n in range(25):
        register(actor=cast.desk, customer=cast.customer_a, description=f"投诉 {n}")
    first = client.get(reverse("feedback:complaint_list")).context["page"]
    assert len(first.rows()) == 25 and first.has_next
    second = client.get(reverse("feedback:complaint_list"), {"page": 2}).context["page"]
    assert len(second.rows()) == 2 and not second.has_next
    export = client.get(reverse("feedback:complaint_list"), {"export": "xlsx"})
    assert export.status_code == 200 and "spreadsheet" in export["Content-Type"]


def test_an_overdue_analysis_shows_in_the_list_and_on_the_page(client, cast, complaints, office):
    from datetime import timedelta

    from django.utils import timezone

    from serviceloop.service.tests.factories import frozen

    ca, _cb = complaints
    with frozen(timezone.now() - timedelta(hours=25)):
        through(ca, coordinator=cast.manager, departments=[office.qa], answerers=[], to="analysing")
    client.force_login(cast.manager)
    rows = client.get(reverse("feedback:complaint_list"), {"overdue": "yes"}).context["page"].rows()
    assert [c.pk for c in rows] == [ca.pk]
    assert "overdue" in _text(client.get(reverse("feedback:complaint_list")))
    assert 'data-testid="overdue"' in _text(client.get(ca.get_absolute_url()))


@pytest.mark.parametrize(
    ("who", "status", "internal"),
    [("manager", 200, True), ("desk", 200, True), ("east_staff", 200, True), ("south_staff", 404, False),
     ("owner", 200, False), ("outsider", 404, False), ("nobody", 404, False)],
)
def test_complaint_detail_gate(client, cast, complaints, who, status, internal):
    ca, _cb = complaints
    client.force_login(getattr(cast, who))
    response = client.get(reverse("feedback:complaint_detail", args=[ca.pk]))
    assert response.status_code == status
    if status == 200:
        text = _text(response)
        assert "甲方投诉：迟到" in text
        # the timeline and the departments' analyses are internal; the customer sees status, measures, revisits
        assert ('data-testid="timeline"' in text) is internal
        assert ('data-testid="analyses"' in text) is internal
        send = reverse("feedback:complaint_step", args=[ca.pk, "send"])
        assert (send in text) is (who == "manager")


@pytest.mark.parametrize(("who", "status"), [("desk", 403), ("east_staff", 403), ("south_staff", 404),
                                             ("owner", 403), ("outsider", 404), ("nobody", 404)])
def test_only_a_coordinator_sends(client, cast, complaints, office, who, status):
    ca, _cb = complaints
    client.force_login(getattr(cast, who))
    url = reverse("feedback:complaint_step", args=[ca.pk, "send"])
    assert client.get(url).status_code == status
    assert client.post(url, {"departments": [office.qa.pk]}).status_code == status
    assert ServiceComplaint.objects.get(pk=ca.pk).status == "open"
    assert AuthorizationFailure.objects.exists()


def test_the_workflow_through_the_pages(client, cast, complaints, office):
    ca, _cb = complaints
    client.force_login(cast.manager)
    send = reverse("feedback:complaint_step", args=[ca.pk, "send"])
    assert client.get(send).status_code == 200
    response = client.post(send, {"version": ca.version})
    assert response.status_code == 400 and "departments" in response.context["form"].errors
    response = client.post(send, {"departments": [office.qa.pk], "note": "请回复", "version": ca.version + 5})
    assert response.status_code == 400 and "modified by" in _text(response)
    response = client.post(send, {"departments": [office.qa.pk], "note": "请回复", "version": ca.version})
    assert response.status_code == 302 and response["Location"] == ca.get_absolute_url()
    ca.refresh_from_db()
    assert ca.status == "analysing"

    analyse = reverse("feedback:complaint_step", args=[ca.pk, "analyse"])
    assert client.get(analyse).status_code == 403  # the manager's department was not asked
    client.force_login(office.quality)
    assert 'data-step="analyse"' in _text(client.get(ca.get_absolute_url()))
    response = client.post(analyse, {"cause": "", "improvement": "全检", "version": ca.version})
    assert response.status_code == 400 and "cause" in response.context["form"].errors
    assert "全检" in _text(response)  # what was typed is kept
    assert client.post(analyse, {"cause": "漏检", "improvement": "全检", "version": ca.version}).status_code == 302
    ca.refresh_from_db()
    assert ca.status == "handling"

    client.force_login(cast.manager)
    handle = reverse("feedback:complaint_step", args=[ca.pk, "handle"])
    assert client.post(handle, {"note": "已致歉", "version": ca.version}).status_code == 302
    ca.refresh_from_db()
    revisit = reverse("feedback:complaint_step", args=[ca.pk, "revisit"])
    response = client.post(revisit, {"channel": "phone", "person": "王工", "satisfied": "no", "comments": "",
                                     "version": ca.version})
    assert response.status_code == 400 and "comments" in response.context["form"].errors
    assert client.post(revisit, {"channel": "phone", "person": "王工", "satisfied": "no", "comments": "仍不满意",
                                 "version": ca.version}).status_code == 302
    ca.refresh_from_db()
    assert ca.status == "handling"
    assert client.post(handle, {"note": "总部上门", "version": ca.version}).status_code == 302
    ca.refresh_from_db()

    client.force_login(cast.owner)  # the customer answers the revisit in the portal
    text = _text(client.get(ca.get_absolute_url()))
    assert 'data-step="revisit"' in text and "总部上门" in text
    assert client.post(revisit, {"satisfied": "yes", "version": ca.version}).status_code == 302
    ca.refresh_from_db()
    assert ca.status == "satisfied"

    client.force_login(cast.manager)
    close = reverse("feedback:complaint_step", args=[ca.pk, "close"])
    assert client.post(close, {"note": "", "version": ca.version}).status_code == 302
    ca.refresh_from_db()
    assert ca.status == "closed"


def test_the_desk_registers_a_complaint_on_its_own_and_from_a_request(client, cast):
    client.force_login(cast.desk)
    url = reverse("feedback:complaint_create")
    assert client.get(url).status_code == 200
    response = client.post(url, {"customer": cast.customer_a.pk, "channel": "phone", "category": "attitude",
                                 "description": "", "contact_name": "王工"})
    assert response.status_code == 400 and "description" in response.context["form"].errors
    assert 'value="王工"' in _text(response)
    response = client.post(url, {"customer": cast.customer_a.pk, "channel": "phone", "category": "attitude",
                                 "description": "态度差", "request_number": "CSI-0000-0000"})
    assert response.status_code == 400 and "request_number" in response.context["form"].errors
    assert not ServiceComplaint.objects.exists()
    response = client.post(url, {"customer": cast.customer_a.pk, "channel": "phone", "category": "attitude",
                                 "description": "态度差", "major": "on"})
    complaint = ServiceComplaint.objects.get()
    assert response.status_code == 302 and response["Location"] == complaint.get_absolute_url()
    assert (complaint.customer, complaint.major, complaint.category) == (cast.customer_a, True, "attitude")

    request = new_request(actor=cast.desk, customer=cast.customer_a)
    page = _text(client.get(reverse("service:detail", args=[request.pk])))
    assert 'data-step="complaint"' in page
    on_request = reverse("feedback:complaint_on_request", args=[request.pk])
    response = client.post(on_request, {"channel": "phone", "category": "timeliness", "description": "迟到"})
    assert response.status_code == 302
    on_it = ServiceComplaint.objects.get(service_request=request)
    assert on_it.customer == cast.customer_a
    page = _text(client.get(reverse("service:detail", args=[request.pk])))  # the request page lists it
    assert 'data-testid="request-complaints"' in page and on_it.number in page


def test_the_customer_complains_in_the_portal(client, cast):
    mine = new_request(actor=cast.desk, customer=cast.customer_a)
    theirs = new_request(actor=cast.desk, customer=cast.customer_b)
    client.force_login(cast.owner)
    assert client.get(reverse("feedback:complaint_on_request", args=[theirs.pk])).status_code == 404
    url = reverse("feedback:complaint_on_request", args=[mine.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="customer"' not in _text(page) and 'name="major"' not in _text(page)
    response = client.post(url, {"category": "timeliness", "description": "等了三天", "major": "on",
                                 "customer": cast.customer_b.pk})
    complaint = ServiceComplaint.objects.get()
    assert response.status_code == 302
    assert (complaint.customer, complaint.channel, complaint.major) == (cast.customer_a, "portal", False)
    client.force_login(cast.outsider)
    assert client.get(complaint.get_absolute_url()).status_code == 404


def test_the_printable_form(client, cast, complaints, office):
    ca, _cb = complaints
    through(ca, coordinator=cast.manager, departments=[office.qa], answerers=[office.quality], to="handled")
    client.force_login(cast.manager)
    response = client.get(reverse("feedback:complaint_pdf", args=[ca.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.force_login(cast.owner)
    assert client.get(reverse("feedback:complaint_pdf", args=[ca.pk])).status_code == 200
    client.force_login(cast.outsider)
    assert client.get(reverse("feedback:complaint_pdf", args=[ca.pk])).status_code == 404


def test_the_customer_complains_on_its_own_in_the_portal(client, cast):
    client.force_login(cast.owner)
    listing = _text(client.get(reverse("feedback:complaint_list")))
    assert reverse("feedback:complaint_create") in listing
    response = client.post(reverse("feedback:complaint_create"), {"category": "attitude", "description": "电话没人接"})
    complaint = ServiceComplaint.objects.get()
    assert response.status_code == 302
    assert (complaint.customer, complaint.service_request, complaint.channel) == (cast.customer_a, None, "portal")


def test_complaint_list_query_count_does_not_grow_with_rows(client, cast, django_assert_max_num_queries):
    for n in range(3):
        register(actor=cast.desk, customer=cast.customer_a, description=f"投诉 {n}")
    client.force_login(cast.manager)
    client.get(reverse("feedback:complaint_list"))
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("feedback:complaint_list"))
    for n in range(12):
        register(actor=cast.desk, customer=cast.customer_b, description=f"更多 {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(reverse("feedback:complaint_list")).context["page"].rows()) == 15
