"""API v1: product models, sales orders with lines, units (with warranty), service contracts.

Reads go through the access gate; writes go through assets.services.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.api import (
    GatedModelViewSet,
    GatedRelatedField,
    PlausibleDateField,
    VersionedModelSerializer,
    visible,
)
from serviceloop.customers.models import Customer, Site

from . import selectors, services
from .choices import WarrantyBasis, WarrantyState
from .filters import ContractFilter, ProductModelFilter, SalesOrderFilter, UnitFilter
from .models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit
from .warranty import warranty_state

TIMESTAMPS = ["created_at", "updated_at"]


def _prefix_search(*fields: str):
    def search(queryset, text):
        from django.db.models import Q

        condition = Q()
        for field in fields:
            condition |= Q(**{field: text})
        return queryset.filter(condition)

    return search


# --- product models --------------------------------------------------------------------------


class ProductModelSerializer(VersionedModelSerializer):
    class Meta:
        model = ProductModel
        fields = ["id", "code", "name", "service_class", "warranty_months", "description", "active", "version",
                  *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class ProductModelViewSet(GatedModelViewSet):
    """产品型号: service class and warranty months."""

    model = ProductModel
    serializer_class = ProductModelSerializer
    filterset_class = ProductModelFilter
    search_fields = ["code", "name"]
    search_function = staticmethod(_prefix_search("code__istartswith", "name__icontains"))
    ordering_fields = ["code", "name", "service_class", "warranty_months"]
    ordering = ["code"]
    save_service = staticmethod(services.product_model_save)


# --- sales orders ----------------------------------------------------------------------------


class SalesOrderLineSerializer(serializers.ModelSerializer):
    product_model = GatedRelatedField(queryset=ProductModel.objects.all())
    serial_numbers = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20_000,
        help_text=_("One per line or separated by commas."),
    )

    class Meta:
        model = SalesOrderLine
        fields = ["id", "line_no", "product_model", "quantity", "serial_numbers"]
        read_only_fields = ["id", "line_no"]
        extra_kwargs = {"quantity": {"max_value": 100_000}}


class _NumberedSerializer(VersionedModelSerializer):
    """``number`` may be left empty on create (numbered automatically); empty on update keeps it."""

    def validate_number(self, value: str) -> str:
        if not value.strip() and self.instance is not None:
            return self.instance.number
        return value


class SalesOrderSerializer(_NumberedSerializer):
    number = serializers.CharField(
        max_length=40, required=False, allow_blank=True,
        help_text=_("Leave empty to number the order automatically."),
    )
    customer = GatedRelatedField(queryset=Customer.objects.all())
    lines = SalesOrderLineSerializer(
        many=True, required=False,
        help_text=_("When given, replaces all lines of the order; leave it out to keep them."),
    )

    class Meta:
        model = SalesOrder
        fields = ["id", "number", "customer", "order_date", "note", "lines", "version", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class SalesOrderApiFilter(SalesOrderFilter):
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))

    class Meta(SalesOrderFilter.Meta):
        fields = ["customer", *SalesOrderFilter.Meta.fields]


class SalesOrderViewSet(GatedModelViewSet):
    """销售单 (SO) with its lines. Search: SO number prefix or customer name."""

    model = SalesOrder
    serializer_class = SalesOrderSerializer
    filterset_class = SalesOrderApiFilter
    search_fields = ["number", "customer__name"]
    search_function = staticmethod(_prefix_search("number__istartswith", "customer__name__icontains"))
    ordering_fields = ["number", "order_date", "updated_at"]
    ordering = ["-order_date", "-id"]
    save_service = staticmethod(services.sales_order_save)
    service_fields = ("lines",)
    scope_error_field = "customer"

    def base_queryset(self):
        return SalesOrder.objects.select_related("customer").prefetch_related("lines")


# --- units -----------------------------------------------------------------------------------


class UnitSerializer(VersionedModelSerializer):
    product_model = GatedRelatedField(queryset=ProductModel.objects.all())
    customer = GatedRelatedField(queryset=Customer.objects.all(), allow_null=True, required=False)
    site = GatedRelatedField(queryset=Site.objects.all(), allow_null=True, required=False)
    so_line = GatedRelatedField(queryset=SalesOrderLine.objects.all(), allow_null=True, required=False)
    sales_order_number = serializers.CharField(source="so_line.order.number", read_only=True, allow_null=True)
    warranty_basis = serializers.ChoiceField(choices=WarrantyBasis.choices, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "serial_number", "product_model", "customer", "site", "so_line", "sales_order_number",
                  "status", "ship_date", "install_date", "acceptance_date", "warranty_basis", "warranty_start",
                  "warranty_end", "note", "version", *TIMESTAMPS]
        read_only_fields = ["warranty_start", "warranty_end", *TIMESTAMPS]


class UnitApiFilter(UnitFilter):
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))
    site = django_filters.ModelChoiceFilter(queryset=visible(Site))

    class Meta(UnitFilter.Meta):
        fields = ["customer", "site", *UnitFilter.Meta.fields]


class WarrantyQuerySerializer(serializers.Serializer):
    on = PlausibleDateField(required=False, help_text=_("The date to judge; today when left out."))


class WarrantySerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    on = serializers.DateField()
    state = serializers.ChoiceField(choices=WarrantyState.choices)
    label = serializers.CharField()
    reason = serializers.CharField()
    warranty_end = serializers.DateField(allow_null=True)
    contract = serializers.CharField(allow_null=True, help_text=_("The contract that applies, by number."))
    contracts = serializers.ListField(child=serializers.CharField(), help_text=_("All contracts in force on the date."))


class UnitViewSet(GatedModelViewSet):
    """设备 by serial number. Search: serial-number prefix, customer name/code, contact phone."""

    model = Unit
    serializer_class = UnitSerializer
    filterset_class = UnitApiFilter
    search_fields = ["serial_number"]
    search_function = staticmethod(selectors.unit_search)
    ordering_fields = ["id", "serial_number", "ship_date", "warranty_end", "updated_at"]
    ordering = ["-id"]
    save_service = staticmethod(services.unit_save)
    scope_error_field = "customer"

    def base_queryset(self):
        return Unit.objects.select_related("product_model", "so_line__order")

    @extend_schema(
        parameters=[OpenApiParameter("on", type=OpenApiTypes.DATE, required=False,
                                     description=str(_("The date to judge; today when left out.")))],
        responses={200: WarrantySerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def warranty(self, request, pk=None):
        """保修状态 on a date: in warranty / under contract / chargeable, and why."""
        unit = self.get_object()
        query = WarrantyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        verdict = warranty_state(unit, on)
        data = {
            "unit": unit.pk,
            "on": on,
            "state": verdict.state,
            "label": verdict.label,
            "reason": verdict.reason,
            "warranty_end": verdict.warranty_end,
            "contract": verdict.contract.number if verdict.contract else None,
            "contracts": [c.number for c in verdict.contracts],
        }
        return Response(WarrantySerializer(data).data)


# --- service contracts -----------------------------------------------------------------------


class ServiceContractSerializer(_NumberedSerializer):
    number = serializers.CharField(
        max_length=40, required=False, allow_blank=True,
        help_text=_("Leave empty to number the contract automatically."),
    )
    customer = GatedRelatedField(queryset=Customer.objects.all())
    units = GatedRelatedField(
        queryset=Unit.objects.all(), many=True, required=False,
        help_text=_("Ids of the covered units; when given, replaces the list."),
    )

    class Meta:
        model = ServiceContract
        fields = ["id", "number", "customer", "title", "start_date", "end_date", "covers_parts", "covers_labour",
                  "covers_onsite", "covers_preventive", "sla_level", "price", "units", "note", "version",
                  *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class ContractApiFilter(ContractFilter):
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))
    unit = django_filters.ModelChoiceFilter(field_name="units", queryset=visible(Unit))

    class Meta(ContractFilter.Meta):
        fields = ["customer", "unit", *ContractFilter.Meta.fields]


class ServiceContractViewSet(GatedModelViewSet):
    """服务合同/维保协议 with the units they cover."""

    model = ServiceContract
    serializer_class = ServiceContractSerializer
    filterset_class = ContractApiFilter
    search_fields = ["number", "title", "customer__name"]
    search_function = staticmethod(_prefix_search("number__istartswith", "title__icontains",
                                                  "customer__name__icontains"))
    ordering_fields = ["number", "start_date", "end_date", "price"]
    ordering = ["-start_date", "-id"]
    save_service = staticmethod(services.contract_save)
    service_fields = ("units",)
    scope_error_field = "customer"

    def base_queryset(self):
        return ServiceContract.objects.select_related("customer").prefetch_related("units")
