"""Attachments: allow-listed extensions, content sniffing, size limit, images re-encoded."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .downloads import safe_filename
from .models import Attachment
from .timeline import record_event

IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "zip": "application/zip",
}
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}
ALLOWED = {**IMAGE_TYPES, **DOCUMENT_TYPES, **TEXT_TYPES}
# what the sniffer must say for each extension (OOXML files are zip containers)
SNIFFED_AS = {
    "jpg": {"image/jpeg"}, "jpeg": {"image/jpeg"}, "png": {"image/png"}, "webp": {"image/webp"},
    "pdf": {"application/pdf"}, "zip": {"application/zip"},
    "xlsx": {"application/zip", DOCUMENT_TYPES["xlsx"]}, "docx": {"application/zip", DOCUMENT_TYPES["docx"]},
}
MAX_IMAGE_PIXELS = 40_000_000
# the part every Office file of that kind holds (a renamed zip of something else does not)
OOXML_PARTS = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml"}


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def validate_upload(name: str, data: bytes) -> tuple[str, str, bytes]:
    """(extension, content type, bytes to store) or ValidationError with a readable message."""
    ext = _extension(name)
    if ext not in ALLOWED:
        raise ValidationError(
            _("Files of type .%(ext)s are not accepted. Allowed: %(allowed)s.")
            % {"ext": ext or "?", "allowed": ", ".join(sorted(ALLOWED))},
            code="extension",
        )
    if len(data) == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s.") % {"size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
            code="size",
        )
    if ext in TEXT_TYPES:
        return ext, ALLOWED[ext], _text_as_utf8(data, bom=(ext == "csv"))
    kind = filetype.guess(data)
    sniffed = kind.mime if kind else ""
    if sniffed not in SNIFFED_AS[ext]:
        raise ValidationError(
            _("The content of this file does not match its .%(ext)s extension.") % {"ext": ext}, code="content"
        )
    if ext in IMAGE_TYPES:
        data = _reencode_image(data, ext)
    elif ext in ("zip", *OOXML_PARTS):
        _check_zip(data, ext)
    return ext, ALLOWED[ext], data


def _check_zip(data: bytes, ext: str) -> None:
    """A zip (or Office file) must open as one; only its directory is read, nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        names = None
    if names is None or (ext in OOXML_PARTS and OOXML_PARTS[ext] not in names):
        raise ValidationError(
            _("The content of this file does not match its .%(ext)s extension.") % {"ext": ext}, code="content"
        )


def _text_as_utf8(data: bytes, *, bom: bool = False) -> bytes:
    """Text stored as UTF-8: UTF-8 as is, UTF-16 with a BOM and GB18030/GBK (Chinese Windows) converted.

    CSV files keep a UTF-8 BOM, which is how Excel recognises UTF-8 when it opens them.
    """
    encodings = ["utf-16"] if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("This text file is not readable text."), code="content")
    if "\x00" in text:
        raise ValidationError(_("This text file is not readable text."), code="content")
    return text.encode("utf-8-sig" if bom else "utf-8")


def _load_complete(image: Image.Image) -> None:
    """Decode all pixel data, refusing a truncated file even where another library (WeasyPrint sets
    ImageFile.LOAD_TRUNCATED_IMAGES at import) told Pillow to accept truncated images."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _reencode_image(data: bytes, ext: str) -> bytes:
    """Decode and re-encode: drops metadata (EXIF, GPS) and anything hidden after the image data.

    The EXIF orientation is applied first, so a phone photo stays the right way up without it.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise ValidationError(_("This image is too large."), code="size")
            _load_complete(opened)
            img = ImageOps.exif_transpose(opened)
            out = io.BytesIO()
            if ext in ("jpg", "jpeg"):
                img.convert("RGB").save(out, format="JPEG", quality=88)
            elif ext == "png":
                img.save(out, format="PNG", optimize=True)
            else:
                img.save(out, format="WEBP", quality=88)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError, SyntaxError):
        raise ValidationError(_("This image cannot be read."), code="content") from None


@transaction.atomic
def attachment_add(*, subject: models.Model, upload: Any, user: Any, description: str = "") -> Attachment:
    # the name as the user knows it, without any path, control characters or quotes
    name = safe_filename((getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1])[:200]
    data = upload.read(settings.ATTACHMENT_MAX_BYTES + 1)
    ext, mime, stored = validate_upload(name, data)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        object_id=subject.pk,
        original_name=name,
        content_type_sniffed=mime,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        description=description[:200],
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        uploaded_at=timezone.now(),
    )
    attachment.file.save(f"upload.{ext}", ContentFile(stored), save=False)
    attachment.save()
    record_event(subject, actor=user, verb="attachment_added", note=name)
    return attachment


def attachments_for(subject: models.Model):
    ct = ContentType.objects.get_for_model(subject, for_concrete_model=True)
    return Attachment.objects.filter(content_type=ct, object_id=subject.pk).select_related("uploaded_by")
