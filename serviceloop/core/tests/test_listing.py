"""List pages: allow-listed sort, forgiving page numbers, capped counts, HTMX fragments, fixed query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from serviceloop.core.listing import COUNT_CAP, MAX_PAGE, ListPage
from serviceloop.customers.models import Customer
from serviceloop.customers.tests.factories import CustomerFactory
from serviceloop.customers.views import CUSTOMER_LIST


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _page(user, **params) -> ListPage:
    request = RequestFactory().get("/customers/", params)
    request.user = user
    return ListPage(request, Customer.objects.restrict(user, "view").select_related("branch"), CUSTOMER_LIST)


@pytest.fixture
def three(cast, east):
    CustomerFactory(code="C3", name="丙", level="A", branch=east)
    return cast


def _codes(page: ListPage) -> list[str]:
    return [c.code for c in page.rows()]


@pytest.mark.django_db
def test_default_and_allowed_sorts(three):
    user = three.manager
    assert _codes(_page(user)) == ["C3", "CA", "CB"]
    assert _codes(_page(user, sort="-code")) == ["CB", "CA", "C3"]
    by_name = list(Customer.objects.order_by("name", "pk").values_list("code", flat=True))
    assert _codes(_page(user, sort="name")) == by_name
    assert _codes(_page(user, sort="level"))[0] == "C3"  # level A first
    page = _page(user, sort="branch")
    assert page.sort == "branch"  # sorts on branch__code, by column key


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["password", "branch__name", "customer__code", "?", "code;drop", "", "-", "-pk"])
def test_unknown_sort_falls_back_to_default(three, sort):
    page = _page(three.manager, sort=sort)
    assert page.sort == "code"
    assert _codes(page) == ["C3", "CA", "CB"]


@pytest.mark.django_db
def test_repeated_minus_is_one_descending_sort(three):
    page = _page(three.manager, sort="--code")
    assert page.sort == "-code"
    assert _codes(page) == ["CB", "CA", "C3"]


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "expected"), [("abc", 1), ("", 1), ("0", 1), ("-4", 1), ("1.5", 1),
                                               ("2", 2), ("99999999999999999999", MAX_PAGE)])
def test_bad_page_param(three, raw, expected):
    page = _page(three.manager, page=raw)
    assert page.page == expected
    page.rows()


@pytest.mark.django_db
def test_paging_fetches_one_extra_row_and_never_counts(cast, east, django_assert_num_queries):
    Customer.objects.bulk_create(
        [Customer(code=f"P{n:03d}", name=f"P{n}", branch=east) for n in range(CUSTOMER_LIST.page_size * 2)]
    )
    first = _page(cast.manager)
    with django_assert_num_queries(1):
        assert len(first.rows()) == CUSTOMER_LIST.page_size
    assert first.has_next and not first.has_previous
    last = _page(cast.manager, page="3")
    assert len(last.rows()) == 2  # 50 + CA + CB = 52 rows
    assert not last.has_next and last.has_previous
    beyond = _page(cast.manager, page="9")
    assert beyond.rows() == [] and not beyond.has_next


@pytest.mark.django_db
def test_count_label_exact_below_the_cap(three):
    assert _page(three.manager).count_label() == "3"
    assert _page(three.owner).count_label() == "1"
    assert _page(three.nobody).count_label() == "0"


@pytest.mark.django_db
def test_count_label_is_capped(cast, east):
    Customer.objects.bulk_create(
        [Customer(code=f"BULK{n:05d}", name=f"批量{n}", branch=east) for n in range(COUNT_CAP + 1)]
    )
    assert _page(cast.manager).count_label() == "1,000+"
    assert _page(cast.south_staff).count_label() == "1"  # CB only: the gate applies before the cap


@pytest.mark.django_db
def test_search_and_filters(three, east):
    assert _codes(_page(three.manager, q="乙")) == ["CB"]
    assert _codes(_page(three.manager, q="  ca ")) == ["CA"]
    assert _codes(_page(three.manager, level="A")) == ["C3"]
    assert _codes(_page(three.manager, branch=east.pk)) == ["C3", "CA"]
    # a filter value that is not valid shows nothing rather than everything
    assert _codes(_page(three.manager, level="Z")) == []


@pytest.mark.django_db
def test_search_ignores_control_characters(three):
    page = _page(three.manager, q="\x00乙\x07")
    assert page.q == "乙"
    assert _codes(page) == ["CB"]


@pytest.mark.django_db
def test_query_string_keeps_filters_and_drops_page_and_export(three):
    page = _page(three.manager, q="甲", level="A", page="3", export="xlsx", sort="-name")
    assert page.query_string() == "q=%E7%94%B2&level=A&sort=-name"
    assert page.query_string(page=2).endswith("&page=2")
    header = {h["key"]: h for h in page.header()}
    assert header["name"]["active"] and header["name"]["descending"]
    assert "sort=name" in header["name"]["link"]  # clicking the active descending column sorts ascending
    assert "sort=code" in header["code"]["link"]
    assert not header["phone"]["sortable"]


# -- through the view --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_htmx_request_gets_only_the_table_fragment(client, cast):
    client.force_login(cast.manager)
    url = reverse("customers:list")
    full = client.get(url)
    assert "<html" in full.content.decode()
    fragment = client.get(url, {"q": "甲"}, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in text and "<nav class=\"navbar" not in text
    assert 'data-testid="list-table"' in text
    assert "甲公司" in text and "乙公司" not in text
    for response in (full, fragment):
        assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_page_links_carry_one_page_parameter(client, cast, east):
    Customer.objects.bulk_create([Customer(code=f"L{n:03d}", name=f"L{n}", branch=east) for n in range(60)])
    client.force_login(cast.manager)
    text = client.get(reverse("customers:list"), {"page": "2", "level": ""}).content.decode()
    assert "page=3" in text and "page=1" in text
    assert "page=2&amp;page" not in text


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_customer_list_query_count_does_not_grow_with_rows(client, cast, east, south, django_assert_max_num_queries):
    client.force_login(cast.manager)
    url = reverse("customers:list")
    _list_queries(client, url)  # warm the per-process caches (content types, permissions, session)
    few = _list_queries(client, url)
    for n in range(28):
        CustomerFactory(branch=east if n % 2 else south)
    assert Customer.objects.count() == 30
    with django_assert_max_num_queries(12):  # session, user, scope, permissions, filter, rows, count
        response = client.get(url)
    assert len(response.context["page"].rows()) == CUSTOMER_LIST.page_size
    assert _list_queries(client, url) == few


@pytest.mark.django_db
def test_export_query_count_does_not_grow_with_rows(client, cast, east):
    client.force_login(cast.manager)
    url = reverse("customers:list") + "?export=xlsx"
    _list_queries(client, url)
    few = _list_queries(client, url)
    for _ in range(30):
        CustomerFactory(branch=east)
    assert _list_queries(client, url) == few
