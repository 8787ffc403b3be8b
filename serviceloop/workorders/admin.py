"""Admin: work orders and their records are read here; every change goes through workorders.services
(the workflow, numbering, SLA clocks and signatures are not edited by hand)."""

from __future__ import annotations

from django.contrib import admin

from serviceloop.core.admin import (
    BigTableAdminMixin,
    ReadOnlyAdminMixin,
    ServiceLoopAdmin,
    ServiceLoopHistoryAdmin,
)

from .models import (
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


class AssignmentInline(admin.TabularInline):
    model = WorkOrderAssignment
    extra = 0
    can_delete = False
    fields = ("engineer", "role", "assigned_at", "accepted_at", "declined_at", "decline_reason", "released_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class VisitInline(admin.TabularInline):
    model = Visit
    extra = 0
    can_delete = False
    fields = ("engineer", "check_in_at", "check_out_at", "check_in_latitude", "check_in_longitude")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "status", "customer", "unit", "branch", "planned_date", "result", "chargeable")
    list_filter = ("status", "result", "chargeable", "branch")
    list_select_related = ("customer", "unit", "branch")
    search_fields = ("=number", "^customer__code", "customer__name", "^unit__serial_number")
    date_hierarchy = "created_at"
    inlines = [AssignmentInline, VisitInline]


@admin.register(HelpRequest)
class HelpRequestAdmin(ReadOnlyAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "status", "work_order", "requested_by", "hq_engineer", "created_at")
    list_filter = ("status",)
    list_select_related = ("work_order", "requested_by", "hq_engineer")
    search_fields = ("=number", "=work_order__number")


@admin.register(SupportConfirmation)
class SupportConfirmationAdmin(ReadOnlyAdminMixin, ServiceLoopAdmin):
    list_display = ("help_request", "rating", "confirmed_by", "confirmed_at")
    list_select_related = ("help_request", "confirmed_by")


@admin.register(ServiceReport)
class ServiceReportAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "status", "work_order", "signer_name", "signed_at", "satisfied")
    list_filter = ("status", "satisfied")
    list_select_related = ("work_order",)
    search_fields = ("=number", "=work_order__number", "=pdf_sha256")
    exclude = ("signature", "pdf")  # files are downloaded through the access gate, not the admin


@admin.register(WorkReport)
class WorkReportAdmin(ReadOnlyAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("work_order", "author", "written_at")
    list_select_related = ("work_order", "author")
    search_fields = ("=work_order__number",)


@admin.register(FeeLine)
class FeeLineAdmin(ReadOnlyAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("work_order", "kind", "description", "quantity", "unit_price", "amount")
    list_filter = ("kind",)
    list_select_related = ("work_order",)
    search_fields = ("=work_order__number", "description")


@admin.register(ProgressNote, TestRecord, LabourEntry)
class FieldRecordAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopAdmin):
    list_select_related = ("work_order",)
    search_fields = ("=work_order__number",)
