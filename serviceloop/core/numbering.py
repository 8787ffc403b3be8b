"""Document numbers: prefix + YYMM + sequence, reset monthly, unique under concurrency.

One atomic upsert statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) takes the next value,
so two transactions can never get the same number on PostgreSQL or SQLite.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from .models import DocumentSequence


def next_number(prefix: str, *, at: datetime | None = None) -> str:
    """The next number for ``prefix`` in the month of ``at`` (default now) in the local time zone.

    Call it inside the transaction that saves the document: if that rolls back, so does the number.
    """
    max_length = DocumentSequence._meta.get_field("prefix").max_length
    if not prefix or len(prefix) > max_length:
        raise ValueError(f"document number prefix must be 1 to {max_length} characters: {prefix!r}")
    local = timezone.localtime(at or timezone.now())
    period = local.strftime("%y%m")
    table = connection.ops.quote_name(DocumentSequence._meta.db_table)
    sql = (
        f"INSERT INTO {table} (prefix, period, last_value) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
        f"ON CONFLICT (prefix, period) DO UPDATE SET last_value = {table}.last_value + 1 "
        "RETURNING last_value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, period])
        value = cursor.fetchone()[0]
    return f"{prefix}-{period}-{value:04d}"
