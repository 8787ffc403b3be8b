"""Serializer fields built once per class: DRF's ``Serializer.fields`` deep-copies every declared
field and, for a ModelSerializer, builds ~50 fields from the model's metadata on every serializer
instance — more time than the intake itself. ``BuiltOnceFields`` keeps the fields ``get_fields``
returns on the class and gives each instance shallow copies (binding sets attributes on the copy
only; the fields keep no other state).

DRF internals used: ``Serializer.get_fields`` returning fresh unbound fields that ``Serializer.fields``
then binds (``Field.bind`` sets ``field_name``/``parent`` on the instance), and fields being plain
objects whose whole state is their ``__dict__`` (``_kwargs``, ``_args``, validators, ...).

Plain path (fast paths off, asked on each ``get_fields``): DRF's own ``get_fields``.
"""

from __future__ import annotations

from rest_framework import serializers

from . import enabled


def shallow_copy(field: serializers.Field) -> serializers.Field:
    """``copy.copy(field)`` in a third of the time (fields are plain objects with a ``__dict__``)."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


class BuiltOnceFields:
    """Mix in before the DRF serializer class: fields deep-copied from the declarations once per class,
    then shallow-copied per instance."""

    def get_fields(self):
        if not enabled():
            return super().get_fields()
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built  # type: ignore[attr-defined]
        return {name: shallow_copy(field) for name, field in built.items()}
