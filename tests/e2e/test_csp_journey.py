"""Journey under the Content-Security-Policy (issue 9): the main pages load with the header on, with no
console error and no securitypolicyviolation event, and their interactive parts still work: the
login page's Alpine toggle (Alpine's CSP build), the HTMX list filter, the intake lookup (HTMX and
the page's nonce'd script), the Bootstrap menu on a phone, the admin and the API docs.
Screenshots go to test-artifacts/screenshots/ (names start with "csp-").
"""

from __future__ import annotations

import re

import pytest

from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.assets.tests.factories import ProductModelFactory, UnitFactory
from serviceloop.customers.tests.factories import CustomerFactory
from serviceloop.service.tests.factories import new_request
from serviceloop.workorders.tests.factories import dispatched, engineer

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# collects what the browser reports; added to every page before its own scripts run
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "")
                              + ":" + e.lineNumber);
});
"""


class Watched:
    """A page whose console errors, page errors and CSP violations are kept for the end of the test."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.add_init_script(WATCH)

    def _console(self, message) -> None:
        url = message.location.get("url", "")
        # the browser asks for /favicon.ico by itself; the site has none yet (issue 9 lists it apart)
        if message.type == "error" and not url.endswith("/favicon.ico"):
            self.errors.append(f"console {message.type}: {message.text} {url}")

    def goto(self, url: str):
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        return response

    def check(self, where: str) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], (where, violations)
        assert self.errors == [], (where, self.errors)


@pytest.fixture
def world():
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    east = BranchFactory(code="EAST", name="华东分公司")
    model = ProductModelFactory(code="RF-800", name="全自动回流焊炉", warranty_months=24)
    customer = CustomerFactory(code="CA01", name="无锡甲微电子有限公司", branch=east)
    other = CustomerFactory(code="CB01", name="深圳乙电子有限公司", branch=east)
    unit = UnitFactory(serial_number="SN-2026-0088", customer=customer, product_model=model)
    UnitFactory(serial_number="SN-2026-0099", customer=other, product_model=model)
    desk = UserFactory(username="desk", display_name="服务台 王丽", branch=hq, roles=["service_desk"])
    dispatch = UserFactory(username="dispatch", display_name="调度 赵敏", branch=hq, roles=["dispatcher"])
    manager = UserFactory(username="boss", display_name="服务主管 李强", branch=hq, roles=["service_manager"])
    UserFactory(username="buyer", display_name="甲公司 王工", customer=customer, roles=["customer"])
    UserFactory(username="root", display_name="管理员", branch=hq, is_staff=True, is_superuser=True)
    eng = engineer(branch=hq, username="eng", city="无锡", lat="31.49", lng="120.31")
    first = new_request(actor=desk, customer=customer, unit=unit, title="回流焊炉 3 温区温度偏高")
    second = new_request(actor=desk, customer=other, title="贴片机供料器卡料")
    job = dispatched(office=dispatch, manager=manager, customer=other, lead=eng)
    return {"unit": unit, "first": first, "second": second, "job": job}


def test_main_pages_run_under_the_content_security_policy(new_page, live_server, shot, world):
    base = live_server.url
    first, second = world["first"], world["second"]
    watched = Watched(new_page())
    page = watched.page

    # the login page: the policy is on, with no 'unsafe-*' source (no inline script here: no nonce either)
    response = watched.goto(f"{base}/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "unsafe" not in policy and "nonce" not in policy, policy
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                      "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"):
        assert directive in policy, (directive, policy)

    # Alpine (CSP build): the password's show/hide toggle
    page.fill("#id_username", "desk")
    page.fill("#id_password", "pw-Secret-123")
    toggle = page.locator("[data-testid=password-toggle]")
    toggle.wait_for(state="visible")  # x-cloak removed: Alpine has started
    assert page.get_attribute("#id_password", "type") == "password"
    toggle.click()
    assert page.get_attribute("#id_password", "type") == "text"
    shot(page, "csp-01-login-password-shown")
    toggle.click()
    assert page.get_attribute("#id_password", "type") == "password"
    watched.check("login")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    watched.check("after login")

    # home, the queue, the list with its HTMX filter, a request, a step page
    watched.goto(f"{base}/")
    watched.check("home")
    watched.goto(f"{base}/service/")
    watched.check("queue")
    watched.goto(f"{base}/service/requests/")
    table = page.locator("[data-testid=list-table]")
    assert first.number in table.inner_text() and second.number in table.inner_text()
    with page.expect_response(lambda r: "/service/requests/" in r.url and r.request.headers.get("hx-request")):
        page.locator("#id_q").press_sequentially(first.number)  # typed: the filter listens for keyup
    page.wait_for_function("n => !document.querySelector('[data-testid=list-table]').innerText.includes(n)",
                           arg=second.number)
    assert first.number in table.inner_text()
    assert re.search(r"[?&]q=", page.url), page.url  # hx-push-url
    shot(page, "csp-02-list-filtered-by-htmx")
    watched.check("request list")
    watched.goto(f"{base}/service/requests/{first.pk}/")
    watched.check("request detail")
    shot(page, "csp-03-request-detail")
    watched.goto(f"{base}/service/requests/{first.pk}/step/cancel/")
    assert page.locator("[data-testid=step-form]").count() == 1
    watched.check("step page")

    # the phone intake: HTMX lookup, then the page's own script (allowed by the response's nonce) picks the unit
    response = watched.goto(f"{base}/service/requests/new/")
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce and page.locator("script[nonce]").count() >= 1
    page.fill("[data-testid=unit-lookup]", "SN-2026-0088")
    page.locator("[data-pick-unit]").first.click()
    chosen = page.locator("[data-testid=chosen]")
    chosen.wait_for(state="visible")
    assert "SN-2026-0088" in chosen.inner_text()
    assert page.input_value("#intake [name=unit]") == str(world["unit"].pk)
    shot(page, "csp-04-intake-lookup")
    watched.check("intake")

    # "Cancel" on a new record's form goes back (an Alpine component: no javascript: URL)
    watched.goto(f"{base}/customers/")
    page.click("a[href='/customers/new/']")
    page.wait_for_url("**/customers/new/")
    page.click("[data-testid=form-cancel]")
    page.wait_for_url(lambda url: url.endswith("/customers/"))
    watched.check("form cancel")

    # the engineer's job on a phone: its own styles and the check-in script (nonces) run
    job = world["job"]
    eng = Watched(new_page(390, 844))
    eng.page.context.grant_permissions(["geolocation"])
    eng.page.context.set_geolocation({"latitude": 31.4913, "longitude": 120.3121})
    login(eng.page, base, "eng")
    eng.goto(f"{base}/workorders/{job.pk}/job/")
    eng.page.click("[data-testid=step-accept]")
    eng.page.click("[data-testid=step-contacted]")
    eng.page.click("[data-testid=step-check_in]")
    eng.page.wait_for_selector("[data-testid=on-site]")
    visit = job.visits.get()
    assert visit.check_in_latitude is not None  # the position came from the page's script
    shot(eng.page, "csp-05-engineer-job")
    eng.check("engineer job")

    # the Bootstrap menu on a phone
    phone = Watched(new_page(390, 844))
    login(phone.page, base, "dispatch")
    phone.goto(f"{base}/workorders/")
    phone.page.click(".navbar-toggler")
    phone.page.locator("#mainnav").wait_for(state="visible")
    shot(phone.page, "csp-06-dispatch-board-phone-menu")
    phone.check("dispatch board")

    # the customer's portal
    customer = Watched(new_page(390, 844))
    login(customer.page, base, "buyer")
    customer.goto(f"{base}/service/portal/")
    assert first.number in customer.page.content()
    shot(customer.page, "csp-07-portal")
    customer.check("portal")
    customer.goto(f"{base}/service/requests/new/")  # the customer's fault report (its own styles, nonce'd)
    customer.page.locator("#id_title").wait_for()
    customer.check("portal report form")

    # the admin and the API docs, under the same policy
    admin = Watched(new_page())
    login(admin.page, base, "root")
    for path in ("/admin/", "/admin/accounts/user/", "/admin/customers/customer/add/"):
        admin.goto(f"{base}{path}")
        admin.check(path)
    admin.goto(f"{base}/api/docs/")
    admin.page.locator(".swagger-ui .opblock").first.wait_for()
    shot(admin.page, "csp-08-api-docs")
    admin.check("api docs")
