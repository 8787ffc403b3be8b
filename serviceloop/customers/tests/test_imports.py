"""Excel import of customers: all or nothing, row-level errors in the user's language, the gate."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.core.models import TimelineEvent
from serviceloop.core.tests.xlsx import error_rows, post_import
from serviceloop.customers.models import Customer

HEADER = ["customer code", "customer name", "customer level", "branch", "address", "phone", "note"]


def _t(msgid: str, lang: str) -> str:
    with translation.override(lang):
        return gettext(msgid)


@pytest.mark.django_db
def test_a_good_file_creates_every_customer_through_the_service(client, cast):
    client.force_login(cast.desk)
    rows = [
        HEADER,
        ["c100", "苏州精密电子", "A", "EAST", "苏州工业园区", "0512-1234", ""],
        ["C101", "深圳智造", "C · normal", "华南分公司", None, None, "新客户"],
    ]
    response = post_import(client, "customers", rows, follow=True)
    assert response.status_code == 200
    assert "2 rows imported (2 created, 0 updated)." in response.content.decode()
    first = Customer.objects.get(code="C100")
    second = Customer.objects.get(code="C101")
    assert (first.name, first.level, first.branch.code, first.address) == ("苏州精密电子", "A", "EAST", "苏州工业园区")
    assert (second.level, second.branch.code, second.note) == ("C", "SOUTH", "新客户")
    assert first.updated_by == cast.desk
    for customer in (first, second):
        assert TimelineEvent.objects.filter(object_id=customer.pk, verb="created", actor=cast.desk,
                                            content_type__model="customer").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_one_bad_row_imports_nothing_and_says_where(client, cast, lang):
    client.force_login(cast.desk)
    rows = [
        HEADER,
        ["C200", "好客户", "B", "EAST", "", "", ""],
        ["C201", "坏客户", "B", "NORTH", "", "", ""],
        ["C202", "", "Z", "EAST", "", "", ""],
    ]
    response = post_import(client, "customers", rows, lang=lang)
    assert response.status_code == 400
    assert not Customer.objects.filter(code__in=["C200", "C201", "C202"]).exists()
    assert TimelineEvent.objects.filter(content_type__model="customer").count() == 0
    errors = error_rows(response)
    assert (3, "branch", _t("Unknown branch code.", lang)) in errors
    assert (4, "customer name", _t("This value is required.", lang)) in errors
    assert any(row == 4 and column == "customer level" for row, column, _m in errors)
    assert {row for row, _c, _m in errors} == {3, 4}
    page = response.content.decode()
    assert _t("Unknown branch code.", lang) in page
    assert response.context["report_url"]

    # fixing the rows and uploading the whole file again imports everything
    rows[2][3] = "EAST"
    rows[3][1] = "修好的客户"
    rows[3][2] = "C"
    response = post_import(client, "customers", rows, lang=lang, follow=True)
    assert response.status_code == 200
    assert set(Customer.objects.filter(code__startswith="C20").values_list("code", flat=True)) == {
        "C200", "C201", "C202"}


@pytest.mark.django_db
def test_existing_and_repeated_codes_are_errors_without_update_mode(client, cast):
    client.force_login(cast.desk)
    rows = [
        HEADER,
        ["ca", "改名", "", "EAST", "", "", ""],
        ["C300", "新", "", "EAST", "", "", ""],
        ["c300", "又一个", "", "EAST", "", "", ""],
    ]
    response = post_import(client, "customers", rows)
    assert response.status_code == 400
    errors = error_rows(response)
    assert errors[0][:2] == (2, "customer code")
    assert "already exists" in errors[0][2]
    assert (4, "customer code", gettext("This value is already in row %(row)s of the file.") % {"row": 3}) in errors
    assert not Customer.objects.filter(code="C300").exists()
    cast.customer_a.refresh_from_db()
    assert cast.customer_a.name == "甲公司"


@pytest.mark.django_db
def test_update_mode_changes_filled_cells_and_keeps_empty_ones(client, cast):
    cast.customer_a.address = "上海市浦东新区 1 号"
    cast.customer_a.save()
    client.force_login(cast.desk)
    rows = [
        HEADER,
        ["CA", "甲公司（新名）", "A", "EAST", None, "021-5555", None],
        ["C400", "新客户", "", "EAST", "", "", ""],
    ]
    response = post_import(client, "customers", rows, update=True, follow=True)
    assert response.status_code == 200
    assert "2 rows imported (1 created, 1 updated)." in response.content.decode()
    cast.customer_a.refresh_from_db()
    assert (cast.customer_a.name, cast.customer_a.level, cast.customer_a.phone) == ("甲公司（新名）", "A", "021-5555")
    assert cast.customer_a.address == "上海市浦东新区 1 号"
    assert cast.customer_a.version == 2
    assert TimelineEvent.objects.filter(object_id=cast.customer_a.pk, verb="updated",
                                        content_type__model="customer").exists()
    assert Customer.objects.filter(code="C400").exists()


@pytest.mark.django_db
def test_branch_staff_import_into_their_own_branch_only(client, cast):
    client.force_login(cast.east_staff)
    rows = [HEADER, ["C500", "华东新客户", "", "EAST", "", "", ""], ["C501", "华南客户", "", "SOUTH", "", "", ""]]
    response = post_import(client, "customers", rows)
    assert response.status_code == 400
    assert error_rows(response) == [(3, "branch", gettext("You may import customers of your own branch only."))]
    assert not Customer.objects.filter(code__in=["C500", "C501"]).exists()
    response = post_import(client, "customers", rows[:2], follow=True)
    assert response.status_code == 200
    assert Customer.objects.get(code="C500").branch.code == "EAST"


@pytest.mark.django_db
def test_branch_staff_cannot_update_another_branchs_customer(client, cast):
    client.force_login(cast.east_staff)
    rows = [HEADER, ["CB", "乙公司（改）", "", "EAST", "", "", ""]]
    response = post_import(client, "customers", rows, update=True)
    assert response.status_code == 400
    assert error_rows(response) == [
        (2, "customer code", gettext("A customer with this code already exists and you may not change it."))
    ]
    cast.customer_b.refresh_from_db()
    assert cast.customer_b.name == "乙公司"


@pytest.mark.django_db
def test_model_rules_from_the_service_become_row_errors(client, cast):
    client.force_login(cast.desk)
    rows = [HEADER, ["C 600", "空格编码", "", "EAST", "", "", ""], ["C601", "好的", "", "EAST", "", "", ""]]
    response = post_import(client, "customers", rows)
    assert response.status_code == 400
    errors = error_rows(response)
    assert [(r, c) for r, c, _m in errors] == [(2, "customer code")]
    assert not Customer.objects.filter(code="C601").exists()


@pytest.mark.django_db
def test_customer_list_links_to_the_import_page(client, cast):
    client.force_login(cast.desk)
    response = client.get(reverse("customers:list"))
    assert reverse("imports:customers") in response.content.decode()
    client.force_login(cast.outsider)
    response = client.get(reverse("customers:list"))
    assert reverse("imports:customers") not in response.content.decode()
