"""API v1: work orders (派工单) with their workflow moves and field records, help requests to HQ
(协作申请单), service reports (售后服务记录单) with signing, PDF and verification, work reports
(售后服务工作报告书) and fee lines.

Reads go through the access gate; every write is one call of a service in workorders.services.
- A record the caller may not see is a 404; one they see but may not act on is a 403 (the service
  decides: dispatch and approval by role, field records by the engineers assigned to the job).
- A wrong state or bad input is a 400 with the service's message; never a 500.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from serviceloop.accounts.models import EngineerProfile, Skill
from serviceloop.core.access import audit_denial, get_for_user
from serviceloop.core.api import (
    DETAIL_SCHEMA,
    FirstRendererNegotiation,
    GatedModelViewSet,
    GatedQuerysetMixin,
    GatedRelatedField,
    VersionedModelSerializer,
    _require,
)
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.step_api import add_step_actions, allowed_steps_field

from . import documents, selectors, services
from .choices import FeeKind, WorkOrderStatus, WorkResult
from .filters import (
    FeeLineFilter,
    HelpRequestFilter,
    ServiceReportFilter,
    WorkOrderFilter,
    WorkReportFilter,
    number_search,
)
from .inputs import (
    REASON,
    TEXT,
    ReportEditSerializer,
    WorkOrderCreateSerializer,
    WorkOrderPlanSerializer,
)
from .models import (
    TRANSITIONS,
    FeeLine,
    HelpRequest,
    LabourEntry,
    ProgressNote,
    ServiceReport,
    SupportConfirmation,
    TestRecord,
    Visit,
    WorkOrder,
    WorkOrderAssignment,
    WorkReport,
)
from .steps import HELP_STEPS, REPORT_STEPS, WORK_ORDER_STEPS

TIMESTAMPS = ["created_at", "updated_at"]
CONFLICT = OpenApiResponse(DETAIL_SCHEMA, description="The record was changed since the version sent.")
PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}


def _user_of(profile: EngineerProfile | None) -> Any:
    return profile.user if profile is not None else None


def _act(request, call: Callable[[], Any]) -> Any:
    """Run a service: its PermissionDenied becomes a 403 with an audit row (ValidationError -> 400 in core)."""
    try:
        return call()
    except DjangoPermissionDenied as exc:
        audit_denial(request, action="change", target=request.path, outcome="forbidden")
        raise exceptions.PermissionDenied(str(exc)) from None


def _precheck(request, *perms: str) -> None:
    """Before reading the body: a role that holds none of ``perms`` gets its 403 (not a 400 about a field
    naming records it cannot see). The service checks again; this only orders the answers."""
    if perms and not any(request.user.has_perm(p) for p in perms):
        audit_denial(request, action="change", target=request.path, outcome="forbidden")
        raise exceptions.PermissionDenied(_("Your role does not allow this."))


def _fetch(request, model, pk, *, queryset=None):
    """The record if the caller may see it; otherwise a 404 (with an audit row)."""
    try:
        return get_for_user(request, model, "view", queryset=queryset, pk=pk)
    except Http404:
        raise exceptions.NotFound() from None


# --- read serializers ------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    engineer_name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrderAssignment
        fields = ["id", "engineer", "engineer_name", "phone", "role", "assigned_at", "accepted_at", "declined_at",
                  "decline_reason", "released_at", "help_request"]
        read_only_fields = fields

    def get_engineer_name(self, obj: WorkOrderAssignment) -> str:
        return str(obj.engineer)

    def get_phone(self, obj: WorkOrderAssignment) -> str:
        return services.engineer_phone(obj.engineer)


class VisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = ["id", "work_order", "engineer", "check_in_at", "check_in_latitude", "check_in_longitude",
                  "check_out_at", "check_out_latitude", "check_out_longitude", "note"]
        read_only_fields = fields


class ProgressNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressNote
        fields = ["id", "work_order", "author", "day", "note", "created_at"]
        read_only_fields = fields


class TestRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = TestRecord
        fields = ["id", "work_order", "item", "result", "passed", "recorded_by", "recorded_at"]
        read_only_fields = fields


class LabourEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LabourEntry
        fields = ["id", "work_order", "engineer", "day", "hours", "note", "recorded_by", "recorded_at"]
        read_only_fields = fields


WO_FIELDS = ["id", "number", "request", "customer", "site", "unit", "branch", "status", "description",
             "work_instruction", "required_skill", "planned_date", "chargeable", "result", "version", *TIMESTAMPS]


class WorkOrderSerializer(serializers.ModelSerializer):
    request_number = serializers.CharField(source="request.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    lead = serializers.SerializerMethodField(help_text=gettext_lazy("The lead engineer's user id."))
    result = serializers.ChoiceField(choices=WorkResult.choices, allow_blank=True, read_only=True)

    class Meta:
        model = WorkOrder
        fields = [*WO_FIELDS[:3], "request_number", "customer", "customer_name", *WO_FIELDS[4:], "lead"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_lead(self, obj: WorkOrder) -> int | None:
        team = getattr(obj, "active_team", None)
        if team is None:
            team = list(obj.assignments.filter(released_at__isnull=True))
        return next((a.engineer_id for a in team if a.role == "lead"), None)


class WorkOrderDetailSerializer(WorkOrderSerializer):
    team = serializers.SerializerMethodField()
    visits = VisitSerializer(many=True, read_only=True)
    progress_notes = ProgressNoteSerializer(many=True, read_only=True)
    tests = TestRecordSerializer(many=True, read_only=True)
    labour = LabourEntrySerializer(many=True, read_only=True)
    allowed_moves = serializers.SerializerMethodField()
    allowed_steps = serializers.SerializerMethodField()
    close_blockers = serializers.SerializerMethodField()

    class Meta(WorkOrderSerializer.Meta):
        fields = [*WorkOrderSerializer.Meta.fields, "dispatched_by", "dispatched_at", "approved_by", "approved_at",
                  "accepted_at", "contacted_at", "arrived_at", "completed_at", "closed_at", "work_done",
                  "parts_used", "escalation_plan", "escalation_planned_at", "billing_sales_order", "cancel_reason",
                  "team", "visits", "progress_notes", "tests", "labour", "allowed_moves", "allowed_steps",
                  "close_blockers"]
        read_only_fields = fields

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_team(self, obj: WorkOrder) -> list[dict[str, Any]]:
        return AssignmentSerializer(services.team(obj), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField(),
                                               help_text=gettext_lazy("Moves the status allows now.")))
    def get_allowed_moves(self, obj: WorkOrder) -> list[str]:
        return [move for move in TRANSITIONS if obj.can(move)]

    @allowed_steps_field(WORK_ORDER_STEPS)
    def get_allowed_steps(self, obj: WorkOrder) -> list[str]:
        return WORK_ORDER_STEPS.allowed_keys(self.context["request"].user, obj)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_close_blockers(self, obj: WorkOrder) -> list[str]:
        return services.close_blockers(obj) if obj.status == WorkOrderStatus.COMPLETED else []


class EngineerRankSerializer(serializers.Serializer):
    engineer = serializers.IntegerField(source="engineer.pk", help_text=gettext_lazy("Engineer profile id."))
    user = serializers.IntegerField(source="engineer.user_id")
    name = serializers.SerializerMethodField()
    total = serializers.IntegerField()
    skill_level = serializers.IntegerField(allow_null=True)
    skill_points = serializers.IntegerField()
    experience_jobs = serializers.IntegerField()
    experience_points = serializers.IntegerField()
    same_branch = serializers.BooleanField()
    headquarters = serializers.BooleanField()
    branch_points = serializers.IntegerField()
    distance_km = serializers.FloatField(allow_null=True)
    same_city = serializers.BooleanField()
    distance_points = serializers.IntegerField()
    open_jobs = serializers.IntegerField()
    load_points = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())

    def get_name(self, obj: selectors.EngineerRank) -> str:
        return str(obj.engineer.user)


# --- work orders -----------------------------------------------------------------------------


def _move_schema(body: Any, summary: str, response: Any = None, code: int = 200):
    return extend_schema(request=body, responses={code: response or WorkOrderDetailSerializer}, summary=summary)


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
        queryset = WorkOrder.objects.select_related("request", "customer").prefetch_related(
            Prefetch("assignments", queryset=team, to_attr="active_team"))
        if self.action == "retrieve":
            queryset = queryset.select_related("unit", "site", "branch").prefetch_related(
                "visits", "progress_notes", "tests", "labour")
        return queryset

    def get_serializer_class(self):
        return WorkOrderDetailSerializer if self.action == "retrieve" else WorkOrderSerializer

    def _detail(self, pk: int) -> Response:
        obj = WorkOrder.objects.select_related("request", "customer").prefetch_related(
            "visits", "progress_notes", "tests", "labour").get(pk=pk)
        return Response(WorkOrderDetailSerializer(obj, context=self.get_serializer_context()).data)

    def _wo(self) -> WorkOrder:
        return _fetch(self.request, WorkOrder, self.kwargs["pk"])

    step_role_refusal = False  # a role without work orders gets 404 like an outsider (as before the steps)

    def step_queryset(self):
        return WorkOrder.objects.select_related("request", "customer", "branch", "updated_by")

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


# --- help requests ---------------------------------------------------------------------------


class SupportConfirmationSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportConfirmation
        fields = ["support_given", "rating", "note", "confirmed_by", "confirmed_at"]
        read_only_fields = fields


class HelpRequestSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    confirmation = serializers.SerializerMethodField()

    class Meta:
        model = HelpRequest
        fields = ["id", "number", "work_order", "work_order_number", "requested_by", "reason", "skill", "skill_note",
                  "status", "decided_by", "decided_at", "decision_note", "hq_engineer", "confirmation", "version",
                  *TIMESTAMPS]
        read_only_fields = fields

    @extend_schema_field(SupportConfirmationSerializer(allow_null=True))
    def get_confirmation(self, obj: HelpRequest) -> dict[str, Any] | None:
        try:
            confirmation = obj.confirmation
        except SupportConfirmation.DoesNotExist:
            return None
        return SupportConfirmationSerializer(confirmation).data


class HelpRequestDetailSerializer(HelpRequestSerializer):
    allowed_steps = serializers.SerializerMethodField()

    class Meta(HelpRequestSerializer.Meta):
        fields = [*HelpRequestSerializer.Meta.fields, "allowed_steps"]
        read_only_fields = fields

    @allowed_steps_field(HELP_STEPS)
    def get_allowed_steps(self, obj: HelpRequest) -> list[str]:
        return HELP_STEPS.allowed_keys(self.context["request"].user, obj)


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


# --- service reports -------------------------------------------------------------------------


class ReportTestSerializer(serializers.Serializer):
    item = serializers.CharField()
    result = serializers.CharField(allow_blank=True)
    passed = serializers.BooleanField()


class ServiceReportSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    tests = ReportTestSerializer(many=True, read_only=True)
    has_signature = serializers.SerializerMethodField()
    result = serializers.ChoiceField(choices=WorkResult.choices, allow_blank=True, read_only=True)

    class Meta:
        model = ServiceReport
        fields = ["id", "number", "work_order", "work_order_number", "status", "fault_description", "work_done",
                  "tests", "parts_used", "labour_hours", "engineers", "result", "signer_name", "signed_at",
                  "satisfied", "unsatisfied_reason", "has_signature", "content_sha256", "pdf_sha256", "version",
                  *TIMESTAMPS]
        read_only_fields = fields

    def get_has_signature(self, obj: ServiceReport) -> bool:
        return bool(obj.signature)


class ServiceReportDetailSerializer(ServiceReportSerializer):
    allowed_steps = serializers.SerializerMethodField()

    class Meta(ServiceReportSerializer.Meta):
        fields = [*ServiceReportSerializer.Meta.fields, "allowed_steps"]
        read_only_fields = fields

    @allowed_steps_field(REPORT_STEPS)
    def get_allowed_steps(self, obj: ServiceReport) -> list[str]:
        return REPORT_STEPS.allowed_keys(self.context["request"].user, obj)


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


class WorkReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkReport
        fields = ["id", "work_order", "fault_phenomenon", "cause_analysis", "actions_taken", "preventive_suggestion",
                  "author", "written_at", "version", *TIMESTAMPS]
        read_only_fields = fields


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


# --- fee lines -------------------------------------------------------------------------------


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

