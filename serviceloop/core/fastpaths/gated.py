"""The API's gated foreign keys (``core.api.GatedRelatedField``) looked up through a query compiled once
per serializer field and kind of scope, instead of building and compiling
``get_queryset().get(pk=data)`` on each call; the same records accepted, the same errors otherwise.

DRF internals used: the field's ``_kwargs`` (the queryset it was declared with), ``pk_field``,
``queryset``, ``parent`` and ``field_name``; the serializer class's ``_declared_fields``; the error
keys ``incorrect_type``/``does_not_exist`` of ``PrimaryKeyRelatedField`` (through ``fail``).
Django: ``connection.ops.integer_field_range`` and ``Field.get_prep_value`` for the id; the
compiled query's internals (``compiled.py``).

Plain path (fast paths off, asked on each lookup): ``lookup_for`` returns None and the field does what
``PrimaryKeyRelatedField.to_internal_value`` does through the gate's ``get_queryset``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, models
from rest_framework import serializers

from ..scoping import Scope, has_model_perm, scope_of, scope_q
from . import enabled
from .compiled import CompiledQuery, int_param


class GatedLookup(CompiledQuery):
    """A record by id through the gate for one kind of scope (``scoped``: the scope key is a parameter)."""

    def __init__(self, build, *placeholders, scoped: str | None = None) -> None:
        super().__init__(build, *placeholders)
        self.scoped = scoped


# (serializer class, field name, scope kind) -> the field's lookup through the gate, compiled once
_GATED_LOOKUPS: dict[tuple[type, str, str], GatedLookup] = {}


def lookup_for(field: serializers.PrimaryKeyRelatedField, gate: Callable) -> GatedLookup | None:
    """The compiled lookup when the field is declared on its serializer class with its queryset as is
    and its class keeps ``gate`` (the gated field's own ``get_queryset``); None otherwise or when the
    fast paths are off."""
    if not enabled():
        return None
    parent, request = field.parent, field.context.get("request")
    if (
        request is None or field.pk_field is not None or field.queryset is None
        or field.queryset is not field._kwargs.get("queryset")  # replaced at run time
        or type(field).get_queryset is not gate
        or not isinstance(parent, serializers.Serializer)
        or field.field_name not in type(parent)._declared_fields
        or not isinstance(field.queryset.model._meta.pk, models.AutoField | models.BigAutoField)
    ):
        return None
    scope = scope_of(request.user)
    if scope.kind == "none":
        return None
    key = (type(parent), field.field_name, scope.kind)
    lookup = _GATED_LOOKUPS.get(key)
    if lookup is None:
        base = field.queryset.all()
        model, kind = base.model, scope.kind
        if scope_q(model, scope) is None:  # the scope puts no filter on this model
            lookup = GatedLookup(lambda pk: base.filter(pk=pk), int_param(0))
        else:
            lookup = GatedLookup(lambda pk, key: base.filter(scope_q(model, Scope(kind, key))).filter(pk=pk),
                                 int_param(0), int_param(1), scoped=kind)
        _GATED_LOOKUPS[key] = lookup
    return lookup


def to_internal_value(field: serializers.PrimaryKeyRelatedField, lookup: GatedLookup, data: Any) -> Any:
    """What ``field.get_queryset().get(pk=data)`` finds, or the field's error for ``data``."""
    model = field.queryset.model
    pk_field = model._meta.pk
    try:
        if isinstance(data, bool):
            raise TypeError
        pk = pk_field.get_prep_value(data)
    except (TypeError, ValueError):
        field.fail("incorrect_type", data_type=type(data).__name__)
    low, high = connection.ops.integer_field_range(pk_field.get_internal_type())
    request = field.context["request"]
    scope = scope_of(request.user)
    found = []
    if (low is None or pk >= low) and (high is None or pk <= high) and has_model_perm(request.user, model, "view"):
        found = lookup.all(pk) if lookup.scoped is None else lookup.all(pk, scope.key)
    if len(found) != 1:
        field.fail("does_not_exist", pk_value=data)
    return found[0]
