"""Follow-ups and service complaints are written only by their services: read-only in the admin."""

from __future__ import annotations

from django.contrib import admin

from serviceloop.core.admin import BigTableAdminMixin, ReadOnlyAdminMixin, ServiceLoopHistoryAdmin

from .models import ComplaintAnalysis, ComplaintRevisit, FollowUp, ServiceComplaint


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("service_request", "channel", "called_at", "person", "attitude", "skill", "timeliness", "satisfied",
                    "outcome")
    list_filter = ("channel", "satisfied", "outcome")
    list_select_related = ("service_request",)
    search_fields = ("^service_request__number", "person")


class ComplaintAnalysisInline(admin.TabularInline):
    model = ComplaintAnalysis
    extra = 0
    can_delete = False
    fields = ("department", "sent_at", "due_at", "cause", "improvement", "submitted_by", "submitted_at", "overdue_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ComplaintRevisitInline(admin.TabularInline):
    model = ComplaintRevisit
    extra = 0
    can_delete = False
    fields = ("called_at", "channel", "person", "satisfied", "comments", "recorded_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServiceComplaint)
class ServiceComplaintAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "customer", "service_request", "status", "major", "due_at", "handled_by", "closed_at")
    list_filter = ("status", "major", "category", "channel")
    list_select_related = ("customer", "service_request", "handled_by")
    search_fields = ("^number", "^service_request__number")
    inlines = [ComplaintAnalysisInline, ComplaintRevisitInline]
