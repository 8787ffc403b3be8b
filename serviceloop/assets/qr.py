"""QR codes on unit nameplates: each unit's code opens its landing URL (see views.unit_qr_landing)."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.urls import reverse

from .models import Unit


def unit_qr_url(unit: Unit) -> str:
    """The absolute URL printed in the unit's QR code (SITE_URL, so a phone can reach it)."""
    return settings.SITE_URL.rstrip("/") + reverse("assets:unit_qr_landing", args=[unit.qr_token])


def _code(unit: Unit) -> segno.QRCode:
    return segno.make(unit_qr_url(unit), error="m", micro=False)


def unit_qr_svg(unit: Unit, *, scale: int = 4) -> str:
    """A standalone SVG document of the unit's QR code."""
    out = io.BytesIO()
    _code(unit).save(out, kind="svg", scale=scale, border=2, xmldecl=False)
    return out.getvalue().decode()


def unit_qr_data_uri(unit: Unit, *, scale: int = 4) -> str:
    """The QR code as an SVG data: URI, for PDFs (which fetch nothing else)."""
    return _code(unit).svg_data_uri(scale=scale, border=2)


def unit_qr_png_data_uri(unit: Unit) -> str:
    """The QR code as a PNG data: URI for label sheets: 8 px per module (about 290 dpi on a 29 mm label),
    drawn by WeasyPrint several times faster than the SVG."""
    return _code(unit).png_data_uri(scale=8, border=2)
