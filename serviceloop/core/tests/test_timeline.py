"""Timeline events (处理记录): who did what, when, on which record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from serviceloop.core.models import TimelineEvent
from serviceloop.core.timeline import events_for, record_event
from serviceloop.customers.models import Customer, Site
from serviceloop.customers.services import contact_save, customer_save, site_save
from serviceloop.customers.tests.factories import SiteFactory


@pytest.mark.django_db
def test_record_event_stores_everything(cast):
    before = timezone.now()
    event = record_event(cast.customer_a, actor=cast.desk, verb="reviewed", from_state="new", to_state="reviewed",
                         note="已评审", quantity=3, data={"plan": "onsite"})
    event.refresh_from_db()
    assert event.subject == cast.customer_a
    assert (event.actor, event.verb, event.from_state, event.to_state) == (cast.desk, "reviewed", "new", "reviewed")
    assert (event.note, event.quantity, event.data) == ("已评审", 3, {"plan": "onsite"})
    assert before <= event.at <= timezone.now()
    assert timezone.is_aware(event.at)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_system_events_have_no_actor(cast, actor):
    event = record_event(cast.customer_a, actor=actor, verb="escalated")
    assert event.actor is None
    assert event.data == {}


@pytest.mark.django_db
def test_events_for_newest_first_with_actor_loaded(cast, django_assert_num_queries):
    first = record_event(cast.customer_a, actor=cast.desk, verb="created")
    second = record_event(cast.customer_a, actor=cast.manager, verb="updated")
    third = record_event(cast.customer_a, actor=cast.east_staff, verb="updated")
    # same timestamp: the later event still comes first
    TimelineEvent.objects.filter(pk__in=[second.pk, third.pk]).update(at=first.at + timedelta(seconds=1))
    with django_assert_num_queries(1):  # the events with their actors, in one query
        events = list(events_for(cast.customer_a))
        assert [(e.pk, e.actor.username) for e in events] == [
            (third.pk, "east"), (second.pk, "manager"), (first.pk, "desk")
        ]


@pytest.mark.django_db
def test_events_for_keeps_records_apart(cast):
    site = SiteFactory(customer=cast.customer_b)
    Site.objects.filter(pk=site.pk).update(id=cast.customer_a.pk)  # a site with the same id as customer A
    site = Site.objects.get(pk=cast.customer_a.pk)
    record_event(cast.customer_a, actor=cast.desk, verb="customer-event")
    record_event(cast.customer_b, actor=cast.desk, verb="other-customer-event")
    record_event(site, actor=cast.desk, verb="site-event")
    assert [e.verb for e in events_for(cast.customer_a)] == ["customer-event"]
    assert [e.verb for e in events_for(site)] == ["site-event"]


@pytest.mark.django_db
def test_each_customer_service_writes_one_event(cast, east):
    customer = customer_save(user=cast.desk, instance=Customer(code="T1", name="时间线", branch=east))
    customer_save(user=cast.manager, instance=customer, expected_version=1)
    site = site_save(user=cast.desk, instance=Site(customer=customer, name="车间"))
    from serviceloop.customers.models import Contact

    contact = contact_save(user=cast.desk, instance=Contact(customer=customer, name="张三", is_primary=True))
    assert [(e.verb, e.actor) for e in events_for(customer)] == [("updated", cast.manager), ("created", cast.desk)]
    assert [(e.verb, e.actor) for e in events_for(site)] == [("created", cast.desk)]
    assert [(e.verb, e.actor) for e in events_for(contact)] == [("created", cast.desk)]
    assert TimelineEvent.objects.count() == 4


@pytest.mark.django_db
def test_timeline_is_shown_on_the_detail_page(client, cast):
    record_event(cast.customer_a, actor=cast.desk, verb="called", note="客户来电")
    client.force_login(cast.owner)
    text = client.get(cast.customer_a.get_absolute_url()).content.decode()
    assert "客户来电" in text and str(cast.desk) in text
