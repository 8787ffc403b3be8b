"""Optimistic locking: the second of two edits from the same version is refused, never lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import translation

from serviceloop.core.concurrency import StaleEditError, save_versioned
from serviceloop.customers.models import Customer
from serviceloop.customers.services import customer_save


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_save_bumps_version_and_stamps_editor(cast):
    customer = Customer.objects.get(pk=cast.customer_a.pk)
    customer.name = "新名"
    save_versioned(customer, expected_version=1, user=cast.manager)
    assert customer.version == 2
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.version, stored.updated_by) == ("新名", 2, cast.manager)


@pytest.mark.django_db
def test_new_record_starts_at_version_one(cast, east):
    customer = Customer(code="NEW", name="新", branch=east)
    save_versioned(customer, expected_version=None, user=cast.desk)
    assert Customer.objects.get(code="NEW").version == 1


@pytest.mark.django_db
def test_stale_version_is_refused_with_who_and_when(cast):
    cast.manager.display_name = "王经理"
    cast.manager.save()
    first, second = (Customer.objects.get(pk=cast.customer_a.pk) for _ in range(2))
    first.name = "第一"
    save_versioned(first, expected_version=1, user=cast.manager)
    second.name = "第二"
    with pytest.raises(StaleEditError) as caught:
        save_versioned(second, expected_version=1, user=cast.desk)
    assert caught.value.code == "stale"
    message = caught.value.messages[0]
    assert message.startswith("This record was modified by 王经理 at ")
    assert Customer.objects.get(pk=cast.customer_a.pk).name == "第一"


@pytest.mark.django_db
def test_stale_edit_by_unknown_editor_says_another_user(cast):
    Customer.objects.filter(pk=cast.customer_a.pk).update(version=5, updated_by=None)
    customer = Customer.objects.get(pk=cast.customer_a.pk)
    with pytest.raises(StaleEditError) as caught:
        save_versioned(customer, expected_version=4, user=cast.desk)
    assert "modified by another user" in caught.value.messages[0]


@pytest.mark.django_db
def test_stale_edit_of_a_deleted_record(cast, east):
    from serviceloop.customers.tests.factories import CustomerFactory

    customer = CustomerFactory(branch=east)
    stale = Customer.objects.get(pk=customer.pk)
    Customer.objects.filter(pk=customer.pk).delete()
    with pytest.raises(StaleEditError) as caught:
        save_versioned(stale, expected_version=1, user=cast.desk)
    assert caught.value.code == "deleted"
    assert "deleted by another user" in caught.value.messages[0]
    assert not Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.django_db
def test_without_expected_version_the_loaded_version_is_expected(cast):
    loaded = Customer.objects.get(pk=cast.customer_a.pk)
    Customer.objects.filter(pk=loaded.pk).update(version=2)
    with pytest.raises(StaleEditError):
        save_versioned(loaded, expected_version=None, user=cast.desk)


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks shared between connections: runs on PostgreSQL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_edits_one_wins_the_other_is_told_who(cast):
    """Editor 1 has claimed the version and not yet committed when editor 2 saves from the same version."""
    _postgres_only()
    pk = cast.customer_a.pk
    claimed, second_started = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                customer = Customer.objects.get(pk=pk)
                customer.name = "甲公司（经理改）"
                customer_save(user=cast.manager, instance=customer, expected_version=1)
                claimed.set()
                second_started.wait(timeout=30)
            outcome["first"] = "saved"
        except BaseException as exc:
            outcome["first"] = exc
            claimed.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            claimed.wait(timeout=30)
            customer = Customer.objects.get(pk=pk)  # still sees version 1: the first edit is not committed
            customer.name = "甲公司（前台改）"
            second_started.set()
            with transaction.atomic():
                customer_save(user=cast.desk, instance=customer, expected_version=1)
            outcome["second"] = "saved"
        except BaseException as exc:
            outcome["second"] = exc
        finally:
            second_started.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcome["first"] == "saved"
    assert isinstance(outcome["second"], StaleEditError), outcome["second"]
    assert str(cast.manager) in outcome["second"].messages[0]  # "modified by <who> at <when>", in any language
    stored = Customer.objects.get(pk=pk)
    assert (stored.name, stored.version, stored.updated_by) == ("甲公司（经理改）", 2, cast.manager)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_simultaneous_edits_exactly_one_succeeds(cast):
    _postgres_only()
    pk = cast.customer_a.pk
    editors = [cast.manager, cast.desk, cast.east_staff, cast.manager]
    start = threading.Barrier(len(editors))
    results: list[object] = [None] * len(editors)

    def edit(i: int) -> None:
        try:
            customer = Customer.objects.get(pk=pk)
            customer.note = f"edit {i}"
            start.wait(timeout=30)
            customer_save(user=editors[i], instance=customer, expected_version=1)
            results[i] = "saved"
        except BaseException as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(len(editors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [i for i, r in enumerate(results) if r == "saved"]
    assert len(winners) == 1, results
    losers = [r for r in results if r != "saved"]
    assert all(isinstance(r, StaleEditError) for r in losers), losers
    winner = editors[winners[0]]
    assert all(str(winner) in r.messages[0] and r.code == "stale" for r in losers)
    stored = Customer.objects.get(pk=pk)
    assert (stored.note, stored.version, stored.updated_by) == (f"edit {winners[0]}", 2, winner)
