"""Safe file responses: always as attachment, nosniff, escaped file names (RFC 6266 / 5987)."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import FileResponse, HttpResponse


def attachment_disposition(filename: str) -> str:
    cleaned = re.sub(r"[\r\n\"\\/]+", "_", filename).strip() or "download"
    ascii_name = cleaned.encode("ascii", "ignore").decode() or "download"
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned)}"


def file_download(fileobj, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(fileobj, content_type=content_type)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def bytes_download(content: bytes, filename: str, content_type: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = attachment_disposition(filename)
    response["Content-Disposition"] = disposition.replace("attachment", "inline", 1) if inline else disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response
