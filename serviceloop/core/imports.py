"""Excel imports: template -> upload -> row-by-row error report -> nothing written while any row fails.

An app declares one ``ImportSpec`` per kind of record (see customers/imports.py, assets/imports.py):
its columns (header label, required, a cell parser), a row check and a writer that calls the app's
services. ``run_import`` does the rest, in this order:

1. the file: an .xlsx of at most 5 MB, at most 20,000 data rows, the required headers present
   (headers match the English or the Chinese label, trimmed, case-insensitive);
2. every cell is parsed and every row checked; every error is collected as
   (row number as Excel shows it, column header, message in the active language);
3. inside ONE transaction the rows that passed are written through the services (each record in a
   savepoint, so a refusal by a service becomes one more row error); if any row has an error the
   whole transaction is rolled back and nothing is imported;
4. on errors, a copy of the uploaded sheet with the failing cells highlighted and an error column is
   stored for the uploading user only (signed token, expires after a day).
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from .excel import HEADER_FONT, REQUIRED_FILL, sheet_title
from .scoping import scope_of
from .serials import parse_serials

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 100
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a zip bomb stops here, before openpyxl reads anything
EMPTY_ROWS_END = 1000  # this many empty rows in a row end the data
REPORT_DIR = "import-reports"
REPORT_MAX_AGE = 24 * 3600
REPORT_SALT = "serviceloop.imports.report"

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(bold=True, color="9C0006")

# the header of the error column the report adds; ignored when the report is uploaded again
ERRORS_HEADER = gettext_lazy("Import errors")


class CellError(Exception):
    """A cell value that cannot be used; the message is shown next to the row and column."""

    def __init__(self, message: Any):
        super().__init__(str(message))
        self.message = str(message)


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not a workbook, too large, headers missing...)."""

    def __init__(self, message: Any):
        super().__init__(str(message))
        self.message = str(message)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def in_languages(text: Any) -> list[str]:
    """A lazy label in each UI language."""
    out = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.append(str(text))
    return out


def normalize_header(value: Any) -> str:
    text = re.sub(r"\s+", " ", str(value or "")).strip().rstrip("*").strip()
    return text.casefold()


def _scalar_text(value: Any) -> str:
    """The text of a cell: whole numbers without '.0', dates as YYYY-MM-DD."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# --- cell parsers --------------------------------------------------------------------------------


class Parser:
    """Turns one non-empty cell value into a Python value, or raises CellError."""

    def parse(self, value: Any, ctx: ImportContext) -> Any:
        return value

    def describe(self) -> str:
        return ""

    def allowed(self, ctx: ImportContext | None) -> list[str]:
        return []

    def prepare(self, raw_values: set[str], ctx: ImportContext, column: ImportColumn) -> None:
        """Load what parsing needs in one query (references), before any cell is parsed."""


class Text(Parser):
    def __init__(self, max_length: int | None = None, *, upper: bool = False,
                 validators: Iterable[Callable[[str], None]] = ()):
        self.max_length = max_length
        self.upper = upper
        self.validators = list(validators)

    def parse(self, value: Any, ctx: ImportContext) -> str:
        text = _scalar_text(value)
        if self.upper:
            text = text.upper()
        if self.max_length and len(text) > self.max_length:
            raise CellError(
                _("At most %(max)s characters (this one has %(n)s).") % {"max": self.max_length, "n": len(text)}
            )
        for validator in self.validators:
            try:
                validator(text)
            except ValidationError as exc:
                raise CellError(" ".join(str(m) for m in exc.messages)) from None
        return text

    def describe(self) -> str:
        if self.max_length:
            return _("text, at most %(max)s characters") % {"max": self.max_length}
        return _("text")


class Integer(Parser):
    def __init__(self, min_value: int | None = None, max_value: int | None = None):
        self.min_value = min_value
        self.max_value = max_value

    def parse(self, value: Any, ctx: ImportContext) -> int:
        if isinstance(value, bool):
            raise CellError(_("Enter a whole number."))
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value):
            number = int(value)
        else:
            raise CellError(_("Enter a whole number."))
        if self.min_value is not None and number < self.min_value:
            raise CellError(_("Enter a number of at least %(min)s.") % {"min": self.min_value})
        if self.max_value is not None and number > self.max_value:
            raise CellError(_("Enter a number of at most %(max)s.") % {"max": self.max_value})
        return number

    def describe(self) -> str:
        if self.min_value is not None and self.max_value is not None:
            return _("whole number from %(min)s to %(max)s") % {"min": self.min_value, "max": self.max_value}
        return _("whole number")


_DATE_TEXT = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]0{1,2}:0{2}(?::0{2})?)?")


class Date(Parser):
    """A real Excel date, or text 2025-03-01 / 2025/03/01."""

    def parse(self, value: Any, ctx: ImportContext) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
            # a date cell that lost its date format: Excel's day number
            converted = from_excel(value)
            return converted.date() if isinstance(converted, datetime) else converted
        if isinstance(value, str):
            match = _DATE_TEXT.fullmatch(value.strip())
            if match:
                try:
                    return date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    pass
        raise CellError(_("Enter a date such as 2025-03-01 or 2025/03/01."))

    def describe(self) -> str:
        return _("date: an Excel date, or text such as 2025-03-01 or 2025/03/01")


class Choice(Parser):
    """One of a model's choices, by code or by label in either language (case-insensitive)."""

    def __init__(self, choices: Any):
        self.choices = [(str(code), label) for code, label in getattr(choices, "choices", choices) if code != ""]

    def _lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for code, label in self.choices:
            table[code.casefold()] = code
            for text in in_languages(label):
                table.setdefault(normalize_header(text), code)
        return table

    def parse(self, value: Any, ctx: ImportContext) -> str:
        key = normalize_header(_scalar_text(value))
        table = ctx.cache.get(("choice", id(self)))
        if table is None:
            table = ctx.cache[("choice", id(self))] = self._lookup()
        code = table.get(key)
        if code is None:
            raise CellError(_("Not one of the allowed values: %(values)s.") % {"values": "; ".join(self.allowed(ctx))})
        return code

    def describe(self) -> str:
        return _("one of the allowed values (code or name)")

    def allowed(self, ctx: ImportContext | None) -> list[str]:
        return [f"{code} = {label}" if normalize_header(label) != code.casefold() else code
                for code, label in self.choices]

    def labels(self) -> list[str]:
        return [str(label) for _code, label in self.choices]


class Reference(Parser):
    """A record named by its natural key (a code or number), among the records the user may see.

    ``load(ctx, keys)`` returns {normalized key: record} for the keys found; anything else is an
    error with ``unknown`` as the message, whether the record does not exist or is invisible.
    """

    def __init__(self, load: Callable[[ImportContext, set[str]], dict[str, Any]], *, unknown: Any,
                 description: Any, allowed: Callable[[ImportContext], list[str]] | None = None,
                 normalize: Callable[[str], str] = lambda s: s.strip().upper()):
        self.load = load
        self.unknown = unknown
        self.description = description
        self.allowed_values = allowed
        self.normalize = normalize

    def prepare(self, raw_values: set[str], ctx: ImportContext, column: ImportColumn) -> None:
        keys = {self.normalize(v) for v in raw_values}
        found: dict[str, Any] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            found.update(self.load(ctx, set(ordered[start : start + 500])))
        ctx.cache[("ref", column.key)] = found

    def parse(self, value: Any, ctx: ImportContext) -> Any:
        key = self.normalize(_scalar_text(value))
        column_key = ctx.current_column
        found = ctx.cache.get(("ref", column_key), {})
        if key not in found:
            raise CellError(self.unknown)
        return found[key]

    def describe(self) -> str:
        return str(self.description)

    def allowed(self, ctx: ImportContext | None) -> list[str]:
        if ctx is None or self.allowed_values is None:
            return []
        return self.allowed_values(ctx)


class SerialList(Parser):
    """Serial numbers separated by commas, semicolons or line breaks."""

    def __init__(self, max_length: int = 50):
        self.max_length = max_length

    def parse(self, value: Any, ctx: ImportContext) -> list[str]:
        serials = parse_serials(_scalar_text(value))
        too_long = [s for s in serials if len(s) > self.max_length]
        if too_long:
            raise CellError(
                _("Serial number %(serial)s is longer than %(max)s characters.")
                % {"serial": too_long[0][:60], "max": self.max_length}
            )
        seen: set[str] = set()
        for serial in serials:
            if serial in seen:
                raise CellError(_("Serial number %(serial)s appears twice.") % {"serial": serial})
            seen.add(serial)
        return serials

    def describe(self) -> str:
        return _("serial numbers separated by commas or line breaks")


# --- declarations --------------------------------------------------------------------------------


@dataclass
class ImportColumn:
    key: str
    label: Any
    parser: Parser = field(default_factory=Text)
    required: bool = False
    help: Any = ""
    example: Any = ""

    def headers(self) -> list[str]:
        return in_languages(self.label)

    def describe(self) -> str:
        parts = [self.parser.describe(), str(self.help) if self.help else ""]
        return " ".join(p for p in parts if p)


@dataclass
class ImportContext:
    user: Any
    update: bool = False
    cache: dict[Any, Any] = field(default_factory=dict)
    current_column: str = ""
    created: int = 0
    updated: int = 0
    details: dict[str, int] = field(default_factory=dict)

    @property
    def scope(self):
        return scope_of(self.user)

    def count(self, name: str, n: int = 1) -> None:
        self.details[name] = self.details.get(name, 0) + n


@dataclass
class ImportRow:
    number: int  # as Excel shows it
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def error(self, key: str | None, message: Any) -> None:
        self.errors.append((key, str(message)))

    def failed(self, key: str) -> bool:
        return any(k == key for k, _m in self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class RowError:
    row: int
    column: str
    letter: str
    message: str


class ImportSpec:
    """What one kind of import reads and how it writes. Subclass per kind."""

    name: str = ""
    model: type[models.Model]
    title: Any = ""
    sheet_title: Any = ""
    list_url_name: str | None = None  # the list page the import page links back to
    columns: list[ImportColumn] = []
    key_column: str | None = None  # unique natural key: duplicates inside the file are errors
    can_update: bool = False
    notes: list[Any] = []  # extra rules shown on the page and in the instructions sheet
    update_note: Any = ""

    def column(self, key: str) -> ImportColumn:
        return next(c for c in self.columns if c.key == key)

    def prepare(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        """Preload what the checks need (existing records by key), in few queries."""

    def clean_row(self, row: ImportRow, ctx: ImportContext) -> None:
        """Checks of one row after its cells were parsed; add errors with ``row.error``."""

    def clean_rows(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        """Checks across rows. By default: the key column must not repeat inside the file."""
        if not self.key_column:
            return
        first_row: dict[Any, int] = {}
        for row in rows:
            key = row.get(self.key_column)
            if key is None:
                continue
            if key in first_row:
                row.error(self.key_column, _("This value is already in row %(row)s of the file.") % {"row": first_row[key]})
            else:
                first_row[key] = row.number

    def groups(self, rows: list[ImportRow]) -> list[list[ImportRow]]:
        """The units of writing: one row each by default (a sales order groups its lines)."""
        return [[row] for row in rows]

    def write(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        """Write one group through the app's services; count with ctx.created / ctx.updated."""
        raise NotImplementedError

    def error_column(self, field_name: str) -> str | None:
        """The column a service's ValidationError on ``field_name`` belongs to."""
        keys = {c.key for c in self.columns}
        return field_name if field_name in keys else None

    def result_details(self, ctx: ImportContext) -> list[str]:
        return []


# --- reading the file ----------------------------------------------------------------------------


@dataclass
class Sheet:
    title: str
    header: list[Any]
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values), empty rows included


def _not_a_workbook() -> ImportFileError:
    return ImportFileError(
        _("This file is not a readable Excel workbook (.xlsx). Save it in Excel as an .xlsx workbook "
          "without a password and upload it again.")
    )


def read_upload(upload: Any, instructions_titles: Iterable[str] = ()) -> Sheet:
    """The data sheet of an uploaded .xlsx, or ImportFileError with a message for the user."""
    name = str(getattr(upload, "name", "") or "")
    if not name.lower().endswith(".xlsx"):
        raise ImportFileError(_("Upload an Excel workbook (.xlsx). Other file types are not accepted."))
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)s MB. Split it into several files.")
                              % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)s MB. Split it into several files.")
                              % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    if not data:
        raise ImportFileError(_("The file is empty."))
    buffer = io.BytesIO(data)
    try:
        with zipfile.ZipFile(buffer) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
                raise _not_a_workbook()
            if any(info.flag_bits & 0x1 for info in infos):
                raise _not_a_workbook()
            if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
                raise ImportFileError(_("The workbook is too large when unpacked. Split it into several files."))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _not_a_workbook() from None
    buffer.seek(0)
    skip = {t.casefold() for t in instructions_titles}
    try:
        workbook = load_workbook(buffer, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on malformed files: all mean "not readable"
        raise _not_a_workbook() from None
    try:
        sheets = [ws for ws in workbook.worksheets if getattr(ws, "iter_rows", None)]
        data_sheets = [ws for ws in sheets if ws.title.casefold() not in skip] or sheets
        if not data_sheets:
            raise ImportFileError(_("The workbook has no sheet."))
        ws = data_sheets[0]
        return _read_sheet(ws)
    except ImportFileError:
        raise
    except Exception:
        raise _not_a_workbook() from None
    finally:
        workbook.close()


def _read_sheet(ws: Any) -> Sheet:
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # the stored size is often wrong in files written by other programs
    header: list[Any] = []
    for values in ws.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True):
        header = list(values)
    while header and is_empty(header[-1]):
        header.pop()
    if not header:
        raise ImportFileError(_("The first sheet is empty: the first row must hold the column headers."))
    width = len(header)
    rows: list[tuple[int, tuple[Any, ...]]] = []
    filled = 0
    empty_run = 0
    for number, values in enumerate(ws.iter_rows(min_row=2, max_col=width, values_only=True), start=2):
        values = tuple(values)[:width]
        if all(is_empty(v) for v in values):
            empty_run += 1
            if empty_run >= EMPTY_ROWS_END:
                break
            rows.append((number, values))
            continue
        empty_run = 0
        filled += 1
        if filled > MAX_ROWS:
            raise ImportFileError(
                _("The sheet has more than %(max)s rows. Split it into several files.") % {"max": f"{MAX_ROWS:,}"}
            )
        rows.append((number, values))
    while rows and all(is_empty(v) for v in rows[-1][1]):
        rows.pop()
    return Sheet(title=str(ws.title), header=header, rows=rows)


# --- running an import ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    file_errors: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    details: list[str] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    report_token: str | None = None

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})


class _Rollback(Exception):
    pass


def map_headers(spec: ImportSpec, header: list[Any]) -> tuple[dict[int, str], list[str]]:
    """{sheet column index: column key} and the headers that match no column."""
    aliases: dict[str, str] = {}
    for column in spec.columns:
        for text in [*column.headers(), column.key]:
            aliases.setdefault(normalize_header(text), column.key)
    ignore = {normalize_header(t) for t in in_languages(ERRORS_HEADER)}
    mapping: dict[int, str] = {}
    seen: dict[str, Any] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for index, value in enumerate(header):
        if is_empty(value):
            continue
        norm = normalize_header(value)
        key = aliases.get(norm)
        if key is None:
            if norm not in ignore:
                unknown.append(_scalar_text(value))
            continue
        if key in seen:
            duplicates.append(_scalar_text(value))
            continue
        seen[key] = value
        mapping[index] = key
    if duplicates:
        raise ImportFileError(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(duplicates)})
    missing = [str(c.label) for c in spec.columns if c.required and c.key not in seen]
    if missing:
        raise ImportFileError(
            _("Required columns are missing: %(columns)s. Download the template and keep its header row.")
            % {"columns": ", ".join(missing)}
        )
    return mapping, unknown


def parse_rows(spec: ImportSpec, sheet: Sheet, mapping: dict[int, str], ctx: ImportContext) -> list[ImportRow]:
    rows: list[ImportRow] = []
    for number, values in sheet.rows:
        if all(is_empty(v) for v in values):
            continue
        raw = {key: (values[index] if index < len(values) else None) for index, key in mapping.items()}
        rows.append(ImportRow(number=number, raw=raw))
    columns = [c for c in spec.columns if c.key in mapping.values()]
    for column in columns:
        present = {_scalar_text(r.raw[column.key]) for r in rows if not is_empty(r.raw.get(column.key))}
        column.parser.prepare(present, ctx, column)
    for row in rows:
        for column in spec.columns:
            value = row.raw.get(column.key)
            if is_empty(value):
                row.values[column.key] = None
                if column.required:
                    row.error(column.key, _("This value is required."))
                continue
            ctx.current_column = column.key
            try:
                row.values[column.key] = column.parser.parse(value, ctx)
            except CellError as exc:
                row.values[column.key] = None
                row.error(column.key, exc.message)
    return rows


def _service_errors(spec: ImportSpec, exc: ValidationError) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    if hasattr(exc, "error_dict"):
        for field_name, messages in exc.message_dict.items():
            column = spec.error_column(field_name)
            for message in messages:
                out.append((column, str(message)))
    else:
        out.extend((None, str(m)) for m in exc.messages)
    return out


def run_import(spec: ImportSpec, *, user: Any, upload: Any, update: bool = False) -> ImportResult:
    """Read, check and (only if every row is fine) write an uploaded workbook. Never raises on bad files."""
    result = ImportResult()
    ctx = ImportContext(user=user, update=bool(update and spec.can_update))
    try:
        sheet = read_upload(upload, instructions_titles=in_languages(INSTRUCTIONS_TITLE))
        mapping, result.ignored_headers = map_headers(spec, sheet.header)
    except ImportFileError as exc:
        result.file_errors.append(exc.message)
        return result
    rows = parse_rows(spec, sheet, mapping, ctx)
    result.rows = len(rows)
    if not rows:
        result.file_errors.append(_("The sheet has no data rows below the header row."))
        return result
    spec.prepare(rows, ctx)
    for row in rows:
        spec.clean_row(row, ctx)
    spec.clean_rows(rows, ctx)
    try:
        with transaction.atomic():
            for group in spec.groups(rows):
                if any(not r.ok for r in group):
                    continue  # rows that failed their checks are not written; the rest are tried
                try:
                    with transaction.atomic():
                        spec.write(group, ctx)
                except ValidationError as exc:
                    for key, message in _service_errors(spec, exc):
                        group[0].error(key, message)
                except IntegrityError:
                    group[0].error(None, _("This record conflicts with one saved at the same moment. "
                                           "Upload the file again."))
                except DatabaseError:
                    logger.exception("import %s: row %s could not be saved", spec.name, group[0].number)
                    group[0].error(None, _("This row could not be saved. Check its values."))
            if any(not r.ok for r in rows):
                raise _Rollback
    except _Rollback:
        pass
    result.errors = _collect_errors(spec, sheet, mapping, rows)
    if result.errors:
        result.report_token = store_report(user, build_report(spec, sheet, mapping, rows), spec.name)
        return result
    result.created, result.updated = ctx.created, ctx.updated
    result.details = spec.result_details(ctx)
    return result


def _collect_errors(spec: ImportSpec, sheet: Sheet, mapping: dict[int, str], rows: list[ImportRow]) -> list[RowError]:
    where = {key: index for index, key in mapping.items()}
    order = {c.key: i for i, c in enumerate(spec.columns)}
    out: list[RowError] = []
    for row in rows:
        for key, message in sorted(row.errors, key=lambda e: order.get(e[0], -1) if e[0] else -1):
            if key is not None and key in where:
                index = where[key]
                out.append(RowError(row.number, _scalar_text(sheet.header[index]), get_column_letter(index + 1), message))
            elif key is not None:
                out.append(RowError(row.number, str(spec.column(key).label), "", message))
            else:
                out.append(RowError(row.number, "", "", message))
    return out


# --- the error report: the uploaded sheet with the errors marked ----------------------------------


def _text_cell(ws: Any, value: Any) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text stays text, never a formula
    return cell


def build_report(spec: ImportSpec, sheet: Sheet, mapping: dict[int, str], rows: list[ImportRow]) -> bytes:
    where = {key: index for index, key in mapping.items()}
    by_number = {row.number: row for row in rows}
    width = len(sheet.header)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=sheet_title(sheet.title))
    ws.column_dimensions[get_column_letter(width + 1)].width = 60
    header_cells = []
    for value in sheet.header:
        cell = _text_cell(ws, value)
        cell.font = HEADER_FONT
        header_cells.append(cell)
    error_header = WriteOnlyCell(ws, value=str(ERRORS_HEADER))
    error_header.font = ERROR_FONT
    error_header.fill = ERROR_FILL
    ws.append([*header_cells, error_header])
    for number, values in sheet.rows:
        padded = list(values) + [None] * (width - len(values))
        row = by_number.get(number)
        cells = [_text_cell(ws, v) for v in padded]
        summary = []
        if row is not None and row.errors:
            per_cell: dict[int, list[str]] = {}
            for key, message in row.errors:
                index = where.get(key) if key else None
                if index is not None:
                    per_cell.setdefault(index, []).append(message)
                    summary.append(f"{_scalar_text(sheet.header[index])}: {message}")
                elif key:
                    summary.append(f"{spec.column(key).label}: {message}")
                else:
                    summary.append(message)
            for index, messages in per_cell.items():
                cells[index].fill = ERROR_FILL
                cells[index].comment = Comment("\n".join(messages), "ServiceLoop", width=300, height=120)
        error_cell = _text_cell(ws, "\n".join(summary) if summary else None)
        if summary:
            error_cell.font = ERROR_FONT
            error_cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([*cells, error_cell])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _remove_old_reports() -> None:
    try:
        _dirs, files = default_storage.listdir(REPORT_DIR)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    limit = timezone.now() - timedelta(seconds=REPORT_MAX_AGE)
    for name in files:
        path = f"{REPORT_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError, OSError):
            continue


def store_report(user: Any, content: bytes, kind: str) -> str:
    """Keep the report for a day; the token names it and only this user can redeem it."""
    _remove_old_reports()
    name = f"{secrets.token_hex(16)}.xlsx"
    saved = default_storage.save(f"{REPORT_DIR}/{name}", ContentFile(content))
    return signing.dumps({"f": saved.rsplit("/", 1)[-1], "u": user.pk, "k": kind}, salt=REPORT_SALT)


_REPORT_NAME = re.compile(r"^[0-9a-f]{32}(_[A-Za-z0-9]+)?\.xlsx$")


def open_report(token: str, user: Any) -> tuple[Any, str] | None:
    """(open file, kind of import) for this user and token, or None (expired, forged, another user's)."""
    try:
        payload = signing.loads(token, salt=REPORT_SALT, max_age=REPORT_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        return None
    name = str(payload.get("f", ""))
    if not _REPORT_NAME.match(name):
        return None
    path = f"{REPORT_DIR}/{name}"
    if not default_storage.exists(path):
        return None
    kind = re.sub(r"[^a-z_]", "", str(payload.get("k", "")))[:30] or "import"
    return default_storage.open(path, "rb"), kind


# --- the template --------------------------------------------------------------------------------

INSTRUCTIONS_TITLE = gettext_lazy("Instructions")


def yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


def build_template(spec: ImportSpec, ctx: ImportContext) -> Workbook:
    """A data sheet with the header row (labels in the active language) and an instructions sheet."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet_title(spec.sheet_title)
    for index, column in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=index, value=str(column.label))
        cell.font = HEADER_FONT
        if column.required:
            cell.fill = REQUIRED_FILL
        note = column.describe()
        if column.required:
            note = f"{_('Required.')} {note}"
        cell.comment = Comment(note, "ServiceLoop", width=300, height=100)
        ws.column_dimensions[get_column_letter(index)].width = max(14, min(40, len(str(column.label)) * 2 + 4))
        if isinstance(column.parser, Choice):
            labels = column.parser.labels()
            formula = ",".join(labels)
            if len(formula) <= 250 and not any('"' in label or "," in label for label in labels):
                validation = DataValidation(type="list", formula1=f'"{formula}"', allow_blank=True,
                                            showErrorMessage=False)
                validation.add(f"{get_column_letter(index)}2:{get_column_letter(index)}{MAX_ROWS + 1}")
                ws.add_data_validation(validation)
    ws.freeze_panes = "A2"

    info = workbook.create_sheet(sheet_title(INSTRUCTIONS_TITLE))
    info.append([str(spec.title)])
    info["A1"].font = Font(bold=True, size=14)
    for line in instruction_lines(spec):
        info.append([line])
    info.append([])
    head = [_("Column"), _("Required"), _("Format"), _("Allowed values"), _("Example")]
    info.append(head)
    for cell in info[info.max_row]:
        cell.font = HEADER_FONT
    for column in spec.columns:
        allowed = column.parser.allowed(ctx)
        info.append([str(column.label), yes_no(column.required), column.describe(), "\n".join(allowed[:60]),
                     str(column.example)])
        if column.required:
            info.cell(row=info.max_row, column=1).fill = REQUIRED_FILL
        for cell in info[info.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (22, 10, 50, 40, 24), strict=True):
        info.column_dimensions[letter].width = width
    return workbook


def instruction_lines(spec: ImportSpec) -> list[str]:
    return [
        _("1. Fill the first sheet: one row per record below the header row. Keep the header row; "
          "columns with a yellow header are required."),
        _("2. Upload the file. Every row is checked first: if any row has an error, nothing is imported "
          "and you get the list of errors (row, column, message) and a copy of your file with the errors marked."),
        _("3. Correct the rows and upload the whole file again."),
        *rule_lines(spec),
    ]


def rule_lines(spec: ImportSpec) -> list[str]:
    lines = [
        _("At most %(rows)s rows and %(mb)s MB per file.") % {"rows": f"{MAX_ROWS:,}", "mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
    ]
    if spec.can_update and spec.update_note:
        lines.append(str(spec.update_note))
    lines.extend(str(note) for note in spec.notes)
    return lines
