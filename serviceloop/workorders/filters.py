"""Filters of work orders, help requests, service reports, work reports and fee lines: one filter set per
model, used by the web lists and by the API (``filterset_class``), and the search functions they share.

The API offers every filter of a set. A web list shows the filters named in the set's ``list_filters``
in its filter bar (``ListSpec(filterset_class=WorkOrderFilter.for_list)``); the others are left out there,
as the service request list leaves out the branch for scoped users. Labels come from the models'
verbose names (no label declared: the OpenAPI schema gets no extra description).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from serviceloop.accounts.models import Branch
from serviceloop.assets.models import Unit
from serviceloop.core.api import visible
from serviceloop.core.filters import StyledFilterSet
from serviceloop.customers.models import Customer
from serviceloop.service.models import ServiceRequest

from .choices import FeeKind, HelpRequestStatus, ReportStatus, WorkOrderStatus, WorkResult
from .models import FeeLine, HelpRequest, ServiceReport, WorkOrder, WorkReport

# ---------------------------------------------------------------- search (the lists' box, the API's ?search=)


def work_order_search(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(
        Q(number__istartswith=text) | Q(service_request__number__istartswith=text) | Q(customer__name__icontains=text)
        | Q(customer__code__istartswith=text) | Q(unit__serial_number__istartswith=text)
    )


def help_search(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(Q(number__istartswith=text) | Q(work_order__number__istartswith=text)
                           | Q(work_order__customer__name__icontains=text))


def number_search(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(number__istartswith=text)


# ---------------------------------------------------------------- the shared base


class OneOfSelect(forms.Select):
    """One select with an "all" option for a filter that takes several values (``?status=a&status=b``
    in the API): the filter bar picks one, the URL may carry several; "all" (empty) filters nothing."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = (), empty_label: Any = None):
        super().__init__(attrs, choices)
        self.empty_label = empty_label if empty_label is not None else gettext_lazy("all")

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [v for v in values if v not in (None, "")]

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> list[Any]:
        chosen = [v for v in value if v]
        blank = self.create_option(name, "", self.empty_label, not chosen, 0, attrs=attrs)
        return [(None, [blank], 0), *super().optgroups(name, chosen, attrs)]


def _model_field(model: Any, name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


class SharedFilterSet(StyledFilterSet):
    """A filter set for the API (every filter) and a web list (``list_filters`` in its filter bar)."""

    list_filters: tuple[str, ...] = ()

    def __init__(self, *args: Any, only: tuple[str, ...] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if only is not None:
            for name in [name for name in self.filters if name not in only]:
                self.filters.pop(name)
                self.form.fields.pop(name, None)
            for name, field in self.form.fields.items():
                # the filter bar's words, as on the other lists: the model field's verbose name as it is
                # (django-filter's own label capitalises it)
                if self.base_filters[name].label is None:
                    model_field = _model_field(self._meta.model, self.filters[name].field_name)
                    if model_field is not None:
                        field.label = model_field.verbose_name

    @classmethod
    def for_list(cls, *args: Any, **kwargs: Any) -> SharedFilterSet:
        """The set as a web list uses it (``ListSpec.filterset_class``): the filter bar's filters only."""
        return cls(*args, only=cls.list_filters, **kwargs)


# ---------------------------------------------------------------- one filter set per model


class WorkOrderFilter(SharedFilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))
    unit = django_filters.ModelChoiceFilter(queryset=visible(Unit))
    service_request = django_filters.ModelChoiceFilter(queryset=visible(ServiceRequest))
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.all())
    status = django_filters.MultipleChoiceFilter(choices=WorkOrderStatus.choices, widget=OneOfSelect)
    result = django_filters.ChoiceFilter(choices=WorkResult.choices)
    planned_from = django_filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    planned_to = django_filters.DateFilter(field_name="planned_date", lookup_expr="lte")

    list_filters = ("status", "chargeable")

    class Meta:
        model = WorkOrder
        fields = ["customer", "unit", "service_request", "branch", "status", "result", "chargeable"]


class HelpRequestFilter(SharedFilterSet):
    work_order = django_filters.ModelChoiceFilter(queryset=visible(WorkOrder))
    status = django_filters.ChoiceFilter(choices=HelpRequestStatus.choices, empty_label=gettext_lazy("all"))

    list_filters = ("status",)

    class Meta:
        model = HelpRequest
        fields = ["work_order", "status"]


class ServiceReportFilter(SharedFilterSet):
    work_order = django_filters.ModelChoiceFilter(queryset=visible(WorkOrder))
    unit = django_filters.ModelChoiceFilter(field_name="work_order__unit", queryset=visible(Unit))
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = ServiceReport
        fields = ["work_order", "unit", "status", "satisfied"]


class WorkReportFilter(SharedFilterSet):
    work_order = django_filters.ModelChoiceFilter(queryset=visible(WorkOrder))

    class Meta:
        model = WorkReport
        fields = ["work_order"]


class FeeLineFilter(SharedFilterSet):
    work_order = django_filters.ModelChoiceFilter(queryset=visible(WorkOrder))
    kind = django_filters.ChoiceFilter(choices=FeeKind.choices)

    class Meta:
        model = FeeLine
        fields = ["work_order", "kind"]
