"""What the work order API modules share: the answers' schemas (conflict, PDF), the service call
(_act: its PermissionDenied a 403 with an audit row) and the gated fetch (_fetch: invisible -> 404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions

from serviceloop.core.access import audit_denial, get_for_user
from serviceloop.core.api import DETAIL_SCHEMA

TIMESTAMPS = ["created_at", "updated_at"]
CONFLICT = OpenApiResponse(DETAIL_SCHEMA, description="The record was changed since the version sent.")
PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}


def _act(request, call: Callable[[], Any]) -> Any:
    """Run a service: its PermissionDenied becomes a 403 with an audit row (ValidationError -> 400 in core)."""
    try:
        return call()
    except DjangoPermissionDenied as exc:
        audit_denial(request, action="change", target=request.path, outcome="forbidden")
        raise exceptions.PermissionDenied(str(exc)) from None


def _fetch(request, model, pk, *, queryset=None):
    """The record if the caller may see it; otherwise a 404 (with an audit row)."""
    try:
        return get_for_user(request, model, "view", queryset=queryset, pk=pk)
    except Http404:
        raise exceptions.NotFound() from None
