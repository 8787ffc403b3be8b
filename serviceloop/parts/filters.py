import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.filters import StyledFilterSet

from .choices import LocationKind, MoveKind, OldPartStatus, PartCategory, RequisitionStatus, Tracking
from .models import Location, OldPartReturn, Part, Requisition, StockBalance, StockMove


class PartFilter(StyledFilterSet):
    category = django_filters.ChoiceFilter(label=_("category"), choices=PartCategory.choices, empty_label=_("all"))
    tracking = django_filters.ChoiceFilter(label=_("tracking"), choices=Tracking.choices, empty_label=_("all"))

    class Meta:
        model = Part
        fields = ["category", "tracking"]


class LocationFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=LocationKind.choices, empty_label=_("all"))

    class Meta:
        model = Location
        fields = ["kind"]


class BalanceFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(label=_("kind"), field_name="location__kind", choices=LocationKind.choices,
                                       empty_label=_("all"))
    in_stock = django_filters.BooleanFilter(label=_("in stock"), method="filter_in_stock")

    class Meta:
        model = StockBalance
        fields = ["kind"]

    def filter_in_stock(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(on_hand__gt=0) if value else queryset.filter(on_hand=0)


class MoveFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=MoveKind.choices, empty_label=_("all"))

    class Meta:
        model = StockMove
        fields = ["kind"]


class RequisitionFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=RequisitionStatus.choices, empty_label=_("all"))

    class Meta:
        model = Requisition
        fields = ["status"]


class OldPartFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=OldPartStatus.choices, empty_label=_("all"))
    overdue = django_filters.BooleanFilter(label=_("overdue"), method="filter_overdue")

    class Meta:
        model = OldPartReturn
        fields = ["status"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status=OldPartStatus.DUE, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
