"""Customer, site and contact services: validate, write, bump the version, record one timeline event."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.models import TimelineEvent
from serviceloop.core.timeline import events_for
from serviceloop.customers.models import Contact, Customer, Site
from serviceloop.customers.services import contact_save, customer_save, site_save

from .factories import ContactFactory, CustomerFactory, SiteFactory


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_customer_create_upper_cases_code_and_records_event(cast, east):
    customer = customer_save(user=cast.desk, instance=Customer(code="  sz-001 ", name="深圳某厂", branch=east))
    customer.refresh_from_db()
    assert (customer.code, customer.version, customer.updated_by) == ("SZ-001", 1, cast.desk)
    event = events_for(customer).get()
    assert (event.verb, event.actor) == ("created", cast.desk)
    assert customer.history.count() == 1


@pytest.mark.django_db
def test_customer_update_bumps_version(cast):
    customer = Customer.objects.get(pk=cast.customer_a.pk)
    customer.phone = "0512-1234"
    customer_save(user=cast.east_staff, instance=customer, expected_version=1)
    customer.refresh_from_db()
    assert (customer.phone, customer.version, customer.updated_by) == ("0512-1234", 2, cast.east_staff)
    assert [e.verb for e in events_for(customer)] == ["updated"]
    assert customer.history.first().history_type == "~"
    # without an expected version, the version the instance was loaded with is the expectation
    customer.note = "again"
    customer_save(user=cast.east_staff, instance=customer)
    customer.refresh_from_db()
    assert customer.version == 3


@pytest.mark.django_db
def test_customer_stale_edit_is_refused_and_writes_nothing(cast):
    first = Customer.objects.get(pk=cast.customer_a.pk)
    second = Customer.objects.get(pk=cast.customer_a.pk)
    first.name = "甲公司一"
    customer_save(user=cast.manager, instance=first, expected_version=1)
    second.name = "甲公司二"
    with pytest.raises(StaleEditError) as caught:
        customer_save(user=cast.desk, instance=second, expected_version=1)
    message = caught.value.messages[0]
    assert f"modified by {cast.manager}" in message
    assert " at 20" in message
    current = Customer.objects.get(pk=cast.customer_a.pk)
    assert (current.name, current.version, current.updated_by) == ("甲公司一", 2, cast.manager)
    assert [e.verb for e in events_for(current)] == ["updated"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error_field"),
    [({"code": "A B"}, "code"), ({"code": "CB"}, "code"), ({"code": "cb"}, "code"), ({"name": ""}, "name"),
     ({"level": "Z"}, "level")],
)
def test_customer_bad_input_raises_field_errors_and_writes_nothing(cast, east, fields, error_field):
    data = {"code": "NEW1", "name": "新客户", "branch": east, **fields}
    before = (Customer.objects.count(), TimelineEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        customer_save(user=cast.desk, instance=Customer(**data))
    assert error_field in caught.value.message_dict
    assert (Customer.objects.count(), TimelineEvent.objects.count()) == before


@pytest.mark.django_db
def test_site_save_and_duplicate_name(cast):
    site = site_save(user=cast.east_staff, instance=Site(customer=cast.customer_a, name="一号车间", city="苏州"))
    assert [e.verb for e in events_for(site)] == ["created"]
    with pytest.raises(ValidationError) as caught:
        site_save(user=cast.east_staff, instance=Site(customer=cast.customer_a, name="一号车间"))
    assert "name" in caught.value.message_dict
    # the same name at another customer is fine
    site_save(user=cast.desk, instance=Site(customer=cast.customer_b, name="一号车间"))
    assert Site.objects.filter(name="一号车间").count() == 2
    site.city = "无锡"
    site_save(user=cast.east_staff, instance=site, expected_version=1)  # renaming to its own name is fine
    site.refresh_from_db()
    assert (site.city, site.version) == ("无锡", 2)


@pytest.mark.django_db
def test_site_coordinates_are_validated(cast):
    with pytest.raises(ValidationError) as caught:
        site_save(user=cast.desk, instance=Site(customer=cast.customer_a, name="x", latitude=91, longitude=181))
    assert {"latitude", "longitude"} <= set(caught.value.message_dict)
    assert not Site.objects.exists()


@pytest.mark.django_db
def test_only_one_primary_contact(cast):
    first = contact_save(user=cast.desk, instance=Contact(customer=cast.customer_a, name="张三", is_primary=True))
    other_customer = contact_save(user=cast.desk,
                                  instance=Contact(customer=cast.customer_b, name="王五", is_primary=True))
    second = contact_save(user=cast.desk, instance=Contact(customer=cast.customer_a, name="李四", is_primary=True))
    first.refresh_from_db()
    other_customer.refresh_from_db()
    assert second.is_primary and not first.is_primary
    assert other_customer.is_primary  # another customer's primary contact is untouched
    assert first.version == 2  # an open form of the demoted contact is now stale
    with pytest.raises(StaleEditError):
        stale = Contact.objects.get(pk=first.pk)
        stale.is_primary = True
        contact_save(user=cast.desk, instance=stale, expected_version=1)
    assert list(Contact.objects.filter(customer=cast.customer_a, is_primary=True)) == [second]


@pytest.mark.django_db
def test_contact_with_another_customers_site_is_refused(cast):
    site_b = SiteFactory(customer=cast.customer_b)
    with pytest.raises(ValidationError) as caught:
        contact_save(user=cast.desk, instance=Contact(customer=cast.customer_a, name="张三", site=site_b))
    assert "site" in caught.value.message_dict
    assert not Contact.objects.exists()
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
def test_contact_email_is_validated(cast):
    with pytest.raises(ValidationError) as caught:
        contact_save(user=cast.desk, instance=Contact(customer=cast.customer_a, name="张三", email="nope"))
    assert "email" in caught.value.message_dict


@pytest.mark.django_db
def test_each_service_writes_exactly_one_event(cast):
    customer = customer_save(user=cast.desk, instance=CustomerFactory.build(branch=cast.customer_a.branch))
    site = site_save(user=cast.desk, instance=SiteFactory.build(customer=customer))
    contact = contact_save(user=cast.desk, instance=ContactFactory.build(customer=customer, site=site))
    assert TimelineEvent.objects.count() == 3
    for obj in (customer, site, contact):
        assert events_for(obj).count() == 1
