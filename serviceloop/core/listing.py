"""List pages: search, filters, allow-listed sort, pagination that never counts everything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

COUNT_CAP = 1000
MAX_PAGE = 2000


@dataclass
class Column:
    key: str
    label: Any
    value: Callable[[Any], Any]
    sort: Any = None  # the order_by field (or an F() expression, empty values last) this column sorts by
    export: Callable[[Any], Any] | None = None  # the Excel cell when it is not the page's value (plain text for HTML)


@dataclass
class ListSpec:
    columns: list[Column]
    default_sort: str
    search: Callable[[QuerySet, str], QuerySet] | None = None
    filterset_class: Any = None
    page_size: int = 25
    extra_sorts: dict[str, Any] = field(default_factory=dict)

    @property
    def sorts(self) -> dict[str, Any]:
        out = {c.key: c.sort for c in self.columns if c.sort}
        out.update(self.extra_sorts)
        return out


class ListPage:
    """Applies a ListSpec to a (gate-restricted) queryset for one request."""

    def __init__(self, request: HttpRequest, queryset: QuerySet, spec: ListSpec):
        self.request = request
        self.spec = spec
        params = request.GET
        # control characters (a NUL is refused by PostgreSQL) never reach the search
        self.q = "".join(ch for ch in (params.get("q") or "") if ch.isprintable()).strip()[:100]
        self.filterset = spec.filterset_class(params, queryset=queryset, request=request) if spec.filterset_class else None
        qs = self.filterset.qs if self.filterset is not None and self.filterset.is_valid() else queryset
        if self.filterset is not None and not self.filterset.is_valid():
            qs = queryset.none()
        if self.q and spec.search:
            qs = spec.search(qs, self.q)
        sort = (params.get("sort") or spec.default_sort).strip()
        key = sort.lstrip("-")
        if key not in spec.sorts:
            sort, key = spec.default_sort, spec.default_sort.lstrip("-")
        descending = sort.startswith("-")
        self.sort = ("-" if descending else "") + key
        expr = spec.sorts[key]
        if isinstance(expr, str):
            first: Any = ("-" if descending else "") + expr
        else:  # an expression (e.g. F("due")): empty values sort last either way
            first = expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)
        order = [first, "-pk" if descending else "pk"]
        self.queryset = qs.order_by(*order)
        try:
            self.page = max(1, min(int(params.get("page", "1")), MAX_PAGE))
        except (TypeError, ValueError):
            self.page = 1

    def rows(self) -> list[Any]:
        if not hasattr(self, "_rows"):
            size = self.spec.page_size
            start = (self.page - 1) * size
            fetched = list(self.queryset[start : start + size + 1])
            self._has_next = len(fetched) > size
            self._rows = fetched[:size]
        return self._rows

    @property
    def has_next(self) -> bool:
        """Whether another page follows: one row more than a page was fetched, nothing counted."""
        self.rows()
        return self._has_next

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    def count_label(self) -> str:
        """'1,000+' beyond the cap: a capped count never scans a million rows."""
        n = self.queryset.order_by()[: COUNT_CAP + 1].count()
        return f"{COUNT_CAP:,}+" if n > COUNT_CAP else f"{n:,}"

    def query_string(self, **changes: Any) -> str:
        """The current search, filters and sort, without page and export unless given in ``changes``."""
        params: QueryDict = self.request.GET.copy()
        for name in ("page", "export", "partial"):
            params.pop(name, None)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        return params.urlencode()

    def sort_link(self, key: str) -> str:
        current = self.sort.lstrip("-")
        new = key if current != key or self.sort.startswith("-") else f"-{key}"
        return self.query_string(sort=new, page=None)

    def header(self) -> list[dict[str, Any]]:
        current = self.sort.lstrip("-")
        out = []
        for col in self.spec.columns:
            entry = {"label": col.label, "key": col.key, "sortable": bool(col.sort)}
            if col.sort:
                entry["link"] = self.sort_link(col.key)
                entry["active"] = current == col.key
                entry["descending"] = self.sort.startswith("-")
            out.append(entry)
        return out

    def table(self) -> list[tuple[Any, list[Any]]]:
        return [(row, [col.value(row) for col in self.spec.columns]) for row in self.rows()]
