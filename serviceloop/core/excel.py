"""Excel: list exports with the current filters (through the access gate) and shared styles.

Imports (core/imports.py) follow one shape: download a template -> fill it -> upload -> a row-by-row
error report (row, column, message in the user's language); nothing is imported while any row has an
error.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from .listing import Column

EXPORT_ROW_LIMIT = 100_000
HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain_text(value: Any) -> str:
    """HTML a list page shows (a badge, a link) as the text a reader sees, for a spreadsheet cell."""
    text = html.unescape(strip_tags(str(value)))
    return re.sub(r"\s+", " ", text).strip()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "__html__"):  # marked-safe HTML of the page (format_html): never markup in a cell
        return plain_text(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (date, int, float)):
        return value
    return str(value)


def sheet_title(text: Any) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", str(text)).strip()
    return cleaned[:31] or "Sheet1"


def safe_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Cells for a write-only sheet: text that starts with '=' stays text and never becomes a formula."""
    out: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(value)
    return out


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    from .downloads import attachment_disposition

    response = HttpResponse(buffer.getvalue(), content_type=XLSX_MIME)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_rows(title: str, columns: list[Column], rows: Iterable[Any], filename: str) -> HttpResponse:
    """One sheet: a header row and one row per record, at most EXPORT_ROW_LIMIT rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=capfirst(str(column.label)))  # "Request number", not "request number"
        cell.font = HEADER_FONT
        header.append(cell)
    sheet.append(header)
    written = 0
    for row in rows:
        if written >= EXPORT_ROW_LIMIT:
            sheet.append([_("Export stopped at %(limit)s rows: narrow the filters.") % {"limit": EXPORT_ROW_LIMIT}])
            break
        sheet.append(safe_row(sheet, [_cell(c.export(row) if c.export is not None else c.value(row)) for c in columns]))
        written += 1
    return xlsx_response(workbook, filename)

