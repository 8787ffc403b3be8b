"""Journey (issue 9): notifications caused in Chinese by the desk, read by a person who switches the
language on the "my settings" page (keyboard only) and back with the top bar's button; the inbox follows each
time, and so do the e-mails (the setting is saved on the person). Screenshots: "lang-*"."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext_noop

from serviceloop.accounts.models import User
from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.core.messages import join, message
from serviceloop.core.notifications import notify
from serviceloop.service.choices import SlaTarget

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_inbox_follows_the_readers_language(new_page, live_server, shot, settings):
    settings.NOTIFICATION_CHANNELS = []
    hq = BranchFactory(code="HQ", name="总部", is_headquarters=True)
    reader = UserFactory(username="reader", display_name="服务主管 李强", branch=hq, roles=["service_manager"])
    with translation.override("zh-hans"):  # caused by a Chinese-speaking desk user and the SLA worker
        notify(recipients=[reader], kind="request_received",
               subject=message(gettext_noop("Request %(number)s received"), number="CSI-2612-0042"),
               body=message(gettext_noop("We received your request “%(title)s”. The service desk will answer you "
                                         "shortly."), title="回流焊炉温度异常"))
        notify(recipients=[reader], kind="sla_at_risk",
               subject=message(gettext_noop("SLA about to breach: %(number)s"), number="CSI-2612-0042"),
               body=join(message(gettext_noop("Request %(number)s (%(customer)s, %(title)s): the target “%(target)s” "
                                              "is due %(deadline)s."), number="CSI-2612-0042", customer="甲公司",
                                 title="回流焊炉温度异常", target=SlaTarget.FIRST_RESPONSE.label,
                                 deadline="2026-12-04 10:40")))
        notify(recipients=[reader], kind="note", subject="手写的通知（旧格式）", body="原样显示")
    base = live_server.url
    page = new_page(width=1280, height=800)  # the browser asks for Chinese
    login(page, base, "reader")
    page.goto(f"{base}/core/notifications/")
    items = page.locator("[data-testid=notification]")
    assert items.count() == 3
    text = page.locator("[data-testid=notifications]").inner_text()
    assert "CSI-2612-0042" in text and "received" not in text and "SLA about to breach" not in text
    with translation.override("zh-hans"):
        assert str(SlaTarget.FIRST_RESPONSE.label) in text  # the target, a choice label, in Chinese too
    shot(page, "lang-inbox-zh")

    # my settings, by keyboard: the user name in the top bar, the language field, Enter
    page.click("[data-testid=my-settings]")
    page.wait_for_url(f"{base}/accounts/settings/")
    shot(page, "lang-settings-zh")
    select = page.locator("[data-testid=language-select]")
    select.focus()
    select.select_option("en")
    page.keyboard.press("Tab")  # to the save button
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form
    assert "Your settings are saved." in page.locator("main").inner_text()
    assert User.objects.get(username="reader").language == "en"
    page.goto(f"{base}/core/notifications/")
    text = page.locator("[data-testid=notifications]").inner_text()
    assert "Request CSI-2612-0042 received" in text
    assert "SLA about to breach: CSI-2612-0042" in text
    assert "the target “First response” is due 2026-12-04 10:40." in text
    assert "手写的通知（旧格式）" in text  # a plain-text row shows as it was stored
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "lang-inbox-en")

    # another browser that asks for Chinese: the person's English wins from the login on
    other = new_page(width=1280, height=800)
    login(other, base, "reader")
    other.goto(f"{base}/core/notifications/")
    assert other.locator("html").get_attribute("lang") == "en"
    assert "Request CSI-2612-0042 received" in other.locator("[data-testid=notifications]").inner_text()

    # back to Chinese with the top bar's button: the setting follows
    page.click("nav button[name=language][value=zh-hans]")
    page.wait_for_load_state()
    text = page.locator("[data-testid=notifications]").inner_text()
    assert "Request CSI-2612-0042 received" not in text and "CSI-2612-0042" in text
    assert User.objects.get(username="reader").language == "zh-hans"
    shot(page, "lang-inbox-zh-again")

