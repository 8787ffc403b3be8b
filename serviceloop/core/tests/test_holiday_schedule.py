"""Loading the official holiday schedule of a year chinesecalendar does not cover: file, command, admin."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.calendar_cache import spec_for_calendar
from serviceloop.core.holiday_schedule import ScheduleError, parse_schedule, schedule_load
from serviceloop.core.models import CalendarDay
from serviceloop.core.workcalendar import CalendarSpec, statutory_years

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _year() -> int:
    return statutory_years()[1] + 1


def _saturday(year: int) -> date:
    return next(date(year, 2, d) for d in range(20, 27) if date(year, 2, d).weekday() == 5)


def _monday(year: int) -> date:
    return next(date(year, 3, d) for d in range(9, 16) if date(year, 3, d).weekday() == 0)


def _csv(year: int) -> bytes:
    return (
        "date,kind,name\n"
        f"{_saturday(year).isoformat()},workday,春节调休上班\n"
        f"{_monday(year).isoformat()},holiday,春节补休\n"
        f"{year}-01-01,holiday,元旦\n"
    ).encode()


def test_a_loaded_make_up_saturday_becomes_a_working_day():
    year = _year()
    saturday, monday = _saturday(year), _monday(year)
    assert not spec_for_calendar(None).is_working_day(saturday)  # the fallback: a weekend
    result = schedule_load(data=_csv(year), filename="schedule.csv")
    assert (result.created, result.updated, result.years) == (3, 0, [year])
    spec = spec_for_calendar(None)  # what the SLA clocks use: reloaded after the change
    assert spec.is_working_day(saturday)
    assert not spec.is_working_day(monday)
    assert CalendarDay.objects.get(date=saturday).note == "春节调休上班"


def test_loading_again_updates_and_replace_removes_days_not_listed():
    year = _year()
    schedule_load(data=_csv(year))
    CalendarDay.objects.create(date=date(year, 11, 20), is_working=False, note="厂庆")
    CalendarDay.objects.create(date=date(year + 1, 11, 20), is_working=False, note="next year: untouched")
    changed = f"date,kind,name\n{_saturday(year).isoformat()},holiday,改\n{year}-01-01,holiday,元旦\n".encode()
    result = schedule_load(data=changed, replace=True)
    assert (result.created, result.updated, result.unchanged, result.removed) == (0, 1, 1, 2)
    assert set(CalendarDay.objects.values_list("date", flat=True)) == {
        _saturday(year), date(year, 1, 1), date(year + 1, 11, 20)}


def test_json_and_chinese_headers_and_kinds_are_read():
    year = _year()
    payload = json.dumps({"year": year, "days": [
        {"date": _saturday(year).isoformat(), "kind": "班", "name": "调休"},
        {"date": f"{year}-10-04", "kind": "休"},
    ]}, ensure_ascii=False, indent=2).encode()
    days = parse_schedule(payload, "2027.json")
    assert [(d.date, d.is_working, d.name) for d in days] == [
        (_saturday(year), True, "调休"), (date(year, 10, 4), False, "")]
    gbk = f"日期,类型,名称\r\n{year}/2/5,休,春节\r\n".encode("gb18030")
    assert [(d.date, d.is_working, d.name) for d in parse_schedule(gbk, "a.csv")] == [
        (date(year, 2, 5), False, "春节")]
    bom = ("\ufeffdate,kind,name\n" f"{year}-02-05,holiday,x\n").encode()
    assert parse_schedule(bom)[0].date == date(year, 2, 5)


def test_a_bad_file_writes_nothing_and_says_which_lines():
    year = _year()
    bad = (
        "date,kind,name\n"
        f"{_saturday(year).isoformat()},workday,ok\n"
        f"{year}-02-30,holiday,no such day\n"
        "\n"
        f"{year}-03-01,vacation,unknown kind\n"
        f"{_saturday(year).isoformat()},holiday,twice\n"
        f",holiday,{'x' * 101}\n"
    ).encode()
    with pytest.raises(ScheduleError) as caught:
        schedule_load(data=bad, filename="bad.csv")
    assert caught.value.messages == [
        f"Line 3: “{year}-02-30” is not a date like 2027-02-20.",
        "Line 5: The kind must be holiday or workday, not “vacation”.",
        f"Line 6: {_saturday(year).isoformat()} is already given on line 2.",
        "Line 7: The date is missing.",
        "Line 7: The name is longer than 100 characters.",
    ]
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"date,kind,name\n", "The file lists no days."),
    (b"day,type\n2027-01-01,holiday\n", "Line 1: The first row must be the header date,kind,name."),
    (b"\xff\xfe\x00\xd8", "The file is neither UTF-8 nor GB18030 text."),
    (b'[{"date": "2027-01-01", "kind": "holiday"},\n  {"date": 5, "kind": "workday"}]',
     "Line 2: “5” is not a date like 2027-02-20."),
    (b'[{"date": "2027-01-01"', "Line 1: This is not valid JSON."),
    (b'{"days": 3}', 'Line 1: The JSON must be a list of days, or an object with the list in "days".'),
    (b"[" * 5000 + b"]" * 5000, None),
    (b'["2027-01-01"]', "Line 1: Each day must be an object with date, kind and name."),
    (b"date,kind\n1999-01-01,holiday\n", "Line 2: The year must be between 2000 and 2100."),
])
def test_file_level_errors(data, message):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(data)
    if message is not None:
        assert caught.value.messages == [message]


def test_the_command_loads_or_reports_by_line(tmp_path, capsys):
    year = _year()
    good = tmp_path / "schedule.csv"
    good.write_bytes(_csv(year))
    call_command("load_holiday_schedule", str(good))
    assert "Loaded 3 days" in capsys.readouterr().out
    assert CalendarSpec(overrides=dict(CalendarDay.objects.values_list("date", "is_working"))).is_working_day(
        _saturday(year))

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"date": f"{year}-12-01", "kind": "holiday"}, {"date": "x", "kind": "holiday"}]))
    with pytest.raises(CommandError, match="Nothing was loaded: 1 errors"):
        call_command("load_holiday_schedule", str(bad))
    assert "Line 1: “x” is not a date" in capsys.readouterr().err
    assert not CalendarDay.objects.filter(date=date(year, 12, 1)).exists()
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_holiday_schedule", str(tmp_path / "missing.csv"))


# ------------------------------------------------------------------ the admin upload

URL = reverse("admin:core_calendarday_load")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    client.cookies["django_language"] = "en"
    return client


def test_the_admin_list_links_the_upload(admin_client):
    text = admin_client.get(reverse("admin:core_calendarday_changelist")).content.decode()
    assert URL in text and 'data-testid="load-schedule"' in text
    assert admin_client.get(URL).status_code == 200


def test_the_admin_upload_loads_a_good_file(admin_client):
    year = _year()
    response = admin_client.post(URL, {"file": SimpleUploadedFile("schedule.csv", _csv(year))})
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_calendarday_changelist")
    assert CalendarDay.objects.get(date=_saturday(year)).is_working
    assert "Loaded 3 days" in admin_client.get(response["Location"]).content.decode()


def test_the_admin_upload_shows_errors_and_writes_nothing(admin_client):
    year = _year()
    bad = f"date,kind,name\n{year}-01-01,holiday,元旦\n{year}-13-01,holiday,bad\n".encode()
    response = admin_client.post(URL, {"file": SimpleUploadedFile("bad.csv", bad)})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'data-testid="schedule-errors"' in text and "Line 3:" in text and "Nothing was loaded." in text
    assert not CalendarDay.objects.exists()
    # no file at all: the form's own error, never a 500
    assert admin_client.post(URL, {}).status_code == 200


def test_the_admin_upload_needs_the_calendar_permissions(client):
    client.force_login(UserFactory(username="staff_only", is_staff=True))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": SimpleUploadedFile("s.csv", _csv(_year()))}).status_code == 403
    assert not CalendarDay.objects.exists()


def test_the_status_warning_goes_once_next_years_schedule_is_entered():
    from unittest import mock

    from serviceloop.core.views import status_warnings

    year = _year()
    with mock.patch("serviceloop.core.views.timezone.localdate", return_value=date(year - 1, 12, 1)):
        assert status_warnings()
        schedule_load(data=_csv(year))
        assert status_warnings() == []
