"""The customer hears about their request: received, plan decided, resolved (in-app and e-mail)."""

from __future__ import annotations

import pytest
from django.core import mail

from serviceloop.core.models import Notification
from serviceloop.service import services

from .factories import new_request

pytestmark = pytest.mark.django_db(transaction=True)  # notifications go out after commit


def test_customer_users_hear_received_plan_and_resolved(cast):
    cast.owner.email = "owner@a.example"
    cast.owner.save()
    request = new_request(actor=cast.desk, customer=cast.customer_a)
    services.request_propose_plan(actor=cast.desk, service_request=request, plan="remote_support", note="远程指导")
    services.request_confirm_plan(actor=cast.desk, service_request=request, how="phone", confirmed_by_name="王工")
    services.request_start_work(actor=cast.desk, service_request=request)
    services.request_resolve(actor=cast.desk, service_request=request, resolution="参数已调整")
    kinds = list(Notification.objects.filter(recipient=cast.owner).order_by("id").values_list("kind", flat=True))
    assert kinds == ["request_received", "plan_decided", "request_resolved"]
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {cast.owner.pk, cast.colleague.pk}
    assert not Notification.objects.filter(recipient=cast.outsider).exists()
    assert any(request.number in m.subject for m in mail.outbox) and mail.outbox[0].to == ["owner@a.example"]
    first = Notification.objects.filter(recipient=cast.owner).order_by("id").first()
    assert first.url == request.get_absolute_url() and request.number in first.subject


def test_nothing_is_sent_when_the_intake_fails(cast):
    with pytest.raises(Exception):  # noqa: B017 - any validation error
        new_request(actor=cast.desk, customer=cast.customer_a, title="")
    assert Notification.objects.count() == 0
