"""Requests brought to "resolved" through the service request services, and follow-ups through ours."""

from __future__ import annotations

import contextlib
from datetime import datetime

from serviceloop.service import services as request_services
from serviceloop.service.tests.factories import frozen, new_request

from ..services import follow_up_record


def resolved_request(*, actor, customer, at: datetime | None = None, **kwargs):
    """A request received, planned, worked on and resolved (at ``at``, default now)."""
    with frozen(at) if at is not None else contextlib.nullcontext():
        request = new_request(actor=actor, customer=customer, **kwargs)
        request_services.request_propose_plan(actor=actor, service_request=request, plan="remote_support")
        request_services.request_confirm_plan(actor=actor, service_request=request, how="phone", confirmed_by_name="王工")
        request_services.request_start_work(actor=actor, service_request=request)
        request_services.request_resolve(actor=actor, service_request=request, resolution="更换温控模块")
    request.refresh_from_db()
    return request


def phone_answers(**overrides):
    values = {"channel": "phone", "attitude": 5, "skill": 4, "timeliness": 4, "satisfied": True,
              "person": "王工", "comments": ""}
    values.update(overrides)
    return values


def record_phone(*, actor, service_request, **overrides):
    return follow_up_record(actor=actor, service_request=service_request, **phone_answers(**overrides))


def open_complaint(*, actor, service_request, comments="工程师迟到两天，态度差"):
    follow_up = record_phone(actor=actor, service_request=service_request, satisfied=False, comments=comments,
                             unsatisfied_action="complaint", attitude=1, timeliness=1)
    return follow_up.complaint


def register(*, actor, customer, description="工程师迟到两天，态度差", **kwargs):
    """A complaint registered by ``actor`` through the service (on its own unless ``service_request`` is given)."""
    from ..services import complaint_register

    kwargs.setdefault("category", "timeliness")
    return complaint_register(actor=actor, customer=customer, description=description, **kwargs)


def through(complaint, *, coordinator, departments, answerers, to: str):
    """Take ``complaint`` along the workflow up to the state ``to`` (analysing, handling, handled, satisfied,
    closed): sent to ``departments``, answered by ``answerers`` (one user per department), measures, revisit."""
    from .. import services

    complaint = services.complaint_send(actor=coordinator, complaint=complaint, departments=departments)
    if to == "analysing":
        return complaint
    for user in answerers:
        complaint = services.complaint_analyse(actor=user, complaint=complaint, cause="派工延误：调度未及时确认",
                                               improvement="调度每日两次核对待派工单")
    if to == "handling":
        return complaint
    complaint = services.complaint_handle(actor=coordinator, complaint=complaint, note="已向客户致歉，更换服务工程师")
    if to == "handled":
        return complaint
    services.complaint_revisit(actor=coordinator, complaint=complaint, satisfied=True, person="王工")
    complaint.refresh_from_db()
    if to == "satisfied":
        return complaint
    return services.complaint_close(actor=coordinator, complaint=complaint)
