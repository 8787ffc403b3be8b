"""The State Council's yearly holiday schedule (放假安排) loaded from a file into the company calendar days.

For the years the ``chinesecalendar`` package does not cover yet, the working-day calendar knows only the
holidays the law fixes (``workcalendar.holidays_fixed_by_law``); the official schedule, published each
winter, adds the extra days off and the make-up working days (调休). An administrator loads it with
``manage.py load_holiday_schedule FILE`` or the admin's "Load official schedule" page.

The file, one day a row:

- CSV (UTF-8 with or without BOM, or GB18030 as a Chinese Excel saves it) with a header row
  ``date,kind,name`` (or 日期,类型,名称), e.g. ``2027-02-20,workday,春节调休上班``;
- or JSON: a list of objects ``{"date": "2027-02-20", "kind": "workday", "name": "春节调休上班"}``
  (or an object whose ``days`` holds that list).

``kind`` is ``holiday`` (also 休, 假, 放假) or ``workday`` (also 班, 上班, 补班); ``name`` is optional
(at most 100 characters). Every row is checked first and every error reported with its line; nothing is
written while any error remains. The whole file is written in one transaction, through the model, so every
process reloads its calendars (the cache stamp, ``core/stamps.py``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

MAX_BYTES = 256 * 1024
MAX_DAYS = 1000
FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_MAX = 100  # CalendarDay.note

HOLIDAY, WORKDAY = "holiday", "workday"
KINDS = {
    "holiday": HOLIDAY, "off": HOLIDAY, "休": HOLIDAY, "假": HOLIDAY, "休息": HOLIDAY, "放假": HOLIDAY,
    "workday": WORKDAY, "work": WORKDAY, "班": WORKDAY, "上班": WORKDAY, "补班": WORKDAY, "工作日": WORKDAY,
}
HEADERS = {"date": "date", "日期": "date", "kind": "kind", "类型": "kind", "name": "name", "名称": "name",
           "说明": "name"}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


@dataclass(frozen=True)
class ScheduleDay:
    line: int
    date: date
    is_working: bool
    name: str


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    years: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


class ScheduleError(Exception):
    """The file cannot be loaded: ``errors`` lists (line, message); line 0 is the file as a whole."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__("; ".join(m for _line, m in errors))
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [
            _("Line %(line)s: %(message)s") % {"line": line, "message": message} if line else message
            for line, message in self.errors
        ]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ScheduleError([(0, _("The file is neither UTF-8 nor GB18030 text."))])


def _json_entries(text: str) -> list[tuple[int, Any]]:
    """The entries of a JSON list (or of the ``days`` of an object), each with the line it starts on."""
    decoder = json.JSONDecoder()

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    try:
        whole = json.loads(text)
    except ValueError as exc:
        raise ScheduleError([(getattr(exc, "lineno", 0), _("This is not valid JSON."))]) from None
    except RecursionError:
        raise ScheduleError([(0, _("This is not valid JSON."))]) from None
    if isinstance(whole, dict):
        whole = whole.get("days")
    if not isinstance(whole, list):
        raise ScheduleError([(1, _('The JSON must be a list of days, or an object with the list in "days".'))])
    # find where each entry starts: walk the list's text with the decoder (the whole text is valid JSON)
    start = text.find("[", text.find('"days"') if text.lstrip().startswith("{") else 0)
    pos, entries = start + 1, []
    try:
        for value in whole:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            found, end = decoder.raw_decode(text, pos)
            if found != value:
                raise ValueError("lost track of the entries")
            entries.append((line_of(pos), value))
            pos = end
    except ValueError:  # an unusual layout: the entries without their lines
        return [(0, value) for value in whole]
    return entries


def _csv_entries(text: str) -> list[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text))
    columns: dict[str, int] | None = None
    entries: list[tuple[int, Any]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            found = {HEADERS.get(cell.strip().lower()): i for i, cell in enumerate(row)}
            found.pop(None, None)
            if "date" not in found or "kind" not in found:
                raise ScheduleError([(reader.line_num, _("The first row must be the header date,kind,name."))])
            columns = found  # type: ignore[assignment]
            continue
        entry = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        entries.append((reader.line_num, entry))
    return entries


def _day(line: int, entry: Any) -> ScheduleDay | list[str]:
    if not isinstance(entry, dict):
        return [_("Each day must be an object with date, kind and name.")]
    errors: list[str] = []
    raw_date = str(entry.get("date") or "").strip()
    match = _DATE.match(raw_date)
    day = None
    if not raw_date:
        errors.append(_("The date is missing."))
    elif match is None:
        errors.append(_("“%(value)s” is not a date like 2027-02-20.") % {"value": raw_date[:40]})
    else:
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            errors.append(_("“%(value)s” is not a date like 2027-02-20.") % {"value": raw_date[:40]})
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors.append(_("The year must be between %(first)s and %(last)s.") % {"first": FIRST_YEAR,
                                                                                   "last": LAST_YEAR})
    raw_kind = str(entry.get("kind") or "").strip()
    kind = KINDS.get(raw_kind.lower())
    if kind is None:
        errors.append(_("The kind must be holiday or workday, not “%(value)s”.") % {"value": raw_kind[:40]})
    name = entry.get("name")
    name = "" if name is None else str(name).strip()
    if len(name) > NAME_MAX:
        errors.append(_("The name is longer than %(max)s characters.") % {"max": NAME_MAX})
    if errors or day is None or kind is None:
        return errors
    return ScheduleDay(line=line, date=day, is_working=kind == WORKDAY, name=name)


def parse_schedule(data: bytes, filename: str = "") -> list[ScheduleDay]:
    """The days of a schedule file; raises ``ScheduleError`` with every error found, by line."""
    if len(data) > MAX_BYTES:
        raise ScheduleError([(0, _("The file is larger than %(kb)s KB.") % {"kb": MAX_BYTES // 1024})])
    text = _decode(data)
    if not text.strip():
        raise ScheduleError([(0, _("The file is empty."))])
    is_json = filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{")
    entries = _json_entries(text) if is_json else _csv_entries(text)
    if not entries:
        raise ScheduleError([(0, _("The file lists no days."))])
    if len(entries) > MAX_DAYS:
        raise ScheduleError([(0, _("The file lists more than %(max)s days.") % {"max": MAX_DAYS})])
    errors: list[tuple[int, str]] = []
    days: list[ScheduleDay] = []
    seen: dict[date, int] = {}
    for line, entry in entries:
        parsed = _day(line, entry)
        if isinstance(parsed, list):
            errors.extend((line, message) for message in parsed)
            continue
        if parsed.date in seen:
            errors.append((line, _("%(date)s is already given on line %(other)s.")
                           % {"date": parsed.date.isoformat(), "other": seen[parsed.date]}))
            continue
        seen[parsed.date] = line
        days.append(parsed)
    if errors:
        raise ScheduleError(errors)
    return days


@transaction.atomic
def schedule_load(*, data: bytes, filename: str = "", replace: bool = False) -> LoadResult:
    """Write the file's days into the company calendar days (a day already entered takes the file's kind
    and name). ``replace``: the days entered for the file's years that the file does not list are removed.
    Nothing is written when the file has any error (``ScheduleError``)."""
    from .models import CalendarDay

    days = parse_schedule(data, filename)
    result = LoadResult(years=sorted({d.date.year for d in days}))
    existing = {row.date: row for row in CalendarDay.objects.select_for_update().filter(
        date__in=[d.date for d in days])}
    for day in days:
        row = existing.get(day.date)
        if row is None:
            CalendarDay.objects.create(date=day.date, is_working=day.is_working, note=day.name)
            result.created += 1
        elif (row.is_working, row.note) != (day.is_working, day.name):
            row.is_working, row.note = day.is_working, day.name
            row.save(update_fields=["is_working", "note"])
            result.updated += 1
        else:
            result.unchanged += 1
    if replace:
        listed = {d.date for d in days}
        for row in CalendarDay.objects.filter(date__year__in=result.years).exclude(date__in=listed):
            row.delete()  # one by one: the model's signals keep every process's calendars right
            result.removed += 1
    return result
