"""The cheaper write paths: a new record saved inside a transaction takes no savepoint of its own
(the history manager class built once: core/tests/test_fastpaths.py)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from serviceloop.accounts.models import Branch
from serviceloop.core.concurrency import save_versioned


def _atomic_during_save(obj, user) -> bool:
    seen = []

    def receiver(sender, instance, **kwargs):
        if instance is obj:
            seen.append(connection.in_atomic_block)

    post_save.connect(receiver, sender=Branch)
    try:
        save_versioned(obj, expected_version=None, user=user)
    finally:
        post_save.disconnect(receiver, sender=Branch)
    return seen == [True]


@pytest.mark.django_db
def test_new_record_inside_a_transaction_takes_no_savepoint(cast):
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        branch = Branch(code="NORTH", name="华北分公司")
        save_versioned(branch, expected_version=None, user=cast.desk)
    assert not [q for q in ctx.captured_queries if "SAVEPOINT" in q["sql"]]
    assert branch.history.count() == 1 and branch.updated_by == cast.desk and branch.version == 1


@pytest.mark.django_db(transaction=True)
def test_new_record_outside_a_transaction_is_saved_with_its_history_atomically(cast):
    branch = Branch(code="NORTH", name="华北分公司")
    assert not connection.in_atomic_block
    # the history row is written by a post_save receiver: it runs inside the same transaction as the row
    assert _atomic_during_save(branch, cast.desk)
    assert branch.history.count() == 1


@pytest.mark.django_db
def test_an_edit_still_claims_the_version_in_its_own_savepoint(cast):
    branch = Branch.objects.create(code="NORTH", name="华北分公司")
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        branch.name = "华北"
        save_versioned(branch, expected_version=1, user=cast.desk)
    assert [q for q in ctx.captured_queries if "SAVEPOINT" in q["sql"]]
    assert branch.version == 2 and Branch.objects.get(pk=branch.pk).name == "华北"
