"""The proof of the declared steps (core.steps): for every declared workflow (service request, work order,
help request, service report, service complaint, spare-part requisition, old part), every record in the states a
user meets and every user of the cast, the record's page shows a step's button exactly when the API lists
the step in ``allowed_steps``; and every declared step is open to someone somewhere in the walk.

The walk lives here because workorders is the last app that declares steps (it sees the service request,
work order, help request and service report workflows; feedback's steps are on the request).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from serviceloop.core.steps import WORKFLOWS
from serviceloop.feedback import services as feedback_services
from serviceloop.feedback.models import ServiceComplaint
from serviceloop.feedback.steps import COMPLAINT_STEPS
from serviceloop.feedback.tests.factories import open_complaint, resolved_request
from serviceloop.feedback.tests.factories import through as complaint_through
from serviceloop.parts.tests.walk import CASES as PARTS_CASES
from serviceloop.service import services as request_services
from serviceloop.service.models import ServiceRequest
from serviceloop.service.steps import REQUEST_STEPS
from serviceloop.service.tests.factories import new_request
from serviceloop.workorders import services
from serviceloop.workorders.models import FeeLine, HelpRequest, ServiceReport, WorkOrder
from serviceloop.workorders.steps import HELP_STEPS, REPORT_STEPS, WORK_ORDER_STEPS

from .factories import completed, dispatched, new_work_order, on_site, signature_data_url

DATA_STEP = re.compile(r'data-step="([a-z_]+)"')
USERS = ("owner", "colleague", "outsider", "desk", "east_staff", "south_staff", "manager", "nobody",
         "dispatcher", "east_eng", "east_helper", "south_eng", "hq_eng", "keeper")


def _requests(crew) -> dict[str, ServiceRequest]:
    desk, customer = crew.desk, crew.customer_a
    rs = request_services

    def fresh(**kwargs):
        return new_request(actor=desk, customer=customer, **kwargs)

    found = {"new": fresh()}
    found["under_review"] = rs.request_start_review(actor=desk, service_request=fresh())
    found["plan_proposed"] = rs.request_propose_plan(actor=desk, service_request=fresh(), plan="onsite")
    found["plan_confirmed"] = rs.request_confirm_plan(actor=desk, how="phone", confirmed_by_name="王工",
                                                      service_request=rs.request_propose_plan(actor=desk, service_request=fresh(),
                                                                                      plan="onsite"))
    in_progress = rs.request_start_work(actor=desk, service_request=rs.request_confirm_plan(
        actor=desk, how="phone", confirmed_by_name="王工",
        service_request=rs.request_propose_plan(actor=desk, service_request=fresh(), plan="remote_support")))
    found["in_progress"] = in_progress
    paused = rs.request_start_work(actor=desk, service_request=rs.request_confirm_plan(
        actor=desk, how="phone", confirmed_by_name="王工",
        service_request=rs.request_propose_plan(actor=desk, service_request=fresh(), plan="remote_support")))
    found["paused"] = rs.sla_pause(actor=desk, service_request=paused, reason="waiting_customer")
    resolved = rs.request_resolve(actor=desk, resolution="更换温控模块", service_request=rs.request_start_work(
        actor=desk, service_request=rs.request_confirm_plan(
            actor=desk, how="phone", confirmed_by_name="王工",
            service_request=rs.request_propose_plan(actor=desk, service_request=fresh(), plan="remote_support"))))
    found["resolved"] = resolved
    old = rs.request_resolve(actor=desk, resolution="远程指导", service_request=rs.request_start_work(
        actor=desk, service_request=rs.request_confirm_plan(
            actor=desk, how="phone", confirmed_by_name="王工",
            service_request=rs.request_propose_plan(actor=desk, service_request=fresh(), plan="remote_support"))))
    ServiceRequest.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - dt.timedelta(days=30))
    found["resolved_long_ago"] = old
    found["cancelled"] = rs.request_cancel(actor=desk, service_request=fresh(), reason="客户取消")
    found["unknown_caller"] = rs.request_create(  # a caller not in the system yet: the customer is linked later
        actor=desk, channel="phone", request_type="fault_repair", customer=None, caller_company="来电公司",
        contact_phone="13700001234", title="设备报警").service_request
    return found


def _work_orders(crew) -> dict[str, WorkOrder]:
    office, manager, customer, lead = crew.dispatcher, crew.manager, crew.customer_a, crew.east_eng
    found = {"draft": new_work_order(actor=office, customer=customer)}
    pending = new_work_order(actor=office, customer=customer)
    found["pending_approval"] = services.work_order_assign(actor=office, work_order=pending, lead=lead)
    found["dispatched"] = dispatched(office=office, manager=manager, customer=customer, lead=lead,
                                     helpers=[crew.east_helper])
    accepted = dispatched(office=office, manager=manager, customer=customer, lead=lead)
    found["accepted"] = services.work_order_accept(actor=lead, work_order=accepted)
    chargeable = on_site(office=office, manager=manager, customer=customer, lead=lead)
    found["on_site_chargeable"] = services.work_order_update(actor=office, work_order=chargeable, chargeable=True)
    services.fee_line_save(user=office, instance=FeeLine(work_order=chargeable, kind="travel", description="差旅费",
                                                         quantity=Decimal("1"), unit_price=Decimal("300")))
    found["completed"] = completed(office=office, manager=manager, customer=customer, lead=lead)
    found["completed_major"] = completed(office=office, manager=manager, customer=customer, lead=lead,
                                         severity="major")
    found["escalated"] = completed(office=office, manager=manager, customer=customer, lead=lead, result="escalate_technical")
    signed = completed(office=office, manager=manager, customer=customer, lead=lead)
    report = services.service_report_prepare(actor=lead, work_order=signed)
    services.service_report_sign(actor=lead, report=report, signature_data_url=signature_data_url(),
                                 signer_name="王工", satisfied=True)
    signed.refresh_from_db()
    found["completed_signed"] = signed
    found["cancelled"] = services.work_order_cancel(actor=office, reason="重复",
                                                    work_order=new_work_order(actor=office, customer=customer))
    for wo in found.values():
        wo.refresh_from_db()
    return found


def _help_requests(crew) -> dict[str, HelpRequest]:
    office, manager, customer, lead = crew.dispatcher, crew.manager, crew.customer_a, crew.east_eng

    def asked():
        wo = dispatched(office=office, manager=manager, customer=customer, lead=lead)
        return services.help_request_create(actor=lead, work_order=wo, reason="需要总部支援")

    found = {"pending": asked()}
    found["approved"] = services.help_request_approve(actor=manager, help_request=asked(), hq_engineer=crew.hq_eng)
    found["rejected"] = services.help_request_reject(actor=manager, help_request=asked(), reason="无人可派")
    confirmed = services.help_request_approve(actor=manager, help_request=asked(), hq_engineer=crew.hq_eng)
    services.help_request_confirm(actor=lead, help_request=confirmed, support_given="远程指导", rating=5)
    found["confirmed"] = confirmed
    for h in found.values():
        h.refresh_from_db()
    return found


def _reports(crew) -> dict[str, ServiceReport]:
    office, manager, customer, lead = crew.dispatcher, crew.manager, crew.customer_a, crew.east_eng
    draft_on_site = on_site(office=office, manager=manager, customer=customer, lead=lead)
    found = {"draft_on_site": services.service_report_prepare(actor=lead, work_order=draft_on_site)}
    done = completed(office=office, manager=manager, customer=customer, lead=lead)
    found["draft_completed"] = services.service_report_prepare(actor=lead, work_order=done)
    signed = completed(office=office, manager=manager, customer=customer, lead=lead)
    report = services.service_report_prepare(actor=lead, work_order=signed)
    found["signed"] = services.service_report_sign(actor=lead, report=report, signature_data_url=signature_data_url(),
                                                   signer_name="王工", satisfied=True)
    return found


def _complaints(crew) -> dict[str, ServiceComplaint]:
    from serviceloop.accounts.tests.factories import DepartmentFactory

    desk, manager = crew.desk, crew.manager
    qa = DepartmentFactory(code="QA", name="品质部")
    crew.dispatcher.department = qa  # a member of the department the complaints are sent to
    crew.dispatcher.save()

    def fresh():
        return open_complaint(actor=desk, service_request=resolved_request(actor=desk, customer=crew.customer_a))

    def through(to):
        return complaint_through(fresh(), coordinator=manager, departments=[qa], answerers=[crew.dispatcher], to=to)

    found = {"open": fresh()}
    for state in ("analysing", "handling", "handled", "satisfied", "closed"):
        found[state] = through(state)
    found["major"] = feedback_services.complaint_escalate(actor=manager, complaint=fresh(), reason="重大客户")
    for c in found.values():
        c.refresh_from_db()
    return found


# workflow -> (the records, the page that shows its buttons, the API detail that lists allowed_steps)
CASES: dict[str, tuple[Any, Any, Any, Any]] = {
    "request": (REQUEST_STEPS, _requests, lambda r: reverse("service:detail", args=[r.pk]),
                lambda r: f"/api/v1/service-requests/{r.pk}/"),
    "work_order": (WORK_ORDER_STEPS, _work_orders, lambda wo: reverse("workorders:detail", args=[wo.pk]),
                   lambda wo: f"/api/v1/work-orders/{wo.pk}/"),
    "help_request": (HELP_STEPS, _help_requests, lambda h: reverse("workorders:help_detail", args=[h.pk]),
                     lambda h: f"/api/v1/help-requests/{h.pk}/"),
    "service_report": (REPORT_STEPS, _reports, lambda rep: reverse("workorders:report", args=[rep.work_order_id]),
                       lambda rep: f"/api/v1/service-reports/{rep.pk}/"),
    "complaint": (COMPLAINT_STEPS, _complaints, lambda c: reverse("feedback:complaint_detail", args=[c.pk]),
                  lambda c: f"/api/v1/service-complaints/{c.pk}/"),
    **PARTS_CASES,  # requisitions and old parts (serviceloop/parts/tests/walk.py)
}


def test_every_declared_workflow_is_walked():
    assert {id(w) for w in WORKFLOWS} == {id(case[0]) for case in CASES.values()}


def _page_steps(client: Client, url: str, workflow: Any) -> set[str]:
    response = client.get(url)
    if response.status_code in (403, 404):
        return set()
    assert response.status_code == 200, (url, response.status_code)
    return set(DATA_STEP.findall(response.content.decode())) & set(workflow.steps)


def _api_steps(client: APIClient, url: str) -> set[str] | None:
    response = client.get(url)
    if response.status_code in (403, 404):
        return set()
    assert response.status_code == 200, (url, response.status_code)
    return set(response.json()["allowed_steps"])


@pytest.mark.parametrize("name", list(CASES))
def test_the_page_shows_a_button_exactly_when_the_api_allows_the_step(crew, name):
    workflow, build, page_url, api_url = CASES[name]
    records = build(crew)
    opened: set[str] = set()
    mismatches = []
    for username in USERS:
        user = getattr(crew, username)
        web, api = Client(), APIClient()
        web.force_login(user)
        api.force_authenticate(user)
        for state, obj in records.items():
            on_page = _page_steps(web, page_url(obj), workflow)
            in_api = _api_steps(api, api_url(obj))
            if on_page != in_api:
                mismatches.append((username, state, sorted(on_page), sorted(in_api)))
            opened |= in_api
    assert not mismatches, mismatches
    # the walk reaches every declared step (the "prepare" of a report is the work order's "report" step)
    assert opened == set(workflow.steps), sorted(set(workflow.steps) - opened)
