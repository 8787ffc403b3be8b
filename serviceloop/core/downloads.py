"""Safe file responses: always as attachment, nosniff, escaped file names (RFC 6266 / 5987)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, HttpResponse

MAX_NAME = 150


def safe_filename(filename: str) -> str:
    """The name without paths, control characters, quotes or leading dots; never empty."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.sub(r"[\x00-\x1f\x7f\"\\/:*?<>|;]+", "_", name)  # separators, controls, quotes, ';'
    name = re.sub(r"\.{2,}", ".", name)  # no ".." anywhere
    name = name.strip(" ._") or "download"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name


def _ascii_fallback(name: str) -> str:
    """For clients that ignore filename*: ASCII only; keeps the extension of an all-Chinese name."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"[^A-Za-z0-9._ -]", "", unicodedata.normalize("NFKD", stem)).strip(" ._") or "download"
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)
    return f"{stem}.{ext}" if ext else stem


def attachment_disposition(filename: str) -> str:
    cleaned = safe_filename(filename)
    return f"attachment; filename=\"{_ascii_fallback(cleaned)}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


def _with_charset(content_type: str) -> str:
    # stored text is UTF-8 (uploads are converted); say so rather than let the browser guess
    if content_type.startswith("text/") and "charset" not in content_type:
        return f"{content_type}; charset=utf-8"
    return content_type


def file_download(fileobj, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(fileobj, content_type=_with_charset(content_type))
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def bytes_download(content: bytes, filename: str, content_type: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=_with_charset(content_type))
    disposition = attachment_disposition(filename)
    response["Content-Disposition"] = disposition.replace("attachment", "inline", 1) if inline else disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response
