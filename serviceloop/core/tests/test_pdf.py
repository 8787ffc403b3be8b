import io

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from serviceloop.core.pdf import pdf_response, render_pdf


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_render_pdf_has_company_header_and_chinese_text(settings):
    settings.COMPANY_NAME = "测试装备有限公司"
    with translation.override("zh-hans"):
        content = render_pdf(None, "core/print_base.html", {"signatures": ["客户签字"]})
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "测试装备有限公司" in text
    assert "客户签字" in text


def test_print_base_shows_printed_at_and_page_numbers():
    with translation.override("en"):
        text = pdf_text(render_pdf(None, "core/print_base.html", {}))
    assert "Printed at" in text
    assert "Page 1 of 1" in text


def test_pdf_response_is_inline_pdf_with_escaped_name():
    request = RequestFactory().get("/")
    response = pdf_response(request, "core/print_base.html", {}, "服务档案 SN1.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_render_pdf_fetches_nothing_from_the_network():
    # an <img> pointing elsewhere must neither be fetched nor break the rendering
    from django.template import engines

    engine = engines["django"]
    template = engine.from_string(
        '{% extends "core/print_base.html" %}{% block content %}<img src="http://127.0.0.1:9/x.png">'
        '<img src="file:///etc/passwd">正文{% endblock %}'
    )
    from serviceloop.core.pdf import html_to_pdf, print_context

    content = html_to_pdf(template.render(print_context({})))
    assert "正文" in pdf_text(content)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_page_counter_follows_language(lang):
    with translation.override(lang):
        text = pdf_text(render_pdf(None, "core/print_base.html", {}))
        assert gettext("Page %(page)s of %(pages)s") % {"page": 1, "pages": 1} in text
