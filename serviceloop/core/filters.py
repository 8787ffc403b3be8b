"""The filter base every list uses: django-filter's FilterSet with Bootstrap's small controls."""

from __future__ import annotations

import django_filters
from django import forms


class StyledFilterSet(django_filters.FilterSet):
    """Dates as the browser's date picker, everything else as a small select (the list pages' filter bar)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.DateInput):
                field.widget.input_type = "date"
                field.widget.attrs.setdefault("class", "form-control form-control-sm")
            else:
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
