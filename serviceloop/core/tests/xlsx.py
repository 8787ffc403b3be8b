"""Helpers for Excel tests: build an upload from rows, read a downloaded workbook back."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(rows: list[list[Any]], title: str = "data") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(rows: list[list[Any]], name: str = "import.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows), content_type=XLSX)


def read_xlsx(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content))


def sheet_values(content: bytes, index: int = 0) -> list[list[Any]]:
    workbook = read_xlsx(content)
    return [list(row) for row in workbook.worksheets[index].iter_rows(values_only=True)]


def post_import(client, name: str, rows: list[list[Any]] | None = None, *, update: bool = False,
                lang: str = "en", upload: Any = None, follow: bool = False):
    data: dict[str, Any] = {"file": upload if upload is not None else xlsx_upload(rows or [])}
    if update:
        data["update"] = "on"
    return client.post(reverse(f"imports:{name}"), data, HTTP_ACCEPT_LANGUAGE=lang, follow=follow)


def error_rows(response) -> list[tuple[int, str, str]]:
    """(row, column, message) of every error the upload page reports."""
    result = response.context["result"]
    return [(e.row, e.column, e.message) for e in result.errors]
