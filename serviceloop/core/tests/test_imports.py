"""The Excel import framework: template, file checks (never a 500), the error report, permissions."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core import imports
from serviceloop.core.imports import CellError, Choice, Date, ImportContext, Integer, SerialList, Text
from serviceloop.core.models import AuthorizationFailure
from serviceloop.core.tests.xlsx import XLSX, error_rows, post_import, read_xlsx, sheet_values, xlsx_bytes
from serviceloop.customers.choices import CustomerLevel
from serviceloop.customers.imports import CustomerImport
from serviceloop.customers.models import Customer

HEADER = ["customer code", "customer name", "customer level", "branch", "address", "phone", "note"]


def _labels(lang: str) -> list[str]:
    with translation.override(lang):
        return [str(c.label) for c in CustomerImport.columns]


# --- template ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_template_has_headers_in_the_users_language_and_an_instructions_sheet(client, cast, lang):
    client.force_login(cast.desk)
    response = client.get(reverse("imports:customers_template"), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    workbook = read_xlsx(response.content)
    data, info = workbook.worksheets
    header = [c.value for c in data[1]]
    assert header == _labels(lang)
    assert data.max_row == 1  # no example in the data sheet
    assert all(c.font.bold for c in data[1])
    required = {c.value for c in data[1] if c.fill.fgColor.rgb.endswith("FFF2CC")}
    with translation.override(lang):
        assert required == {str(c.label) for c in CustomerImport.columns if c.required}
        assert info.title == gettext("Instructions")
        text = [row for row in info.iter_rows(values_only=True)]
        flat = " ".join(str(v) for row in text for v in row if v)
        assert gettext("Column") in flat and gettext("Allowed values") in flat
    by_label = {row[0]: row for row in text if row and row[0]}
    code_row = by_label[_labels(lang)[0]]
    assert code_row[4] == "C10001"  # the example is in the instructions sheet
    assert "EAST" in by_label[_labels(lang)[3]][3]  # allowed branches are listed


@pytest.mark.django_db
def test_branch_staff_template_lists_their_branch_only(client, cast):
    client.force_login(cast.east_staff)
    response = client.get(reverse("imports:customers_template"), HTTP_ACCEPT_LANGUAGE="en")
    rows = sheet_values(response.content, 1)
    branch_row = next(r for r in rows if r[0] == "branch")
    assert "EAST" in branch_row[3] and "SOUTH" not in branch_row[3]


@pytest.mark.django_db
def test_the_template_uploads_back_with_either_languages_headers(client, cast):
    client.force_login(cast.desk)
    template = client.get(reverse("imports:customers_template"), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    workbook = read_xlsx(template)
    data = workbook.worksheets[0]
    assert data.cell(row=1, column=1).value == _t_zh("customer code")
    data.append(["C699", "中文表头", "", "EAST"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # the Chinese template, uploaded by a user who now speaks English
    response = post_import(client, "customers", upload=SimpleUploadedFile("zh.xlsx", buffer.getvalue()), lang="en",
                           follow=True)
    assert response.status_code == 200
    assert Customer.objects.filter(code="C699").exists()
    # English headers in odd case and spacing, uploaded by a Chinese-speaking user
    rows = [["  Customer CODE ", "customer name*", "BRANCH"], ["C700", "混合表头", "EAST"]]
    response = post_import(client, "customers", rows, lang="zh-hans", follow=True)
    assert response.status_code == 200
    assert Customer.objects.filter(code="C700").exists()


def _t_zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


# --- file checks: clear messages, never a 500 -----------------------------------------------------


def _file_errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].errors.get("file", [])]


@pytest.mark.django_db
def test_random_bytes_are_not_a_workbook(client, cast):
    client.force_login(cast.desk)
    upload = SimpleUploadedFile("customers.xlsx", os.urandom(4096), content_type=XLSX)
    response = post_import(client, "customers", upload=upload)
    assert response.status_code == 400
    assert "not a readable Excel workbook" in _file_errors(response)[0]
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_a_zip_of_other_things_is_not_a_workbook(client, cast):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("data/values.csv", "a,b\n1,2\n")
    client.force_login(cast.desk)
    response = post_import(client, "customers", upload=SimpleUploadedFile("x.xlsx", buffer.getvalue()))
    assert response.status_code == 400
    assert "not a readable Excel workbook" in _file_errors(response)[0]


@pytest.mark.django_db
def test_a_broken_workbook_is_not_readable(client, cast):
    # the right file names, garbage inside
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not xml")
        archive.writestr("xl/workbook.xml", "<<<")
    client.force_login(cast.desk)
    response = post_import(client, "customers", upload=SimpleUploadedFile("x.xlsx", buffer.getvalue()))
    assert response.status_code == 400
    assert "not a readable Excel workbook" in _file_errors(response)[0]


@pytest.mark.django_db
def test_an_empty_workbook_and_a_header_only_sheet(client, cast):
    client.force_login(cast.desk)
    buffer = io.BytesIO()
    Workbook().save(buffer)
    response = post_import(client, "customers", upload=SimpleUploadedFile("e.xlsx", buffer.getvalue()))
    assert response.status_code == 400
    assert gettext("The first sheet is empty: the first row must hold the column headers.") in _file_errors(response)
    response = post_import(client, "customers", [HEADER])
    assert response.status_code == 400
    assert gettext("The sheet has no data rows below the header row.") in _file_errors(response)


@pytest.mark.django_db
def test_other_file_types_and_large_files_are_refused(client, cast):
    client.force_login(cast.desk)
    response = post_import(client, "customers", upload=SimpleUploadedFile("c.csv", b"code,name\nC1,x\n"))
    assert response.status_code == 400
    assert gettext("Upload an Excel workbook (.xlsx). Other file types are not accepted.") in _file_errors(response)
    big = SimpleUploadedFile("big.xlsx", b"PK" + b"\0" * (5 * 1024 * 1024), content_type=XLSX)
    response = post_import(client, "customers", upload=big)
    assert response.status_code == 400
    assert "5 MB" in _file_errors(response)[0]


@pytest.mark.django_db
def test_missing_required_headers_are_listed(client, cast):
    client.force_login(cast.desk)
    response = post_import(client, "customers", [["customer code", "address"], ["C1", "x"]])
    assert response.status_code == 400
    message = _file_errors(response)[0]
    assert "customer name" in message and "branch" in message and "customer code" not in message


@pytest.mark.django_db
def test_too_many_rows_are_refused(client, cast, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    client.force_login(cast.desk)
    rows = [HEADER] + [[f"C9{i}", "x", "", "EAST"] for i in range(4)]
    response = post_import(client, "customers", rows)
    assert response.status_code == 400
    assert "more than 3 rows" in _file_errors(response)[0]
    assert not Customer.objects.filter(code__startswith="C9").exists()


@pytest.mark.django_db
def test_empty_rows_are_skipped_and_row_numbers_stay_as_excel_shows_them(client, cast):
    client.force_login(cast.desk)
    rows = [HEADER, ["C801", "一", "", "EAST"], [None, None], ["", "  "], ["C802", "二", "", "MARS"]]
    response = post_import(client, "customers", rows)
    assert error_rows(response) == [(5, "branch", gettext("Unknown branch code."))]


# --- the error report ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_error_report_marks_the_cells_and_only_its_uploader_can_download_it(client, cast):
    client.force_login(cast.desk)
    workbook = Workbook()
    for row in [HEADER + ["extra"], ["C901", "好", "", "EAST", "", "", "", "x"], ["C902", "=1+1", "Q", "EAST"]]:
        workbook.active.append(row)
    workbook.active["B3"].data_type = "s"  # text that looks like a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post_import(client, "customers", upload=SimpleUploadedFile("c.xlsx", buffer.getvalue()))
    assert response.status_code == 400
    assert response.context["result"].ignored_headers == ["extra"]
    url = response.context["report_url"]
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    content = b"".join(download.streaming_content)
    sheet = read_xlsx(content).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:8] == HEADER + ["extra"]
    with translation.override("en"):  # the upload was made in English
        assert header[8] == gettext("Import errors")
    assert sheet["I2"].value is None
    assert "customer level" in sheet["I3"].value
    assert sheet["C3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["C3"].comment is not None
    assert sheet["B3"].value == "=1+1" and sheet["B3"].data_type == "s"  # text never becomes a formula

    # someone else, or a forged token: not found
    client.force_login(cast.manager)
    assert client.get(url).status_code == 404
    assert AuthorizationFailure.objects.filter(user=cast.manager, target="import-report").exists()
    client.force_login(cast.desk)
    assert client.get(reverse("imports:report", args=["forged:token"])).status_code == 404

    # the marked copy, corrected, uploads again (its error column is ignored)
    sheet["C3"].value = "A"
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    response = post_import(client, "customers", upload=SimpleUploadedFile("fixed.xlsx", buffer.getvalue()),
                           follow=True)
    assert response.status_code == 200
    assert Customer.objects.get(code="C902").level == "A"


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["customers", "units", "sales_orders"])
def test_import_pages_need_the_add_permission(client, cast, name):
    assert client.get(reverse(f"imports:{name}")).status_code == 302  # login first
    for user in (cast.nobody, cast.outsider, UserFactory(username="viewer", roles=["dispatcher"])):
        client.force_login(user)
        assert client.get(reverse(f"imports:{name}")).status_code == 403
        assert client.get(reverse(f"imports:{name}_template")).status_code == 403
        assert post_import(client, name, [["x"], ["y"]]).status_code == 403
    client.force_login(cast.desk)
    response = client.get(reverse(f"imports:{name}"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert reverse(f"imports:{name}_template") in response.content.decode()


@pytest.mark.django_db
def test_the_upload_page_documents_update_mode(client, cast):
    client.force_login(cast.desk)
    page = client.get(reverse("imports:customers"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "empty cells keep them" in page
    assert 'name="update"' in page
    page = client.get(reverse("imports:sales_orders"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="update"' not in page
    assert "ship date" in page


# --- cell parsers --------------------------------------------------------------------------------


def test_cell_parsers():
    ctx = ImportContext(user=None)
    date = Date()
    assert date.parse(dt.datetime(2025, 3, 1, 0, 0), ctx) == dt.date(2025, 3, 1)
    assert date.parse("2025/3/1", ctx) == dt.date(2025, 3, 1)
    assert date.parse(" 2025-03-01 ", ctx) == dt.date(2025, 3, 1)
    assert date.parse(45717, ctx) == dt.date(2025, 3, 1)  # an Excel day number
    for bad in ("2025-02-30", "01/03/2025", "tomorrow", 99999999):
        with pytest.raises(CellError):
            date.parse(bad, ctx)
    number = Integer(1, 10)
    assert number.parse(3.0, ctx) == 3 and number.parse(" 7 ", ctx) == 7
    for bad in (0, 11, 2.5, "x", True):
        with pytest.raises(CellError):
            number.parse(bad, ctx)
    level = Choice(CustomerLevel)
    assert level.parse("a", ctx) == "A"
    with translation.override("en"):
        label = str(CustomerLevel.KEY.label)
    assert level.parse(label.upper(), ctx) == "A"
    with pytest.raises(CellError):
        level.parse("D", ctx)
    assert Text(10, upper=True).parse(12345.0, ctx) == "12345"
    with pytest.raises(CellError):
        Text(3).parse("abcd", ctx)
    assert SerialList().parse("a1, b2；c3\nd4", ctx) == ["A1", "B2", "C3", "D4"]
    with pytest.raises(CellError):
        SerialList().parse("A1, a1", ctx)


def test_xlsx_helper_builds_real_workbooks():
    assert sheet_values(xlsx_bytes([["a", 1]])) == [["a", 1]]
