"""Query expressions shared by the apps."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import F
from django.db.models.lookups import In

_PLAIN = re.compile(r"[A-Za-z0-9_]+")


class ConstantIn(In):
    """``field IN (...)`` for a constant list from the code (a set of statuses), written into the SQL as
    literals on SQLite instead of bound parameters.

    SQLite uses a partial index (``... WHERE status IN ('new', ...)``) only when it can see, while
    preparing the statement, that the query's WHERE repeats the index's condition; with bound parameters
    it cannot, and the desk queue over a million requests then sorts every open one (seconds instead of
    milliseconds). Other databases bind the values as usual. Only plain words are accepted, so nothing
    from a user can reach the SQL this way.
    """

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not all(isinstance(v, str) for v in self.rhs):
            return self.as_sql(compiler, connection)
        values = list(dict.fromkeys(str(v) for v in self.rhs))  # a TextChoices member: its value
        if not values or not all(_PLAIN.fullmatch(v) for v in values):
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        literals = ", ".join("'" + v + "'" for v in values)
        return f"{lhs} IN ({literals})", list(lhs_params)


def constant_in(field: str, values: Iterable[str]) -> ConstantIn:
    """A filter: ``queryset.filter(constant_in("status", OPEN_STATUSES))``."""
    return ConstantIn(F(field), list(values))
