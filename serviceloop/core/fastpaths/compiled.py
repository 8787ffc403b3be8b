"""Hot read queries compiled to SQL once per process and connection.

Building and compiling a queryset costs far more Python time than PostgreSQL needs to answer a
primary-key lookup (0.3 to 0.8 ms per query for the records one API call reads). A ``CompiledQuery``
builds its queryset once with placeholder values, keeps the SQL Django generates for it and where
the placeholders landed among the parameters, and on each call runs that SQL with the real values
and turns the rows into model instances exactly as the queryset would (``select_related``
relations and annotations included).

Only for querysets whose parameters are plain integers or strings compared for equality (ids,
keys); anything else keeps using the ORM.

With the fast paths off (``fastpaths.enabled()``, asked on each call) ``all``/``get`` build the
queryset with the real values and evaluate it: the plain ORM.

Django internals used: ``QuerySet._prefetch_related_lookups``, ``._known_related_objects``,
``._iterable_class``; ``query.get_compiler()`` and the compiler's ``as_sql``, ``select``,
``klass_info``, ``col_count``, ``annotation_col_map``, ``has_composite_fields``,
``get_converters``/``apply_converters``; ``django.db.models.query.get_related_populators``;
``Model.from_db``; for ``prefetch_rows`` the instance's ``_prefetched_objects_cache`` and the
queryset's ``_result_cache``/``_prefetch_done``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet, prefetch_related_objects
from django.db.models.query import get_related_populators

from . import enabled

_SENTINEL_INT = -1_999_999_000  # within every integer column's range, never an id


def int_param(n: int = 0) -> int:
    """A placeholder for an integer parameter (the n-th of a query)."""
    return _SENTINEL_INT + n


def str_param(n: int = 0) -> str:
    """A placeholder for a string parameter (the n-th of a query)."""
    return f"__compiled_query_param_{n}__"


class _Plan:
    __slots__ = ("connection", "sql", "params", "positions", "compiler", "converters", "model", "init_list",
                 "start", "end", "populators", "annotations")


class CompiledQuery:
    """``build(*placeholders)`` returns the queryset; ``all(*values)`` / ``get(*values)`` run it with values."""

    def __init__(self, build: Callable[..., QuerySet], *placeholders: int | str) -> None:
        self._build = build
        self._placeholders = placeholders
        self._plans: dict[tuple[str, int], _Plan] = {}
        self._lock = threading.Lock()
        self._model: Any = None

    def _db(self) -> str:
        if self._model is None:
            self._model = self._build(*self._placeholders).model
        return router.db_for_read(self._model)

    def _plan(self, db: str) -> _Plan:
        connection = connections[db]
        key = (db, id(connection))
        plan = self._plans.get(key)
        if plan is not None and plan.connection is connection:
            return plan
        queryset = self._build(*self._placeholders)
        if queryset._prefetch_related_lookups or queryset._known_related_objects or queryset._iterable_class.__name__ != "ModelIterable":
            raise ValueError("CompiledQuery: plain model querysets only")
        compiler = queryset.query.get_compiler(using=db)
        plan = _Plan()
        plan.connection = connection
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. a filter on an empty list: never any row
            plan.sql = None
            plan.model = queryset.model
            self._store(key, plan)
            return plan
        positions = []
        for placeholder in self._placeholders:
            found = [i for i, value in enumerate(params) if type(value) is type(placeholder) and value == placeholder]
            if len(found) != 1:
                raise ValueError(f"CompiledQuery: placeholder {placeholder!r} found {len(found)} times in the parameters")
            positions.append(found[0])
        plan.sql, plan.params, plan.positions = sql, tuple(params), tuple(positions)
        select, klass_info = compiler.select, compiler.klass_info
        fields = [s[0] for s in select[0:compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("CompiledQuery: composite fields are not supported")
        plan.compiler, plan.converters = compiler, compiler.get_converters(fields)
        plan.model = klass_info["model"]
        select_fields = klass_info["select_fields"]
        plan.start, plan.end = select_fields[0], select_fields[-1] + 1
        plan.init_list = [f[0].target.attname for f in select[plan.start:plan.end]]
        plan.populators = get_related_populators(klass_info, select, db)
        plan.annotations = tuple(compiler.annotation_col_map.items())
        self._store(key, plan)
        return plan

    def _store(self, key: tuple[str, int], plan: _Plan) -> None:
        with self._lock:
            if len(self._plans) > 64:  # connections of finished threads
                self._plans.clear()
            self._plans[key] = plan

    def all(self, *values: int | str) -> list[Any]:
        if not enabled():
            return list(self._build(*values))
        db = self._db()
        plan = self._plan(db)
        if plan.sql is None:
            return []
        params = list(plan.params)
        for position, value in zip(plan.positions, values, strict=True):
            params[position] = value
        with plan.connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        out = []
        model, init_list, start, end = plan.model, plan.init_list, plan.start, plan.end
        for row in rows:
            obj = model.from_db(db, init_list, row[start:end])
            for populator in plan.populators:
                populator.populate(row, obj)
            for name, position in plan.annotations:
                setattr(obj, name, row[position])
            out.append(obj)
        return out

    def get(self, *values: int | str) -> Any:
        """The one row, or the model's DoesNotExist / MultipleObjectsReturned as ``QuerySet.get`` raises them."""
        if not enabled():
            return self._build(*values).get()
        found = self.all(*values)
        if len(found) == 1:
            return found[0]
        model = self._plan(self._db()).model
        if not found:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name} -- it returned {len(found)}!")


def prefetch_rows(instance: Model, name: str, query: CompiledQuery, *values: int | str) -> None:
    """Fill ``instance``'s prefetch cache for the many-valued relation ``name`` with the rows of
    ``query`` (which must select exactly what ``getattr(instance, name).all()`` selects), as
    ``prefetch_related(name)`` would; a relation already prefetched is left as it is.
    Plain path: ``prefetch_related_objects([instance], name)``."""
    if not enabled():
        prefetch_related_objects([instance], name)
        return
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    if name not in cache:
        related = getattr(instance, name).get_queryset()
        related._result_cache = query.all(*values)
        related._prefetch_done = True
        cache[name] = related
