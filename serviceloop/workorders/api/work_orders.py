"""API of work orders (派工单): list, detail, creation from a request, the planning PATCH, the ranking,
the PDFs, and one action per declared step (add_step_actions, from workorders/steps.py).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.access import audit_denial
from serviceloop.core.api import FirstRendererNegotiation, GatedQuerysetMixin, _require
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.step_api import add_step_actions

from .. import documents, selectors, services
from ..filters import WorkOrderFilter, number_search
from ..inputs import WorkOrderCreateSerializer, WorkOrderPlanSerializer
from ..models import FeeLine, WorkOrder, WorkOrderAssignment
from ..steps import WORK_ORDER_STEPS
from .common import CONFLICT, PDF_RESPONSE, _act, _fetch
from .serializers import EngineerRankSerializer, WorkOrderDetailSerializer, WorkOrderSerializer


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Work orders the caller may see")),
    retrieve=extend_schema(summary=gettext_lazy("One work order with its team, visits and field records")),
    create=extend_schema(request=WorkOrderCreateSerializer, responses={201: WorkOrderDetailSerializer},
                         summary=gettext_lazy("Create a work order from a service request")),
    partial_update=extend_schema(request=WorkOrderPlanSerializer,
                                 responses={200: WorkOrderDetailSerializer, 409: CONFLICT},
                                 summary=gettext_lazy("Change the planning data")),
)
class WorkOrderViewSet(GatedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """派工单 (WO). Search: work order number prefix."""

    model = WorkOrder
    serializer_class = WorkOrderSerializer
    filterset_class = WorkOrderFilter
    search_fields = ["number"]
    search_function = staticmethod(number_search)
    ordering_fields = ["created_at", "planned_date", "number", "status", "updated_at"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        team = WorkOrderAssignment.objects.filter(released_at__isnull=True).select_related("engineer")
        queryset = WorkOrder.objects.select_related("service_request", "customer").prefetch_related(
            Prefetch("assignments", queryset=team, to_attr="active_team"))
        if self.action == "retrieve":
            queryset = queryset.select_related("unit", "site", "branch").prefetch_related(
                "visits", "progress_notes", "tests", "labour")
        return queryset

    def get_serializer_class(self):
        return WorkOrderDetailSerializer if self.action == "retrieve" else WorkOrderSerializer

    def _detail(self, pk: int) -> Response:
        obj = WorkOrder.objects.select_related("service_request", "customer").prefetch_related(
            "visits", "progress_notes", "tests", "labour").get(pk=pk)
        return Response(WorkOrderDetailSerializer(obj, context=self.get_serializer_context()).data)

    def _wo(self) -> WorkOrder:
        return _fetch(self.request, WorkOrder, self.kwargs["pk"])

    step_role_refusal = False  # a role without work orders gets 404 like an outsider (as before the steps)

    def step_queryset(self):
        return WorkOrder.objects.select_related("service_request", "customer", "branch", "updated_by")

    def step_detail(self, pk: int) -> Response:
        return self._detail(pk)

    def create(self, request, *args, **kwargs):
        _require(request, WorkOrder, "add")
        data = self._input(WorkOrderCreateSerializer)
        obj = _act(request, lambda: services.work_order_create(actor=request.user, **data))
        response = self._detail(obj.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    def partial_update(self, request, *args, **kwargs):
        """The declared "edit" step (its blocker, then the service), as PATCH of the resource."""
        obj = self._wo()
        blocked = WORK_ORDER_STEPS.blocked("edit", request.user, obj)
        if blocked is not None and blocked.forbidden:
            audit_denial(request, action="change", target=request.path, outcome="forbidden")
            raise exceptions.PermissionDenied(blocked.reason)
        data = self._input(WorkOrderPlanSerializer)
        _act(request, lambda: WORK_ORDER_STEPS.run("edit", request.user, obj, data))
        return self._detail(obj.pk)

    def update(self, request, *args, **kwargs):  # PUT is not offered (http_method_names)
        raise exceptions.MethodNotAllowed(request.method)

    # --- reads beside the steps (the steps' actions come from steps.py: add_step_actions below) ----

    @extend_schema(responses={200: EngineerRankSerializer(many=True)},
                   summary=gettext_lazy("Engineers ranked for this work order, with the parts of each score"))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def ranking(self, request, pk=None):
        obj = self._wo()
        if not request.user.has_perm(services.PERM_DISPATCH):
            audit_denial(request, action="view", target=request.path, outcome="forbidden")
            raise exceptions.PermissionDenied(_("Only a dispatcher may rank engineers."))
        obj = WorkOrder.objects.select_related("unit", "site", "customer", "required_skill").get(pk=obj.pk)
        return Response(EngineerRankSerializer(selectors.rank_engineers(request.user, obj), many=True).data)

    # --- print-outs -----------------------------------------------------------------------------

    @extend_schema(responses=PDF_RESPONSE, summary=gettext_lazy("派工单 as PDF"))
    @action(detail=True, methods=["get"], content_negotiation_class=FirstRendererNegotiation, filter_backends=[],
            pagination_class=None)
    def pdf(self, request, pk=None):
        obj = self._wo()
        return pdf_bytes_response(documents.work_order_pdf(obj), f"{obj.number}.pdf")

    @extend_schema(responses=PDF_RESPONSE, summary=gettext_lazy("费用结算单 (fee statement) as PDF"))
    @action(detail=True, methods=["get"], url_path="fee-statement", content_negotiation_class=FirstRendererNegotiation,
            filter_backends=[], pagination_class=None)
    def fee_statement(self, request, pk=None):
        obj = self._wo()
        _require(request, FeeLine, "view")
        return pdf_bytes_response(documents.fee_statement_pdf(obj), f"{obj.number}-fees.pdf")


add_step_actions(WorkOrderViewSet, WORK_ORDER_STEPS, detail_serializer=WorkOrderDetailSerializer)
