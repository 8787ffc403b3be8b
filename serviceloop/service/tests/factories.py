from __future__ import annotations

import contextlib
from datetime import datetime
from unittest import mock

import factory

from serviceloop.customers.tests.factories import CustomerFactory
from serviceloop.service.models import SlaPolicy


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA policy {n}")
    first_response_minutes = 120
    engineer_contact_minutes = 60
    plan_decided_minutes = 1440
    onsite_arrival_minutes = 1440
    resolution_minutes = 4800


def new_request(*, actor, customer=None, **kwargs):
    """A request logged through the intake service (the one way requests come to exist)."""
    from serviceloop.service.services import request_create

    values = {
        "channel": "phone",
        "request_type": "fault_repair",
        "title": "回流焊炉温度异常",
        "contact_name": "王工",
        "contact_phone": "13900001111",
    }
    values.update(kwargs)
    return request_create(actor=actor, customer=customer or CustomerFactory(), **values).service_request


@contextlib.contextmanager
def frozen(moment: datetime):
    """Pin django.utils.timezone.now (what every service reads) to ``moment``."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
