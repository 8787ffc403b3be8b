"""API of fee lines: the fees of chargeable jobs (labour, travel, parts).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from serviceloop.core.api import GatedModelViewSet, GatedRelatedField, VersionedModelSerializer

from .. import services
from ..choices import FeeKind
from ..filters import FeeLineFilter
from ..models import FeeLine, WorkOrder
from .common import TIMESTAMPS, _act


class FeeLineSerializer(VersionedModelSerializer):
    work_order = GatedRelatedField(queryset=WorkOrder.objects.all())
    kind = serializers.ChoiceField(choices=FeeKind.choices)

    class Meta:
        model = FeeLine
        fields = ["id", "work_order", "kind", "description", "quantity", "unit_price", "amount", "version",
                  *TIMESTAMPS]
        read_only_fields = ["amount", *TIMESTAMPS]



class FeeLineViewSet(GatedModelViewSet):
    """Fees of chargeable jobs (labour, travel, parts); the amount is quantity x unit price."""

    model = FeeLine
    serializer_class = FeeLineSerializer
    filterset_class = FeeLineFilter
    ordering_fields = ["id", "amount"]
    ordering = ["work_order_id", "id"]
    save_service = staticmethod(services.fee_line_save)
    scope_error_field = "work_order"

    def base_queryset(self):
        return FeeLine.objects.select_related("work_order")

    def _save(self, instance: Any, *, expected_version: int | None, extra: dict[str, Any]) -> Any:
        return _act(self.request, lambda: super(FeeLineViewSet, self)._save(
            instance, expected_version=expected_version, extra=extra))

    def perform_destroy(self, instance):
        _act(self.request, lambda: services.fee_line_delete(actor=self.request.user, fee_line=instance))
