"""Document numbers: PREFIX-YYMM-NNNN, monthly reset in Asia/Shanghai, unique under concurrency."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from serviceloop.core.models import DocumentSequence
from serviceloop.core.numbering import next_number

OCT = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_format_and_sequence():
    first = next_number("CSI", at=OCT)
    assert re.fullmatch(r"CSI-\d{4}-\d{4}", first)
    assert [first, next_number("CSI", at=OCT), next_number("CSI", at=OCT)] == [
        "CSI-2610-0001", "CSI-2610-0002", "CSI-2610-0003"
    ]
    assert DocumentSequence.objects.get(prefix="CSI", period="2610").last_value == 3


@pytest.mark.django_db
def test_monthly_reset():
    assert next_number("WO", at=datetime(2026, 9, 30, 1, 0, tzinfo=UTC)) == "WO-2609-0001"
    assert next_number("WO", at=datetime(2026, 9, 30, 2, 0, tzinfo=UTC)) == "WO-2609-0002"
    assert next_number("WO", at=OCT) == "WO-2610-0001"
    assert next_number("WO", at=datetime(2027, 1, 2, tzinfo=UTC)) == "WO-2701-0001"
    # a late number for September continues September's sequence
    assert next_number("WO", at=datetime(2026, 9, 1, tzinfo=UTC)) == "WO-2609-0003"


@pytest.mark.django_db
def test_month_follows_shanghai_time_not_utc():
    # 2026-10-31 16:30 UTC is 2026-11-01 00:30 in Shanghai: already November
    assert next_number("CSI", at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC)) == "CSI-2611-0001"
    # 2026-10-31 15:59 UTC is 23:59 in Shanghai: still October
    assert next_number("CSI", at=datetime(2026, 10, 31, 15, 59, tzinfo=UTC)) == "CSI-2610-0001"


@pytest.mark.django_db
def test_prefixes_are_independent():
    assert next_number("CSI", at=OCT) == "CSI-2610-0001"
    assert next_number("WO", at=OCT) == "WO-2610-0001"
    assert next_number("CSI", at=OCT) == "CSI-2610-0002"
    assert next_number("RMA", at=OCT) == "RMA-2610-0001"
    assert next_number("WO", at=OCT) == "WO-2610-0002"


@pytest.mark.django_db
def test_default_is_now():
    assert re.fullmatch(r"PR-\d{4}-0001", next_number("PR"))


@pytest.mark.django_db
def test_beyond_9999_the_number_grows():
    DocumentSequence.objects.create(prefix="CSI", period="2610", last_value=9999)
    assert next_number("CSI", at=OCT) == "CSI-2610-10000"


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "TOO-LONG-PREFIX"])
def test_bad_prefix_is_a_programming_error(prefix):
    with pytest.raises(ValueError):
        next_number(prefix, at=OCT)


@pytest.mark.django_db
def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        next_number("CSI", at=datetime(2026, 10, 1))


@pytest.mark.django_db
def test_rolled_back_number_is_given_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("CSI", at=OCT)
        raise RuntimeError
    assert next_number("CSI", at=OCT) == "CSI-2610-0001"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_numbers_are_distinct_and_consecutive():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database cannot be shared by threads; this runs on PostgreSQL")
    threads_n, per_thread = 8, 25
    start = threading.Barrier(threads_n)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait(timeout=30)
            mine = []
            for _ in range(per_thread):
                with transaction.atomic():
                    mine.append(next_number("CSI", at=OCT))
            with lock:
                results.extend(mine)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == threads_n * per_thread
    assert len(set(results)) == len(results)
    assert sorted(results) == [f"CSI-2610-{n:04d}" for n in range(1, threads_n * per_thread + 1)]
    assert DocumentSequence.objects.get(prefix="CSI", period="2610").last_value == threads_n * per_thread
