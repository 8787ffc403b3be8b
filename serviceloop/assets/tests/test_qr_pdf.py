import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from serviceloop.assets.models import Unit
from serviceloop.assets.qr import unit_qr_url
from serviceloop.assets.views import LABELS_PER_PAGE
from serviceloop.core.models import AuthorizationFailure
from serviceloop.core.timeline import record_event

from .factories import ProductModelFactory, ServiceContractFactory, UnitFactory

pytestmark = pytest.mark.django_db


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


@pytest.fixture
def unit_a(cast):
    return UnitFactory(serial_number="SNA0001", customer=cast.customer_a,
                       product_model=ProductModelFactory(code="RF-800", name="回流焊炉 RF-800"))


@pytest.fixture
def unit_b(cast):
    return UnitFactory(serial_number="SNB0001", customer=cast.customer_b)


# --- QR landing ---------------------------------------------------------------------------------

def test_qr_url_is_absolute_and_points_at_landing(unit_a, settings):
    settings.SITE_URL = "https://service.example.com/"
    assert unit_qr_url(unit_a) == f"https://service.example.com/assets/q/{unit_a.qr_token}/"


def test_qr_landing_sends_staff_to_the_service_file(client, cast, unit_a):
    client.force_login(cast.desk)
    r = client.get(reverse("assets:unit_qr_landing", args=[unit_a.qr_token]))
    assert r.status_code == 302
    assert r["Location"] == reverse("assets:unit_detail", args=[unit_a.pk])


def test_qr_landing_opens_a_fault_report_for_the_customer(client, cast, unit_a):
    client.force_login(cast.owner)
    r = client.get(reverse("assets:unit_qr_landing", args=[unit_a.qr_token]))
    assert r.status_code == 302
    assert r["Location"] == f"{reverse('service:create')}?unit={unit_a.pk}&channel=qr"


def test_qr_landing_sends_anonymous_user_to_login_with_next(client, unit_a):
    url = reverse("assets:unit_qr_landing", args=[unit_a.qr_token])
    r = client.get(url)
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("login"))
    assert r["Location"] == reverse("login") + "?next=" + url


def test_qr_landing_is_404_for_a_user_who_may_not_see_the_unit(client, cast, unit_a):
    client.force_login(cast.outsider)
    before = AuthorizationFailure.objects.count()
    r = client.get(reverse("assets:unit_qr_landing", args=[unit_a.qr_token]))
    assert r.status_code == 404
    assert AuthorizationFailure.objects.count() == before + 1


def test_qr_landing_unknown_token_is_404(client, cast):
    client.force_login(cast.desk)
    assert client.get(reverse("assets:unit_qr_landing", args=["nope"])).status_code == 404


def test_qr_svg_is_gated(client, cast, unit_a):
    url = reverse("assets:unit_qr", args=[unit_a.pk])
    client.force_login(cast.colleague)
    r = client.get(url)
    assert r.status_code == 200
    assert r["Content-Type"] == "image/svg+xml"
    assert r.content.lstrip().startswith(b"<svg")
    client.force_login(cast.outsider)
    assert client.get(url).status_code == 404


# --- label sheets ---------------------------------------------------------------------------------

def test_label_sheet_for_filtered_units_has_one_page_per_24(client, cast):
    model = ProductModelFactory(code="LBL-1", name="贴片机")
    other = ProductModelFactory(code="LBL-2", name="点胶机")
    for i in range(LABELS_PER_PAGE + 2):
        UnitFactory(serial_number=f"LB{i:04d}", product_model=model, customer=cast.customer_a)
    UnitFactory(serial_number="OTHER0001", product_model=other, customer=cast.customer_a)
    client.force_login(cast.desk)
    with translation.override("zh-hans"):
        r = client.get(reverse("assets:unit_labels") + f"?product_model={model.pk}",
                       HTTP_ACCEPT_LANGUAGE="zh-hans")
        scan = gettext("Scan to report a fault")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    pages = pdf_pages(r.content)
    assert len(pages) == 2
    text = "\n".join(pages)
    assert "LB0000" in text and f"LB{LABELS_PER_PAGE + 1:04d}" in text
    assert "OTHER0001" not in text
    assert "贴片机" in text
    assert scan in text


def test_label_sheet_respects_the_gate(client, cast):
    UnitFactory(serial_number="EASTUNIT1", customer=cast.customer_a)
    UnitFactory(serial_number="SOUTHUNIT1", customer=cast.customer_b)
    client.force_login(cast.east_staff)
    r = client.get(reverse("assets:unit_labels"))
    text = "\n".join(pdf_pages(r.content))
    assert "EASTUNIT1" in text
    assert "SOUTHUNIT1" not in text


def test_more_labels_than_one_pdf_holds_are_printed_in_parts(client, cast, monkeypatch):
    from serviceloop.assets import views
    monkeypatch.setattr(views, "MAX_LABELS", 4)
    model = ProductModelFactory(code="MANY")
    Unit.objects.bulk_create([
        Unit(serial_number=f"M{i:05d}", product_model=model, customer=cast.customer_a, qr_token=f"tok{i}")
        for i in range(9)
    ])
    client.force_login(cast.desk)
    url = reverse("assets:unit_labels") + f"?product_model={model.pk}"
    r = client.get(url)
    assert r.status_code == 200 and r.templates[0].name == "assets/label_parts.html"
    page = r.content.decode()
    assert f"?product_model={model.pk}&amp;part=3" in page and "part=4" not in page
    printed = []
    for part in (1, 2, 3):
        pdf = client.get(f"{url}&part={part}")
        assert pdf["Content-Type"] == "application/pdf"
        printed.append(sorted(set(re.findall(r"M\d{5}", "\n".join(pdf_pages(pdf.content))))))
    assert [len(p) for p in printed] == [4, 4, 1]
    assert sorted(sum(printed, [])) == [f"M{i:05d}" for i in range(9)]  # every unit once, none twice
    for bad in ("4", "0", "x", "-1"):
        r = client.get(f"{url}&part={bad}", follow=True)
        assert r.redirect_chain[0][0].startswith(reverse("assets:unit_list")), bad
        assert "There is no such part" in r.content.decode() or "没有" in r.content.decode()


def test_label_sheet_refuses_more_parts_than_one_page_offers(client, cast, monkeypatch):
    from serviceloop.assets import views
    monkeypatch.setattr(views, "MAX_LABELS", 2)
    monkeypatch.setattr(views, "MAX_LABEL_PARTS", 2)
    model = ProductModelFactory(code="MANY")
    Unit.objects.bulk_create([
        Unit(serial_number=f"M{i:05d}", product_model=model, customer=cast.customer_a, qr_token=f"tok{i}")
        for i in range(5)
    ])
    client.force_login(cast.desk)
    r = client.get(reverse("assets:unit_labels") + f"?product_model={model.pk}", follow=True)
    assert r.redirect_chain[0][0].startswith(reverse("assets:unit_list") + "?product_model=")
    assert r.status_code == 200 and "4" in r.content.decode()


def test_label_sheet_with_nothing_selected_explains(client, cast):
    client.force_login(cast.desk)
    r = client.get(reverse("assets:unit_labels") + "?q=NOSUCHSERIAL", follow=True)
    assert r.redirect_chain
    assert r.templates[0].name == "assets/unit_list.html"


def test_single_unit_label(client, cast, unit_a):
    client.force_login(cast.owner)
    r = client.get(reverse("assets:unit_label", args=[unit_a.pk]))
    assert r.status_code == 200
    pages = pdf_pages(r.content)
    assert len(pages) == 1
    assert "SNA0001" in pages[0]
    client.force_login(cast.outsider)
    assert client.get(reverse("assets:unit_label", args=[unit_a.pk])).status_code == 404


def test_unit_list_links_to_labels_with_current_filters(client, cast, unit_a):
    client.force_login(cast.desk)
    r = client.get(reverse("assets:unit_list") + "?status=in_service")
    assert reverse("assets:unit_labels") + "?status=in_service" in r.content.decode()


# --- the service file print-out -----------------------------------------------------------------

def test_service_file_pdf_has_customer_warranty_contracts_and_timeline(client, cast, unit_a):
    contract = ServiceContractFactory(customer=cast.customer_a, number="SC-PRINT-1",
                                      start_date=dt.date(2020, 1, 1), end_date=dt.date(2099, 12, 31))
    contract.units.add(unit_a)
    record_event(unit_a, actor=cast.desk, verb="updated", note="更换加热模块")
    client.force_login(cast.owner)
    with translation.override("zh-hans"):
        r = client.get(reverse("assets:unit_print", args=[unit_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        label = gettext("serial number")
        title = gettext("Service file")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    text = "\n".join(pdf_pages(r.content))
    assert "甲公司" in text
    assert label in text
    assert title in text
    assert "SNA0001" in text
    assert "SC-PRINT-1" in text
    assert "更换加热模块" in text


def test_service_file_pdf_is_gated(client, cast, unit_a):
    client.force_login(cast.outsider)
    assert client.get(reverse("assets:unit_print", args=[unit_a.pk])).status_code == 404
    client.force_login(cast.nobody)
    assert client.get(reverse("assets:unit_print", args=[unit_a.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("assets:unit_print", args=[unit_a.pk])).status_code == 302
