"""API of help requests to headquarters (协作申请单): list, detail, creation, and the declared steps
(approve, reject, confirm: add_step_actions from workorders/steps.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from serviceloop.accounts.models import Skill
from serviceloop.core.api import GatedQuerysetMixin, GatedRelatedField, _require
from serviceloop.core.step_api import add_step_actions

from .. import services
from ..filters import HelpRequestFilter, number_search
from ..inputs import REASON
from ..models import HelpRequest, WorkOrder
from ..steps import HELP_STEPS
from .common import _act
from .serializers import HelpRequestDetailSerializer, HelpRequestSerializer


class HelpRequestCreateSerializer(serializers.Serializer):
    work_order = GatedRelatedField(queryset=WorkOrder.objects.all())
    reason = serializers.CharField(max_length=REASON, allow_blank=True)
    skill = GatedRelatedField(queryset=Skill.objects.all(), required=False, allow_null=True, default=None)
    skill_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")



@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Help requests to headquarters the caller may see")),
    create=extend_schema(request=HelpRequestCreateSerializer, responses={201: HelpRequestSerializer},
                         summary=gettext_lazy("Ask headquarters for an engineer (协作申请单)")),
)
class HelpRequestViewSet(GatedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """协作申请单: a branch asks headquarters for support on a work order."""

    model = HelpRequest
    serializer_class = HelpRequestSerializer
    filterset_class = HelpRequestFilter
    search_fields = ["number"]
    search_function = staticmethod(number_search)
    ordering_fields = ["created_at", "number", "status"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return HelpRequestDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def base_queryset(self):
        return HelpRequest.objects.select_related("work_order", "confirmation")

    def _respond(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        obj = self.base_queryset().get(pk=pk)
        return Response(HelpRequestDetailSerializer(obj, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        _require(request, HelpRequest, "add")
        data = self._input(HelpRequestCreateSerializer)
        obj = _act(request, lambda: services.help_request_create(actor=request.user, **data))
        return self._respond(obj.pk, status.HTTP_201_CREATED)

    step_role_refusal = False  # a role without help requests gets 404 like an outsider

    def step_queryset(self):
        return HelpRequest.objects.select_related("work_order")

    def step_detail(self, pk: int) -> Response:
        return self._respond(pk)


add_step_actions(HelpRequestViewSet, HELP_STEPS, detail_serializer=HelpRequestDetailSerializer)
