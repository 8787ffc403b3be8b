"""Customer reads that depend on who asks."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from serviceloop.customers.models import Customer
from serviceloop.customers.selectors import contacts_of, customer_search, customers_visible_to, sites_of

from .factories import ContactFactory, CustomerFactory, SiteFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "codes"),
    [("owner", {"CA"}), ("outsider", {"CB"}), ("east_staff", {"CA"}), ("south_staff", {"CB"}),
     ("desk", {"CA", "CB"}), ("manager", {"CA", "CB"}), ("nobody", set())],
)
def test_customers_visible_to(cast, user_key, codes):
    assert {c.code for c in customers_visible_to(getattr(cast, user_key))} == codes


@pytest.mark.django_db
def test_customers_visible_to_anonymous_is_empty(cast):
    assert not customers_visible_to(AnonymousUser()).exists()


@pytest.mark.django_db
def test_customers_visible_to_loads_branch_in_the_same_query(cast, django_assert_num_queries):
    customers = list(customers_visible_to(cast.manager))
    with django_assert_num_queries(0):
        assert {c.branch.code for c in customers} == {"EAST", "SOUTH"}


@pytest.mark.django_db
def test_customer_search(cast):
    CustomerFactory(code="SZ-100", name="深圳精密", phone="0755-8888", branch=cast.customer_b.branch)
    qs = Customer.objects.all()

    def codes(q):
        return {c.code for c in customer_search(qs, q)}

    assert codes("sz") == {"SZ-100"}  # code prefix, any case
    assert codes("精密") == {"SZ-100"}  # name contains
    assert codes("0755") == {"SZ-100"}  # phone prefix
    assert codes("  乙 ") == {"CB"}
    assert codes("100") == set()  # the code matches from its start only
    assert codes("%") == set()  # LIKE wildcards are literal


@pytest.mark.django_db
def test_search_stays_inside_the_gate(cast):
    assert not customer_search(customers_visible_to(cast.outsider), "甲").exists()


@pytest.mark.django_db
def test_sites_and_contacts_of_are_gated(cast):
    site = SiteFactory(customer=cast.customer_a)
    contact = ContactFactory(customer=cast.customer_a, site=site)
    SiteFactory(customer=cast.customer_b)
    assert list(sites_of(cast.owner, cast.customer_a)) == [site]
    assert list(contacts_of(cast.owner, cast.customer_a)) == [contact]
    # handing someone else's customer to the selector shows nothing
    assert not sites_of(cast.outsider, cast.customer_a).exists()
    assert not contacts_of(cast.outsider, cast.customer_a).exists()
    assert not sites_of(cast.nobody, cast.customer_a).exists()
