"""API v1 of spare parts: catalogue, locations, stock, the ledger, requisitions (with their declared
steps) and old parts. Reads through the gate; writes through parts.services."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.api import GatedQuerysetMixin, GatedReadOnlyViewSet, GatedRelatedField, _require
from serviceloop.core.step_api import add_step_actions, allowed_steps_field
from serviceloop.workorders.models import WorkOrder

from . import selectors, services
from .choices import LocationKind, MoveKind, OldPartStatus, PartCategory, RequisitionStatus
from .models import Location, OldPartReturn, Part, Requisition, RequisitionLine, StockBalance, StockMove
from .steps import OLD_PART_STEPS, REQUISITION_STEPS


class PartSerializer(serializers.ModelSerializer):
    class Meta:
        model = Part
        fields = ["id", "number", "name", "specification", "unit_of_measure", "category", "tracking",
                  "standard_cost", "sale_price", "supplier", "lead_time_days", "compatible_models", "active", "version"]
        read_only_fields = fields


class PartFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=PartCategory.choices)

    class Meta:
        model = Part
        fields = ["category", "tracking", "active"]


class PartViewSet(GatedReadOnlyViewSet):
    """备件 catalogue."""

    model = Part
    serializer_class = PartSerializer
    filterset_class = PartFilter
    search_fields = ["number", "name"]
    ordering_fields = ["number", "name", "id"]
    ordering = ["number"]

    def base_queryset(self):
        return Part.objects.prefetch_related("compatible_models")


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "code", "name", "kind", "branch", "engineer", "active"]
        read_only_fields = fields


class LocationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LocationKind.choices)

    class Meta:
        model = Location
        fields = ["kind", "branch"]


class LocationViewSet(GatedReadOnlyViewSet):
    model = Location
    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "id"]
    ordering = ["code"]

    def get_queryset(self):
        return selectors.locations_visible_to(self.request.user)


class BalanceSerializer(serializers.ModelSerializer):
    part_number = serializers.CharField(source="part.number", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockBalance
        fields = ["id", "part", "part_number", "location", "location_code", "on_hand", "reserved", "available"]
        read_only_fields = fields


class BalanceViewSet(GatedReadOnlyViewSet):
    """Stock by part and location: on hand, reserved (approved, not issued) and available."""

    model = StockBalance
    serializer_class = BalanceSerializer
    filterset_fields = ["part", "location"]
    search_fields = ["part__number"]
    ordering_fields = ["id", "on_hand"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.balances_visible_to(self.request.user)


class MoveSerializer(serializers.ModelSerializer):
    serials = serializers.SlugRelatedField(slug_field="serial", many=True, read_only=True)

    class Meta:
        model = StockMove
        fields = ["id", "kind", "part", "quantity", "from_location", "to_location", "serials", "requisition",
                  "work_order", "unit", "old_part", "reverses", "note", "by", "at"]
        read_only_fields = fields


class ReceiptSerializer(serializers.Serializer):
    part = GatedRelatedField(queryset=Part.objects.filter(active=True))
    location = GatedRelatedField(queryset=Location.objects.filter(active=True))
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    serials = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list,
                                    max_length=10_000)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReverseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class MoveFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MoveKind.choices)

    class Meta:
        model = StockMove
        fields = ["kind", "part", "work_order", "requisition"]


class MoveViewSet(GatedReadOnlyViewSet):
    """出入库记录: the append-only ledger. A mistake is corrected by ``reverse``, never by editing."""

    model = StockMove
    serializer_class = MoveSerializer
    filterset_class = MoveFilter
    search_fields = ["part__number"]
    ordering_fields = ["at", "id"]
    ordering = ["-at", "-id"]

    def get_queryset(self):
        return selectors.moves_visible_to(self.request.user).prefetch_related("serials")

    @extend_schema(request=ReceiptSerializer, responses={201: MoveSerializer}, summary=_("Receive stock (入库)"))
    @action(detail=False, methods=["post"])
    def receive(self, request):
        _require(request, StockMove, "add")
        data = self._input(ReceiptSerializer)
        move = services.stock_receive(actor=request.user, part=data["part"], location=data["location"],
                                      quantity=data["quantity"], serials=data["serials"], note=data["note"])
        return Response(MoveSerializer(move).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReverseSerializer, responses={201: MoveSerializer}, summary=_("Reverse a move"))
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        move = self.get_object()
        _require(request, StockMove, "add")
        data = self._input(ReverseSerializer)
        reversal = services.move_reverse(actor=request.user, move=move, note=data["note"])
        return Response(MoveSerializer(reversal).data, status=status.HTTP_201_CREATED)


class LineSerializer(serializers.ModelSerializer):
    part_number = serializers.CharField(source="part.number", read_only=True)

    class Meta:
        model = RequisitionLine
        fields = ["id", "part", "part_number", "quantity", "quantity_approved", "quantity_issued", "quantity_fitted",
                  "refusal_reason"]
        read_only_fields = fields


class RequisitionSerializer(serializers.ModelSerializer):
    lines = LineSerializer(many=True, read_only=True)

    class Meta:
        model = Requisition
        fields = ["id", "number", "work_order", "requested_by", "purpose", "status", "source", "target",
                  "decided_by", "decided_at", "refusal_reason", "issued_at", "received_at", "lines", "version",
                  "created_at"]
        read_only_fields = fields


class RequisitionDetailSerializer(RequisitionSerializer):
    allowed_steps = serializers.SerializerMethodField()

    class Meta(RequisitionSerializer.Meta):
        fields = [*RequisitionSerializer.Meta.fields, "allowed_steps"]
        read_only_fields = fields

    @allowed_steps_field(REQUISITION_STEPS)
    def get_allowed_steps(self, obj: Requisition) -> list[str]:
        return REQUISITION_STEPS.allowed_keys(self.context["request"].user, obj)


class NewLineSerializer(serializers.Serializer):
    part = GatedRelatedField(queryset=Part.objects.filter(active=True))
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class RequisitionCreateSerializer(serializers.Serializer):
    work_order = GatedRelatedField(queryset=WorkOrder.objects.all())
    purpose = serializers.CharField(max_length=4000)
    lines = NewLineSerializer(many=True, allow_empty=False, max_length=services.MAX_LINES)


class RequisitionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RequisitionStatus.choices)

    class Meta:
        model = Requisition
        fields = ["status", "work_order"]


class RequisitionViewSet(GatedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    """备件申领单: requested from a work order, approved, issued, received, fitted."""

    model = Requisition
    serializer_class = RequisitionSerializer
    filterset_class = RequisitionFilter
    search_fields = ["number", "work_order__number"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at"]
    step_role_refusal = False

    def base_queryset(self):
        return Requisition.objects.select_related("work_order").prefetch_related("lines__part")

    def get_serializer_class(self):
        return RequisitionDetailSerializer if self.action == "retrieve" else RequisitionSerializer

    @extend_schema(request=RequisitionCreateSerializer, responses={201: RequisitionDetailSerializer})
    def create(self, request, *args, **kwargs):
        _require(request, Requisition, "add")
        data = self._input(RequisitionCreateSerializer)
        requisition = services.requisition_create(
            actor=request.user, work_order=data["work_order"], purpose=data["purpose"],
            lines=[(line["part"], line["quantity"]) for line in data["lines"]])
        return Response(RequisitionDetailSerializer(self.base_queryset().get(pk=requisition.pk),
                                                    context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    def step_queryset(self):
        return self.base_queryset()

    def step_detail(self, pk: int) -> Response:
        return Response(RequisitionDetailSerializer(self.base_queryset().get(pk=pk),
                                                    context=self.get_serializer_context()).data)


add_step_actions(RequisitionViewSet, REQUISITION_STEPS, detail_serializer=RequisitionDetailSerializer)


class OldPartSerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = OldPartReturn
        fields = ["id", "work_order", "part", "serial", "quantity", "engineer", "due_date", "status", "overdue",
                  "received_by", "received_at", "location", "version"]
        read_only_fields = fields


class OldPartDetailSerializer(OldPartSerializer):
    allowed_steps = serializers.SerializerMethodField()

    class Meta(OldPartSerializer.Meta):
        fields = [*OldPartSerializer.Meta.fields, "allowed_steps"]
        read_only_fields = fields

    @allowed_steps_field(OLD_PART_STEPS)
    def get_allowed_steps(self, obj: OldPartReturn) -> list[str]:
        return OLD_PART_STEPS.allowed_keys(self.context["request"].user, obj)


class OldPartFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OldPartStatus.choices)

    class Meta:
        model = OldPartReturn
        fields = ["status", "work_order", "engineer"]


class OldPartViewSet(GatedReadOnlyViewSet):
    """旧件回收: old parts owed back to quarantine by their due date."""

    model = OldPartReturn
    serializer_class = OldPartSerializer
    filterset_class = OldPartFilter
    search_fields = ["part__number", "serial"]
    ordering_fields = ["due_date", "id"]
    ordering = ["due_date"]
    step_role_refusal = False

    def get_queryset(self):
        return selectors.old_parts_visible_to(self.request.user)

    def get_serializer_class(self):
        return OldPartDetailSerializer if self.action == "retrieve" else OldPartSerializer

    def step_queryset(self):
        return OldPartReturn.objects.select_related("part", "work_order")

    def step_detail(self, pk: int) -> Response:
        obj = OldPartReturn.objects.get(pk=pk)
        return Response(OldPartDetailSerializer(obj, context=self.get_serializer_context()).data)


add_step_actions(OldPartViewSet, OLD_PART_STEPS, detail_serializer=OldPartDetailSerializer)
