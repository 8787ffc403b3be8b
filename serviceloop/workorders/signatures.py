"""The customer's signature from the canvas signature pad: a PNG data URL, validated strictly.

``signature_png(data_url)`` returns clean PNG bytes (decoded, checked, re-encoded without metadata)
or raises ValidationError with a message for the person holding the phone.
"""

from __future__ import annotations

import base64
import binascii
import io

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

PREFIX = "data:image/png;base64,"
MAX_BYTES = 300 * 1024
MAX_SIDE = 4000
MIN_SIDE = 20
# a pixel counts as ink when, laid over white paper, it is darker than this (0 black .. 255 white)
INK_BELOW = 200
# at least this many ink pixels: a real stroke, not a stray dot
MIN_INK_PIXELS = 30


def _decode(data_url: str) -> bytes:
    if not isinstance(data_url, str) or not data_url.strip():
        raise ValidationError(_("The customer has not signed."), code="missing")
    text = data_url.strip()
    if not text[: len(PREFIX)].lower() == PREFIX:
        raise ValidationError(_("The signature must be a PNG image (data:image/png;base64,…)."), code="not_png")
    payload = "".join(text[len(PREFIX):].split())
    # base64 grows by 4/3: refuse before decoding anything too large
    if len(payload) > (MAX_BYTES * 4) // 3 + 4:
        raise ValidationError(
            _("The signature image is larger than %(size)s.") % {"size": filesizeformat(MAX_BYTES)}, code="size"
        )
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("The signature is not valid base64 data."), code="not_png") from None
    if len(raw) > MAX_BYTES:
        raise ValidationError(
            _("The signature image is larger than %(size)s.") % {"size": filesizeformat(MAX_BYTES)}, code="size"
        )
    if not raw:
        raise ValidationError(_("The customer has not signed."), code="missing")
    return raw


def _load_png(raw: bytes) -> Image.Image:
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # WeasyPrint loosens this at import; a signature must be whole
    try:
        image = Image.open(io.BytesIO(raw))
        if image.format != "PNG":
            raise ValidationError(_("The signature must be a PNG image."), code="not_png")
        width, height = image.size
        if width > MAX_SIDE or height > MAX_SIDE:
            raise ValidationError(_("The signature image is too large."), code="size")
        if width < MIN_SIDE or height < MIN_SIDE:
            raise ValidationError(_("The signature image is too small."), code="size")
        image.load()
        return image
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError):
        raise ValidationError(_("The signature must be a PNG image."), code="not_png") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def ink_pixels(image: Image.Image) -> int:
    """Pixels that show on white paper: transparent and white pixels do not count."""
    rgba = image.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(paper, rgba).convert("L")
    return sum(grey.histogram()[:INK_BELOW])


def signature_png(data_url: str) -> bytes:
    """Clean PNG bytes of a real signature, or ValidationError (missing, not PNG, too big, blank)."""
    image = _load_png(_decode(data_url))
    if ink_pixels(image) < MIN_INK_PIXELS:
        raise ValidationError(_("The signature is blank. Ask the customer to sign."), code="blank")
    out = io.BytesIO()
    image.convert("RGBA").save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_data_url(png: bytes) -> str:
    return PREFIX + base64.b64encode(png).decode("ascii")
