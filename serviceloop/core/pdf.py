"""Printable documents: an HTML template -> PDF with WeasyPrint and the Noto CJK fonts.

Print templates extend ``core/print_base.html``: company header, document title and number,
printed-at time, page numbers and (where a form needs them) signature blocks. The same data
that a screen shows is printed; only the layout differs.

Only ``data:`` URLs are fetched while rendering (QR codes, signatures): a print-out never reaches
out to the network or the file system, whatever text a record holds.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .downloads import bytes_download

PDF_MIME = "application/pdf"


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside a <style> element."""
    escaped = []
    for ch in str(text):
        if ch in '"\\<>&' or ord(ch) < 0x20:
            escaped.append(f"\\{ord(ch):x} ")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def page_counter_css() -> SafeString:
    """The CSS ``content`` value for "Page N of M", in the active language's word order."""
    template = _("Page %(page)s of %(pages)s")
    parts = []
    for piece in re.split(r"(%\((?:page|pages)\)s)", template):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return mark_safe(" ".join(parts))  # noqa: S308 - built from css_string() and fixed keywords


def print_context(context: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every print template gets: company header data, printed-at time, page counter."""
    return {
        "company_name": settings.COMPANY_NAME,
        "company_name_en": settings.COMPANY_NAME_EN,
        "company_address": settings.COMPANY_ADDRESS,
        "printed_at": timezone.localtime(),
        "page_counter_css": page_counter_css(),
        **(context or {}),
    }


def _url_fetcher() -> Any:
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint < 70: a plain function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.startswith("data:"):
                raise ValueError("only data: URLs are fetched in print-outs")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    return HTML(string=html, url_fetcher=_url_fetcher()).write_pdf(font_config=font_config)


def render_pdf(request: HttpRequest | None, template_name: str, context: dict[str, Any] | None = None) -> bytes:
    """Render a print template (extending core/print_base.html) to PDF bytes."""
    html = render_to_string(template_name, print_context(context), request=request)
    return html_to_pdf(html)


def pdf_response(
    request: HttpRequest | None, template_name: str, context: dict[str, Any] | None, filename: str,
    *, inline: bool = True,
) -> HttpResponse:
    """Render a print template and return it as application/pdf with a safe file name."""
    return pdf_bytes_response(render_pdf(request, template_name, context), filename, inline=inline)


def pdf_bytes_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """Ready PDF bytes as a response: shown in the browser (inline) or downloaded."""
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    response = bytes_download(content, filename, PDF_MIME, inline=inline)
    response["Cache-Control"] = "private, no-store"
    return response
