"""Old API input names still accepted for one release after a rename (README, "API changes").

Used by the API's ``_input`` (request bodies) and by the filter backend (query parameters); the
schema shows only the new names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

# Input names renamed and still accepted for one release (README, "API changes"): old name -> new name.
# 0.2 renamed the ServiceRequest foreign key ``request`` to ``service_request``; ``request`` goes in 0.3.
RENAMED_INPUTS = {"request": "service_request"}


def current_names(data: Any, known: Any) -> Any:
    """``data`` (a dict or a QueryDict) with each old input name replaced by its new one, where ``known``
    (field or filter names) has the new name and not the old; ``data`` itself when nothing is renamed.

    Both names at once is a 400: the caller meant one of them and we cannot tell which.
    """
    if not isinstance(data, Mapping):  # a list or a number: the serializer says what is wrong
        return data
    renames = {old: new for old, new in RENAMED_INPUTS.items()
               if old in data and new in known and old not in known}
    if not renames:
        return data
    both = [old for old, new in renames.items() if new in data]
    if both:
        raise exceptions.ValidationError({
            old: [_("\"%(old)s\" is the old name of \"%(new)s\": give only \"%(new)s\".")
                  % {"old": old, "new": renames[old]}] for old in both
        })
    data = data.copy()
    for old, new in renames.items():
        if hasattr(data, "setlist"):  # QueryDict: keep every value of a repeated parameter
            data.setlist(new, data.getlist(old))
            del data[old]
        else:
            data[new] = data.pop(old)
    return data


class RenamedParamsFilterBackend(DjangoFilterBackend):
    """django-filter's backend that also accepts the old names of renamed filters (RENAMED_INPUTS)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            kwargs["data"] = current_names(kwargs["data"], filterset_class.base_filters)
        return kwargs
