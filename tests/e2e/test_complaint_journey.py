"""Journey of a service complaint (服务投诉, seed 003 §5.5), clicked through in chromium: the desk registers it,
the service manager sends it to the quality department, the department answers with its analysis, the manager
records the measures and calls the customer back — not satisfied, so back to handling — new measures, the
customer answers the revisit in the portal (satisfied), the manager closes it; the printable form opens.
Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from serviceloop.accounts.tests.factories import BranchFactory, DepartmentFactory, UserFactory
from serviceloop.customers.tests.factories import CustomerFactory
from serviceloop.feedback.models import ComplaintAnalysis, ServiceComplaint

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    from serviceloop.accounts.roles import sync_roles

    if not Group.objects.filter(name="service_desk").exists():  # transactional tests start without groups
        sync_roles()
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    east = BranchFactory(code="EAST", name="华东分公司")
    qa = DepartmentFactory(code="QA", name="品质部")
    DepartmentFactory(code="TSC", name="技术支持中心")
    customer = CustomerFactory(code="CA", name="甲公司", branch=east)
    UserFactory(username="desk", branch=hq, roles=["service_desk"])
    UserFactory(username="owner", customer=customer, roles=["customer"])
    UserFactory(username="manager", branch=hq, roles=["service_manager"])
    UserFactory(username="quality", branch=hq, department=qa, roles=["quality"])
    return {"customer": customer, "qa": qa}


def _overdue_one(world) -> ServiceComplaint:
    """A complaint sent to QA 30 hours ago and not answered, flagged by the periodic check."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from serviceloop.feedback import services
    from serviceloop.service.tests.factories import frozen

    users = get_user_model().objects
    with frozen(timezone.now() - timedelta(hours=30)):
        old = services.complaint_register(actor=users.get(username="desk"), customer=world["customer"],
                                          category="attitude", description="工程师态度生硬，不解释故障原因")
        services.complaint_send(actor=users.get(username="manager"), complaint=old, departments=[world["qa"]])
    assert services.complaint_escalate_overdue() == 1
    return old


def _step(page, key: str) -> None:
    page.click(f"[data-step={key}]")
    page.wait_for_selector("[data-testid=step-form]")


def _submit(page, pk: int) -> None:
    page.click("[data-testid=step-submit]")
    page.wait_for_url(f"**/feedback/complaints/{pk}/")


def _status(pk: int) -> str:
    return ServiceComplaint.objects.get(pk=pk).status


def test_a_complaint_from_registration_to_the_satisfied_revisit(new_page, live_server, shot, world):
    base = live_server.url

    # 1. the desk registers the complaint taken on the phone
    desk = new_page()
    login(desk, base, "desk")
    desk.goto(f"{base}/feedback/complaints/")
    desk.goto(f"{base}/feedback/complaints/new/")
    desk.select_option("#id_customer", str(world["customer"].pk))
    desk.select_option("#id_category", "timeliness")
    desk.fill("#id_contact_name", "王工")
    desk.fill("#id_contact_phone", "13900001111")
    desk.fill("#id_description", "工程师约好周一到现场，周三才来，产线停了两天")
    shot(desk, "sc-01-desk-registers")
    desk.click("[data-testid=complaint-form] button[type=submit]")
    desk.wait_for_url("**/feedback/complaints/*/")
    complaint = ServiceComplaint.objects.get()
    pk = complaint.pk
    old = _overdue_one(world)
    assert desk.locator("[data-testid=status]").inner_text() == "已登记"
    assert desk.locator("[data-step=send]").count() == 0  # the desk registers; coordinating is the manager's

    # 2. the service manager sends it to the quality department (24 h)
    manager = new_page()
    login(manager, base, "manager")
    manager.goto(f"{base}/feedback/complaints/{pk}/")
    _step(manager, "send")
    manager.check(f"input[name=departments][value='{world['qa'].pk}']")
    manager.fill("#id_note", "请品质部24小时内提交原因分析")
    shot(manager, "sc-02-manager-sends-to-departments")
    _submit(manager, pk)
    assert _status(pk) == "analysing"
    assert manager.locator("[data-testid=analysis]").count() == 1
    assert "等待" in manager.locator("[data-testid=analysis]").inner_text()

    # the list: the overdue analysis of the older complaint shows, and the filter finds it
    manager.goto(f"{base}/feedback/complaints/?overdue=yes")
    assert manager.locator("[data-testid=list-table] tbody tr").count() == 1
    assert old.number in manager.locator("[data-testid=list-table]").inner_text()
    assert "已超时" in manager.locator("[data-testid=list-table]").inner_text()
    manager.goto(f"{base}/feedback/complaints/")
    shot(manager, "sc-02b-list-with-an-overdue-analysis")
    manager.goto(f"{base}/feedback/complaints/{old.pk}/")
    assert manager.locator("[data-testid=overdue]").is_visible()

    # 3. the quality department answers with its analysis
    quality = new_page()
    login(quality, base, "quality")
    quality.goto(f"{base}/feedback/complaints/{pk}/")
    _step(quality, "analyse")
    quality.fill("#id_cause", "派工单审批延误一天，工程师行程冲突未及时告知客户")
    quality.fill("#id_improvement", "派工审批限时2小时；行程变更必须当天电话通知客户")
    _submit(quality, pk)
    assert _status(pk) == "handling"
    analysis = ComplaintAnalysis.objects.get(complaint_id=pk)
    assert analysis.submitted_at is not None and analysis.cause.startswith("派工单审批延误")
    shot(quality, "sc-03-department-analysis-in")

    # 4. the manager records the measures and calls the customer back: not satisfied
    manager.goto(f"{base}/feedback/complaints/{pk}/")
    _step(manager, "handle")
    manager.fill("#id_note", "向客户书面致歉，补偿一次免费保养")
    _submit(manager, pk)
    assert _status(pk) == "handled"
    _step(manager, "revisit")
    manager.fill("#id_person", "王工")
    manager.click("label[for=id_satisfied_1]")  # no
    manager.fill("#id_comments", "致歉收到了，但保养时间还没定")
    shot(manager, "sc-04-revisit-not-satisfied")
    _submit(manager, pk)
    assert _status(pk) == "handling"
    assert "不满意" in manager.locator("[data-testid=revisit]").first.inner_text()

    # 5. new measures; the customer answers the revisit in the portal
    _step(manager, "handle")
    manager.fill("#id_note", "保养定于下周一，由总部工程师上门")
    _submit(manager, pk)
    portal = new_page(width=390, height=844)
    login(portal, base, "owner")
    portal.goto(f"{base}/feedback/complaints/")
    portal.click(f"a[href='/feedback/complaints/{pk}/']")
    portal.wait_for_url(f"**/feedback/complaints/{pk}/")
    assert portal.locator("[data-testid=timeline]").count() == 0  # internal
    assert "总部工程师上门" in portal.locator("[data-testid=handling-note]").inner_text()
    _step(portal, "revisit")
    portal.click("label[for=id_satisfied_0]")  # yes
    shot(portal, "sc-05-customer-satisfied-in-portal")
    _submit(portal, pk)
    assert _status(pk) == "satisfied"
    assert portal.evaluate("document.documentElement.scrollWidth") <= 390

    # 6. the manager closes it; the printable form opens
    manager.goto(f"{base}/feedback/complaints/{pk}/")
    _step(manager, "close")
    _submit(manager, pk)
    assert _status(pk) == "closed"
    assert manager.locator("[data-testid=status]").inner_text() == "已关闭"
    assert manager.locator("[data-testid=revisit]").count() == 2
    shot(manager, "sc-06-closed-with-timeline")
    response = manager.request.get(f"{base}/feedback/complaints/{pk}/print/")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    # what the PDF is made of (the same HTML WeasyPrint prints), shown in the browser to look at
    from django.template.loader import render_to_string
    from django.utils import translation

    from serviceloop.core.pdf import print_context
    from serviceloop.feedback.documents import COMPLAINT_TEMPLATE, complaint_context

    with translation.override("zh-hans"):
        html = render_to_string(COMPLAINT_TEMPLATE, print_context(complaint_context(ServiceComplaint.objects.get(pk=pk))))
    sheet = new_page(width=794, height=1123)
    sheet.set_content(html)
    shot(sheet, "sc-07-complaint-form-print")
