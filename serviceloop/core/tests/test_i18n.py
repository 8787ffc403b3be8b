"""Chinese is the default language and no English is left on a Chinese page."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from serviceloop.assets.tests.factories import SalesOrderFactory, ServiceContractFactory, UnitFactory

PO = Path(settings.BASE_DIR) / "serviceloop" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Words that are legitimately Latin on a Chinese page: product names, formats, units, data codes.
ALLOWED = {
    "serviceloop", "excel", "http", "https", "pdf", "qr", "api", "sla", "so", "cny", "english", "csv", "xlsx",
    "mb", "hq", "east", "south", "ca", "cb", "sc", "sn", "pm", "id", "url", "yymm", "sha", "utf",
    "tab", "javascript", "psr", "wo", "csi", "km", "tc",
}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.chunks.append(value)
            if tag == "input" and name == "value" and ("type", "submit") in attrs and value:
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.chunks.append(data)


def english_words(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.chunks)
    text = re.sub(r"[A-Za-z0-9._/-]*\d[A-Za-z0-9._/-]*", " ", text)  # codes, serials, numbers, dates
    words = set()
    for word in re.findall(r"[A-Za-z][A-Za-z'’-]+", text):
        if word.lower() not in ALLOWED and not re.search(r"\d", word):
            words.add(word)
    return words


def test_every_message_is_translated_to_chinese():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed (make test installs it)"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(PO)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.django_db
def test_chinese_pages_show_no_english(client, cast):
    unit = UnitFactory(customer=cast.customer_a, serial_number="SN-0001")
    so = SalesOrderFactory(customer=cast.customer_a, number="SO-0001")
    contract = ServiceContractFactory(customer=cast.customer_a, number="SC-0001")
    contract.units.add(unit)
    client.force_login(cast.desk)
    pages = [
        reverse("home"),
        reverse("customers:list"),
        reverse("customers:detail", args=[cast.customer_a.pk]),
        reverse("customers:edit", args=[cast.customer_a.pk]),
        reverse("customers:create"),
        reverse("assets:unit_list"),
        reverse("assets:unit_detail", args=[unit.pk]),
        reverse("assets:so_list"),
        reverse("assets:so_detail", args=[so.pk]),
        reverse("assets:contract_list"),
        reverse("assets:contract_detail", args=[contract.pk]),
        reverse("assets:model_list"),
        reverse("assets:model_detail", args=[unit.product_model.pk]),
        reverse("accounts:settings"),
    ]
    for name in ("unit_create", "so_create", "contract_create"):
        pages.append(reverse(f"assets:{name}"))
    for name in ("customers", "units", "sales_orders"):
        pages.append(reverse(f"imports:{name}"))
    leftovers = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)  # home: the role's home page
        assert response.status_code == 200, url
        words = english_words(response.content.decode())
        if words:
            leftovers[url] = sorted(words)
    assert leftovers == {}
    client.logout()
    response = client.get(reverse("login"))
    assert english_words(response.content.decode()) == set()


def test_service_loop_pages_show_no_english(client, cast, hq):
    """Every page of the loop in Chinese: desk, dispatcher, manager, engineer (phone view), customer."""
    from django.utils import translation

    from serviceloop.accounts.tests.factories import UserFactory
    from serviceloop.feedback.tests.factories import resolved_request
    from serviceloop.workorders import services as wo_services
    from serviceloop.workorders.tests.factories import completed, dispatcher, engineer, new_work_order

    with translation.override("zh-hans"):  # the records are made by people working in Chinese (stored reasons)
        unit = UnitFactory(customer=cast.customer_a, serial_number="SN-0001")
        office = dispatcher(hq)
        lead = engineer(branch=hq, username="eng1")
        done = completed(office=office, manager=cast.manager, customer=cast.customer_a, lead=lead, unit=unit)
        report = wo_services.service_report_prepare(actor=lead, work_order=done)
        draft = new_work_order(actor=office, customer=cast.customer_a, unit=unit)
        resolved = resolved_request(actor=cast.desk, customer=cast.customer_a)
    request = draft.service_request
    pages = {
        cast.desk: [
            reverse("service:queue"), reverse("service:list"), reverse("service:create"),
            reverse("service:detail", args=[request.pk]), reverse("service:step", args=[request.pk, "cancel"]),
            reverse("service:detail", args=[resolved.pk]),
            reverse("feedback:queue"), reverse("feedback:follow_up", args=[resolved.pk]),
            reverse("core:notifications"),
        ],
        cast.manager: [reverse("service:sla_policy_list"), reverse("service:sla_policy_create"),
                       reverse("workorders:board"), reverse("workorders:detail", args=[done.pk]),
                       reverse("workorders:help_list"), reverse("feedback:complaint_list")],
        office: [reverse("workorders:board"), reverse("workorders:assign", args=[draft.pk]),
                 reverse("workorders:list")],
        lead: [reverse("workorders:my_jobs"), reverse("workorders:job", args=[done.pk]),
               reverse("workorders:report", args=[done.pk]), reverse("workorders:report_sign", args=[done.pk]),
               reverse("workorders:report_verify")],
        cast.owner: [reverse("service:portal"), reverse("service:create"),
                     reverse("service:detail", args=[request.pk]), reverse("feedback:rate", args=[resolved.pk]),
                     reverse("workorders:detail", args=[done.pk])],
    }
    assert report.pk
    leftovers = {}
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
            assert response.status_code == 200, (user.username, url)
            words = english_words(response.content.decode())
            if words:
                leftovers[f"{user.username} {url}"] = sorted(words)
    assert UserFactory  # the factory module loads
    assert leftovers == {}
