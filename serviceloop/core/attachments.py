"""Attachments: allow-listed extensions, content sniffing, size limit, images re-encoded."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

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
            _("The file is larger than %(mb)s MB.") % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
            code="size",
        )
    if ext in TEXT_TYPES:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                data = data.decode("gb18030").encode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError(_("This text file is not readable text."), code="content") from None
        if b"\x00" in data:
            raise ValidationError(_("This text file is not readable text."), code="content")
        return ext, ALLOWED[ext], data
    kind = filetype.guess(data)
    sniffed = kind.mime if kind else ""
    if sniffed not in SNIFFED_AS[ext]:
        raise ValidationError(
            _("The content of this file does not match its .%(ext)s extension.") % {"ext": ext}, code="content"
        )
    if ext in IMAGE_TYPES:
        data = _reencode_image(data, ext)
    return ext, ALLOWED[ext], data


def _reencode_image(data: bytes, ext: str) -> bytes:
    """Decode and re-encode: drops metadata and anything hidden after the image data."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            out = io.BytesIO()
            if ext in ("jpg", "jpeg"):
                img.convert("RGB").save(out, format="JPEG", quality=88)
            elif ext == "png":
                img.save(out, format="PNG", optimize=True)
            else:
                img.save(out, format="WEBP", quality=88)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(_("This image cannot be read."), code="content") from None


@transaction.atomic
def attachment_add(*, subject: models.Model, upload: Any, user: Any, description: str = "") -> Attachment:
    name = (getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1][:200]
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
