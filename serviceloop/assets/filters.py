import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.accounts.models import Branch
from serviceloop.core.filters import StyledFilterSet
from serviceloop.customers.models import Customer

from .choices import ServiceClass, UnitStatus, WarrantyState
from .models import ProductModel, SalesOrder, ServiceContract, Unit


class UnitFilter(StyledFilterSet):
    product_model = django_filters.ModelChoiceFilter(label=_("product model"), queryset=ProductModel.objects.all(),
                                                     empty_label=_("all"))
    service_class = django_filters.ChoiceFilter(label=_("service class"), field_name="product_model__service_class",
                                                choices=ServiceClass.choices, empty_label=_("all"))
    branch = django_filters.ModelChoiceFilter(label=_("branch"), field_name="customer__branch",
                                              queryset=Branch.objects.all(), empty_label=_("all"),
                                              method="filter_branch")
    status = django_filters.ChoiceFilter(label=_("status"), choices=UnitStatus.choices, empty_label=_("all"))
    warranty = django_filters.ChoiceFilter(label=_("warranty state"), choices=WarrantyState.choices,
                                           method="filter_warranty", empty_label=_("all"))

    class Meta:
        model = Unit
        fields = ["product_model", "service_class", "branch", "status", "warranty"]

    def filter_branch(self, queryset, name, value):
        # EXISTS (not a join): the database walks the units newest first and checks each one's customer,
        # instead of collecting every unit of the branch and sorting them (bench/RESULTS.md)
        if not value:
            return queryset
        return queryset.filter(Exists(Customer.objects.filter(pk=OuterRef("customer_id"), branch=value)))

    def filter_warranty(self, queryset, name, value):
        today = timezone.localdate()
        in_warranty = Q(warranty_start__lte=today, warranty_end__gte=today)
        if value == WarrantyState.IN_WARRANTY:
            return queryset.filter(in_warranty)
        # a correlated EXISTS per unit (index on the link table's unit_id) rather than the set of all
        # units under an active contract, which is built in full before the first row is returned
        under_contract = Exists(Unit.contracts.through.objects.filter(
            unit_id=OuterRef("pk"), servicecontract__start_date__lte=today, servicecontract__end_date__gte=today
        ))
        if value == WarrantyState.CONTRACT:
            return queryset.exclude(in_warranty).filter(under_contract)
        if value == WarrantyState.CHARGEABLE:
            return queryset.exclude(in_warranty).exclude(under_contract)
        return queryset


class SalesOrderFilter(StyledFilterSet):
    branch = django_filters.ModelChoiceFilter(label=_("branch"), field_name="customer__branch",
                                              queryset=Branch.objects.all(), empty_label=_("all"))
    order_date_from = django_filters.DateFilter(label=_("from"), field_name="order_date", lookup_expr="gte")
    order_date_to = django_filters.DateFilter(label=_("to"), field_name="order_date", lookup_expr="lte")

    class Meta:
        model = SalesOrder
        fields = ["branch", "order_date_from", "order_date_to"]


class ContractFilter(StyledFilterSet):
    ACTIVE_CHOICES = [("active", _("in force today")), ("expired", _("expired")), ("future", _("not yet started"))]
    state = django_filters.ChoiceFilter(label=_("period"), choices=ACTIVE_CHOICES, method="filter_state",
                                        empty_label=_("all"))
    branch = django_filters.ModelChoiceFilter(label=_("branch"), field_name="customer__branch",
                                              queryset=Branch.objects.all(), empty_label=_("all"))

    class Meta:
        model = ServiceContract
        fields = ["state", "branch", "sla_level"]

    def filter_state(self, queryset, name, value):
        today = timezone.localdate()
        if value == "active":
            return queryset.filter(start_date__lte=today, end_date__gte=today)
        if value == "expired":
            return queryset.filter(end_date__lt=today)
        if value == "future":
            return queryset.filter(start_date__gt=today)
        return queryset


class ProductModelFilter(StyledFilterSet):
    service_class = django_filters.ChoiceFilter(label=_("service class"), choices=ServiceClass.choices,
                                                empty_label=_("all"))

    class Meta:
        model = ProductModel
        fields = ["service_class", "active"]
