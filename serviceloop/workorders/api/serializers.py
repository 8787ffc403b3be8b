"""Read serializers of the work order API: work orders with their team and field records (also the
answers of the declared steps, workorders/steps.py), the engineers' ranking, help requests, service
reports and work reports (with ``allowed_steps`` on the details).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from serviceloop.core.step_api import allowed_steps_field

from .. import selectors, services
from ..choices import ChargePayer, WorkOrderStatus, WorkResult
from ..models import (
    TRANSITIONS,
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
from ..steps import HELP_STEPS, REPORT_STEPS, WORK_ORDER_STEPS
from .common import TIMESTAMPS


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


WO_FIELDS = ["id", "number", "service_request", "customer", "site", "unit", "branch", "status", "description",
             "work_instruction", "required_skill", "planned_date", "chargeable", "result", "version", *TIMESTAMPS]


class WorkOrderSerializer(serializers.ModelSerializer):
    service_request_number = serializers.CharField(source="service_request.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    lead = serializers.SerializerMethodField(help_text=gettext_lazy("The lead engineer's user id."))
    result = serializers.ChoiceField(choices=WorkResult.choices, allow_blank=True, read_only=True)

    class Meta:
        model = WorkOrder
        fields = [*WO_FIELDS[:3], "service_request_number", "customer", "customer_name", *WO_FIELDS[4:], "lead"]
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


class SupportConfirmationSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportConfirmation
        fields = ["support_given", "rating", "note", "confirmed_by", "confirmed_at"]
        read_only_fields = fields


class HelpRequestSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    charge_payer = serializers.ChoiceField(choices=ChargePayer.choices, allow_blank=True, read_only=True)  # "" until charged
    confirmation = serializers.SerializerMethodField()

    class Meta:
        model = HelpRequest
        fields = ["id", "number", "work_order", "work_order_number", "requested_by", "reason", "skill", "skill_note",
                  "status", "decided_by", "decided_at", "decision_note", "hq_engineer", "confirmation",
                  "charge_amount", "charge_basis", "charge_payer", "charged_by", "charged_at", "version",
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


class WorkReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkReport
        fields = ["id", "work_order", "fault_phenomenon", "cause_analysis", "actions_taken", "preventive_suggestion",
                  "author", "written_at", "version", *TIMESTAMPS]
        read_only_fields = fields
