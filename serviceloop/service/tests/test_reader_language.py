"""Issue 9: what the system writes for people (notifications, the warranty reason, escalation entries) is
stored as message keys and shown in the reader's language, not in the language of whoever caused it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.core.models import Notification
from serviceloop.core.timeline import events_for
from serviceloop.core.workcalendar import SHANGHAI
from serviceloop.service import services
from serviceloop.service.models import ServiceRequest

from .factories import SlaPolicyFactory, frozen, new_request

pytestmark = pytest.mark.django_db


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def _in(language, func, *args, **kwargs):
    with translation.override(language):
        return func(*args, **kwargs)


def test_a_chinese_desk_users_intake_notifies_an_english_customer_in_english_and_vice_versa(cast):
    cast.owner.language = "en"
    cast.owner.save()
    cast.colleague.language = "zh-hans"
    cast.colleague.save()
    with translation.override("zh-hans"):  # the desk works in Chinese
        request = new_request(actor=cast.desk, customer=cast.customer_a, title="回流焊炉报警")
    english = Notification.objects.get(recipient=cast.owner, kind="request_received")
    chinese = Notification.objects.get(recipient=cast.colleague, kind="request_received")
    assert english.subject == f"Request {request.number} received"
    assert "received" not in chinese.subject and request.number in chinese.subject
    assert _in("en", lambda: english.display_body) == (
        "We received your request “回流焊炉报警”. The service desk will answer you shortly.")
    with translation.override("en"):  # now an English-speaking desk user
        services.request_propose_plan(actor=cast.desk, service_request=request, plan="remote_support", note="远程指导")
        services.request_confirm_plan(actor=cast.desk, service_request=request, how="phone", confirmed_by_name="王工")
    plan = Notification.objects.get(recipient=cast.colleague, kind="plan_decided")
    zh = _in("zh-hans", lambda: plan.display_subject)
    assert request.number in zh and "Service plan" not in zh and "Remote support" not in zh
    assert _in("en", lambda: plan.display_subject) == f"Service plan for {request.number}: Remote support"
    assert plan.subject == zh  # stored for her in her language
    assert _in("zh-hans", lambda: plan.display_body).startswith("远程指导\n")


def test_the_warranty_reason_shows_in_the_readers_language(client, cast, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the site's language (this app's test conftest sets English)
    unit = UnitFactory(customer=cast.customer_a, ship_date=date(2025, 1, 15))
    with frozen(sh(2025, 6, 1, 10, 0)), translation.override("zh-hans"):
        request = new_request(actor=cast.desk, customer=cast.customer_a, unit=unit)
    assert "In warranty" not in request.warranty_reason  # the text column: the site's language (Chinese)
    assert _in("en", lambda: request.warranty_reason_text).startswith("In warranty until 2026-01-14 (")
    assert "ship" in _in("en", lambda: request.warranty_reason_text)  # the basis, a choice label, translated too
    reader = UserFactory(username="desk_en", branch=cast.desk.branch, roles=["service_desk"], language="en")
    client.force_login(reader)
    page = client.get(reverse("service:detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "In warranty until 2026-01-14" in page.content.decode()
    api = client.get(f"/api/v1/service-requests/{request.pk}/")
    assert api.json()["warranty_reason"].startswith("In warranty until 2026-01-14")
    reader.language = "zh-hans"
    reader.save()
    page = client.get(reverse("service:detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "In warranty until" not in page.content.decode() and request.warranty_reason in page.content.decode()


def test_a_request_stored_before_shows_its_reason_as_stored(cast):
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    ServiceRequest.objects.filter(pk=request.pk).update(warranty_reason="旧的原因", warranty_reason_message=None)
    request.refresh_from_db()
    assert _in("en", lambda: request.warranty_reason_text) == "旧的原因"


def test_escalation_entries_and_their_notifications_in_the_readers_language(client, cast, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the site's language (this app's test conftest sets English)
    SlaPolicyFactory(name="default", is_default=True, first_response_minutes=100, plan_decided_minutes=9000,
                     resolution_minutes=9000)
    cast.manager.language = "en"
    cast.manager.save()
    chinese_manager = UserFactory(username="manager_zh", branch=cast.manager.branch, roles=["service_manager"],
                                  language="zh-hans")
    with frozen(sh(2026, 11, 19, 9, 0)):
        request = new_request(actor=cast.desk, customer=cast.customer_a)
    with translation.override("zh-hans"):  # the worker runs in the site's language
        services.sla_escalate(now=sh(2026, 11, 19, 11, 0))
    entry = events_for(request).filter(verb="escalated").get()
    assert "First response" not in entry.note  # stored text in Chinese
    assert _in("en", lambda: entry.display_note) == "First response → Service manager"
    client.force_login(cast.manager)
    page = client.get(reverse("service:detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "First response → Service manager" in page.content.decode()
    timeline = client.get(f"/api/v1/service-requests/{request.pk}/timeline/").json()
    assert "First response → Service manager" in [e["note"] for e in timeline]
    en = Notification.objects.get(recipient=cast.manager, kind="sla_breached")
    zh = Notification.objects.get(recipient=chinese_manager, kind="sla_breached")
    assert en.subject == f"SLA breached: {request.number}"
    assert "“First response” was due" in en.body
    assert "First response" not in zh.body and request.number in zh.body
    assert _in("en", lambda: zh.display_body) == en.body
