"""Excel: list exports with the current filters, and the import framework.

Imports follow one shape: download a template -> fill it -> upload -> a row-by-row error report
(row, column, message in the user's language); nothing is imported while any row has an error.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from .listing import Column

EXPORT_ROW_LIMIT = 100_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (date, int, float)):
        return value
    return str(value)


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
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([str(c.label) for c in columns])
    written = 0
    for row in rows:
        if written >= EXPORT_ROW_LIMIT:
            sheet.append([_("Export stopped at %(limit)s rows: narrow the filters.") % {"limit": EXPORT_ROW_LIMIT}])
            break
        sheet.append([_cell(c.value(row)) for c in columns])
        written += 1
    return xlsx_response(workbook, filename)


HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
