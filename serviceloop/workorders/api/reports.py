"""API of service reports (售后服务记录单: prepared from the work order, edited, signed, PDF, verified)
and of work reports (售后服务工作报告书, with their PDF).
"""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from serviceloop.core.api import FirstRendererNegotiation, GatedQuerysetMixin, GatedRelatedField, _require
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.step_api import add_step_actions

from .. import documents, services
from ..filters import ServiceReportFilter, WorkReportFilter, number_search
from ..inputs import TEXT, ReportEditSerializer
from ..models import ServiceReport, WorkOrder, WorkReport
from ..steps import REPORT_STEPS
from .common import CONFLICT, PDF_RESPONSE, _act, _fetch
from .serializers import ServiceReportDetailSerializer, ServiceReportSerializer, WorkReportSerializer


class ReportPrepareSerializer(serializers.Serializer):
    work_order = GatedRelatedField(queryset=WorkOrder.objects.all())
    fault_description = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, allow_null=True,
                                              default=None)
    work_done = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, allow_null=True,
                                      default=None)
    parts_used = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, allow_null=True,
                                       default=None)


class VerifyUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False, help_text=gettext_lazy("The PDF to check."))


class VerifyResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField(help_text=gettext_lazy("True when the file is exactly a signed report's PDF."))
    report = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_null=True)
    work_order = serializers.CharField(allow_null=True)
    signer_name = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    pdf_sha256 = serializers.CharField()



@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Service reports the caller may see")),
    create=extend_schema(request=ReportPrepareSerializer, responses={201: ServiceReportSerializer},
                         summary=gettext_lazy("Fill the service report from the work order (again: refresh)")),
    partial_update=extend_schema(request=ReportEditSerializer, responses={200: ServiceReportSerializer,
                                                                          409: CONFLICT},
                                 summary=gettext_lazy("Edit the text of a draft report")),
)
class ServiceReportViewSet(GatedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           viewsets.GenericViewSet):
    """售后服务记录单 (PSR): filled from the work order, signed by the customer on the engineer's phone."""

    model = ServiceReport
    serializer_class = ServiceReportSerializer
    filterset_class = ServiceReportFilter
    search_fields = ["number"]
    search_function = staticmethod(number_search)
    ordering_fields = ["created_at", "number", "signed_at"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return ServiceReportDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def base_queryset(self):
        return ServiceReport.objects.select_related("work_order")

    def _respond(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        obj = self.base_queryset().get(pk=pk)
        return Response(ServiceReportDetailSerializer(obj, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        _require(request, ServiceReport, "add")
        data = self._input(ReportPrepareSerializer)
        obj = _act(request, lambda: services.service_report_prepare(actor=request.user, **data))
        return self._respond(obj.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        """The declared "edit" step of the report (its blocker, then the service), as PATCH of the resource."""
        obj = _fetch(request, ServiceReport, kwargs["pk"], queryset=self.step_queryset())
        data = self._input(ReportEditSerializer)
        _act(request, lambda: REPORT_STEPS.run("edit", request.user, obj, data))
        return self._respond(obj.pk)

    step_role_refusal = False  # a role without service reports gets 404 like an outsider

    def step_queryset(self):
        return ServiceReport.objects.select_related("work_order")

    def step_detail(self, pk: int) -> Response:
        return self._respond(pk)

    @extend_schema(responses=PDF_RESPONSE,
                   summary=gettext_lazy("The signed PDF as stored (a draft: an unsigned preview)"))
    @action(detail=True, methods=["get"], content_negotiation_class=FirstRendererNegotiation, filter_backends=[],
            pagination_class=None)
    def pdf(self, request, pk=None):
        obj = _fetch(request, ServiceReport, pk, queryset=ServiceReport.objects.select_related("work_order"))
        if obj.is_signed and obj.pdf:
            try:
                with obj.pdf.open("rb") as handle:
                    content = handle.read()
            except FileNotFoundError:
                raise exceptions.NotFound(_("The file is missing from storage.")) from None
        else:
            content = documents.service_report_pdf(obj)
        return pdf_bytes_response(content, f"{obj.number}.pdf")

    @extend_schema(request={"multipart/form-data": VerifyUploadSerializer}, responses={200: VerifyResultSerializer},
                   summary=gettext_lazy("Check that a PDF is exactly a signed service report"))
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser], filter_backends=[],
            pagination_class=None)
    def verify(self, request):
        _require(request, ServiceReport, "view")
        data = self._input(VerifyUploadSerializer)
        content = data["file"].read(50 * 1024 * 1024 + 1)
        report = services.service_report_verify(content)
        if report is not None and not ServiceReport.objects.restrict(request.user, "view").filter(
                pk=report.pk).exists():
            report = None  # a report the caller may not see is not confirmed to them
        result = {
            "valid": report is not None,
            "report": report.pk if report else None,
            "number": report.number if report else None,
            "work_order": report.work_order.number if report else None,
            "signer_name": report.signer_name if report else None,
            "signed_at": report.signed_at if report else None,
            "pdf_sha256": hashlib.sha256(content).hexdigest(),
        }
        return Response(VerifyResultSerializer(result).data)


add_step_actions(ServiceReportViewSet, REPORT_STEPS, detail_serializer=ServiceReportDetailSerializer)


# --- work reports ----------------------------------------------------------------------------


class WorkReportInputSerializer(serializers.Serializer):
    work_order = GatedRelatedField(queryset=WorkOrder.objects.all())
    fault_phenomenon = serializers.CharField(max_length=TEXT, allow_blank=True)
    cause_analysis = serializers.CharField(max_length=TEXT, allow_blank=True)
    actions_taken = serializers.CharField(max_length=TEXT, allow_blank=True)
    preventive_suggestion = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")


class WorkReportEditSerializer(serializers.Serializer):
    fault_phenomenon = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    cause_analysis = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    actions_taken = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    preventive_suggestion = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)



@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Service work reports the caller may see")),
    create=extend_schema(request=WorkReportInputSerializer, responses={201: WorkReportSerializer},
                         summary=gettext_lazy("Write the detailed service work report (售后服务工作报告书)")),
    partial_update=extend_schema(request=WorkReportEditSerializer,
                                 responses={200: WorkReportSerializer, 409: CONFLICT},
                                 summary=gettext_lazy("Rewrite parts of the work report")),
)
class WorkReportViewSet(GatedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    """售后服务工作报告书: the detailed report a major fault needs before its work order closes."""

    model = WorkReport
    serializer_class = WorkReportSerializer
    filterset_class = WorkReportFilter
    ordering_fields = ["written_at"]
    ordering = ["-written_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return WorkReport.objects.select_related("work_order")

    def create(self, request, *args, **kwargs):
        _require(request, WorkReport, "add")
        data = self._input(WorkReportInputSerializer)
        report = _act(request, lambda: services.work_report_save(actor=request.user, **data))
        return Response(WorkReportSerializer(report).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        report = _fetch(request, WorkReport, kwargs["pk"], queryset=self.base_queryset())
        data = self._input(WorkReportEditSerializer)
        version = data.pop("version", None)
        values = {name: data.get(name, getattr(report, name)) for name in
                  ("fault_phenomenon", "cause_analysis", "actions_taken", "preventive_suggestion")}
        report = _act(request, lambda: services.work_report_save(actor=request.user, work_order=report.work_order,
                                                                 expected_version=version, **values))
        return Response(WorkReportSerializer(report).data)

    @extend_schema(responses=PDF_RESPONSE, summary=gettext_lazy("售后服务工作报告书 as PDF"))
    @action(detail=True, methods=["get"], content_negotiation_class=FirstRendererNegotiation, filter_backends=[],
            pagination_class=None)
    def pdf(self, request, pk=None):
        report = _fetch(request, WorkReport, pk, queryset=self.base_queryset())
        return pdf_bytes_response(documents.work_report_pdf(report), f"{report.work_order.number}-report.pdf")
