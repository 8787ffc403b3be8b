"""The navigation bar at a laptop's 1366 px: one line for every role, in Chinese and English; the
sections open from the keyboard; the favicon is served."""

from __future__ import annotations

import pytest

from serviceloop.accounts.tests.factories import BranchFactory, UserFactory

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _one_line(page) -> None:
    bar = page.locator("nav.navbar").bounding_box()
    assert bar["height"] < 70, f"the navigation bar wraps: {bar['height']} px high"
    for locator in ("nav .nav-link", "[data-testid=current-user]", "nav button[type=submit]"):
        for box in [page.locator(locator).nth(i).bounding_box() for i in range(page.locator(locator).count())]:
            if box:  # hidden entries have none
                assert box["height"] < 45, f"{locator} wraps onto two lines ({box['height']} px)"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_bar_stays_on_one_line_at_1366_px(new_page, live_server, shot, language):
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    UserFactory(username="boss", display_name="系统管理员 张伟", branch=hq, is_superuser=True, is_staff=True)
    UserFactory(username="manager", display_name="服务主管 李强", branch=hq, roles=["service_manager"])
    UserFactory(username="engineer", display_name="工程师 赵刚", branch=hq, roles=["field_engineer"])
    base = live_server.url
    for username in ("boss", "manager", "engineer"):
        page = new_page(width=1366, height=768)
        login(page, base, username)
        if language == "en":
            page.click("nav button[name=language][value=en]")
            page.wait_for_load_state()
        _one_line(page)
        shot(page, f"nav-1366-{username}-{language}")
        if page.locator("[data-testid=nav-group]").count():
            first = page.locator("[data-testid=nav-group] .dropdown-toggle").first
            first.focus()
            page.keyboard.press("Enter")
            menu = page.locator("[data-testid=nav-group] .dropdown-menu").first
            menu.wait_for(state="visible")
            page.keyboard.press("ArrowDown")
            assert page.evaluate("document.activeElement.classList.contains('dropdown-item')")
            shot(page, f"nav-1366-{username}-{language}-menu")
    response = page.request.get(f"{base}/favicon.ico")
    assert response.ok and "svg" in response.headers["content-type"]
