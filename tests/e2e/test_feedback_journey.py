"""Journey: the desk answers a follow-up call with the keyboard only; the customer rates another
request on a 390 px wide phone; the unsatisfied rating becomes a complaint the service manager opens from the bell.
Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.customers.tests.factories import CustomerFactory
from serviceloop.feedback.models import FollowUp, ServiceComplaint
from serviceloop.feedback.tests.factories import resolved_request
from serviceloop.service.models import ServiceRequest

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    from serviceloop.accounts.roles import sync_roles

    if not Group.objects.filter(name="service_desk").exists():  # transactional tests start without groups
        sync_roles()
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    east = BranchFactory(code="EAST", name="华东分公司")
    customer = CustomerFactory(code="CA", name="甲公司", branch=east)
    desk = UserFactory(username="desk", branch=hq, roles=["service_desk"])
    UserFactory(username="owner", customer=customer, roles=["customer"])
    UserFactory(username="manager", branch=hq, roles=["service_manager"])
    return {
        "call": resolved_request(actor=desk, customer=customer, title="回流焊炉温度异常"),
        "rate": resolved_request(actor=desk, customer=customer, title="贴片机抛料"),
    }


def test_follow_up_by_keyboard_rating_on_a_phone_and_complaint_handling(new_page, live_server, shot, world):
    base = live_server.url
    call, rate = world["call"], world["rate"]

    # 1. the desk: script on the left, answers typed with the keyboard only
    page = new_page()
    login(page, base, "desk")
    page.goto(f"{base}/feedback/")
    page.click(f"a[href='/feedback/requests/{call.pk}/follow-up/']")
    assert page.locator("[data-testid=call-script]").is_visible()
    page.locator("#id_person").focus()
    page.keyboard.type("王工")
    for _score in range(3):  # attitude, skill, timeliness: Tab into the group, arrows to the score
        page.keyboard.press("Tab")
        for _ in range(4):
            page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # satisfied: "yes", the first choice
    shot(page, "fb-01-desk-follow-up-by-keyboard")
    assert page.locator("input[name=attitude]:checked").get_attribute("value") == "5"
    assert page.locator("input[name=timeliness]:checked").get_attribute("value") == "5"
    assert page.locator("input[name=satisfied]:checked").get_attribute("value") == "yes"
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(f"{base}/feedback/")
    assert ServiceRequest.objects.get(pk=call.pk).status == "closed"
    assert FollowUp.objects.get(service_request=call).attitude == 5

    # 2. the customer on a phone: nothing wider than the screen, big buttons
    phone = new_page(width=390, height=844)
    login(phone, base, "owner")
    phone.goto(f"{base}/feedback/")  # the list waiting for a rating: its table scrolls, the page does not
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.click(f"a[href='/feedback/requests/{rate.pk}/rate/']")
    phone.wait_for_url(f"**/feedback/requests/{rate.pk}/rate/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for field, score in (("attitude", 2), ("skill", 4), ("timeliness", 1)):
        phone.click(f"label[for=id_{field}_{score - 1}]")
    phone.click("label[for=id_satisfied_1]")
    phone.fill("#id_comments", "工程师迟到两天")
    phone.click("label[for=id_unsatisfied_action_1]")
    shot(phone, "fb-02-customer-rates-on-phone")
    phone.click("[data-testid=rate-form] button[type=submit]")
    phone.wait_for_url(lambda url: "/rate/" not in url)
    complaint = ServiceComplaint.objects.get(service_request=rate)

    # 3. the service manager opens the complaint from the bell: registered, to be sent to the departments
    # (the whole complaint workflow is tests/e2e/test_complaint_journey.py)
    manager = new_page()
    login(manager, base, "manager")
    manager.goto(f"{base}/feedback/complaints/")
    assert manager.locator("[data-testid=unread-badge]").inner_text() == "1"
    manager.click("[data-testid=notification-bell]")
    manager.click("[data-testid=notification]")
    manager.wait_for_url(f"**/feedback/complaints/{complaint.pk}/")
    assert manager.locator("[data-step=send]").is_visible()
    shot(manager, "fb-03-complaint-registered")
    assert complaint.status == "open" and complaint.channel == "follow_up"
