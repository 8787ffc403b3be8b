"""API pagination that never counts the whole table (kept apart from api.py: DRF imports it early)."""

from __future__ import annotations

from collections import OrderedDict

from rest_framework import pagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class NoCountPagination(pagination.BasePagination):
    """?page=N&page_size=M; answers next/previous without counting the table."""

    page_size = 50
    max_page_size = 200
    max_page = 10_000

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            self.page = max(1, min(int(request.query_params.get("page", 1)), self.max_page))
        except (TypeError, ValueError):
            self.page = 1
        try:
            size = int(request.query_params.get("page_size", self.page_size))
        except (TypeError, ValueError):
            size = self.page_size
        self.size = max(1, min(size, self.max_page_size))
        start = (self.page - 1) * self.size
        rows = list(queryset[start : start + self.size + 1])
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def _link(self, page: int | None) -> str | None:
        if page is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "page", page)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self._link(self.page + 1 if self.has_next else None)),
                    ("previous", self._link(self.page - 1 if self.page > 1 else None)),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "required": False, "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "page_size", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]


