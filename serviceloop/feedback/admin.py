"""Follow-ups and service complaints are written only by their services: read-only in the admin."""

from __future__ import annotations

from django.contrib import admin

from serviceloop.core.admin import BigTableAdminMixin, ReadOnlyAdminMixin, ServiceLoopHistoryAdmin

from .models import FollowUp, ServiceComplaint


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("service_request", "channel", "called_at", "person", "attitude", "skill", "timeliness", "satisfied",
                    "outcome")
    list_filter = ("channel", "satisfied", "outcome")
    list_select_related = ("service_request",)
    search_fields = ("^service_request__number", "person")


@admin.register(ServiceComplaint)
class ServiceComplaintAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "service_request", "status", "due_at", "handled_by", "handled_at")
    list_filter = ("status",)
    list_select_related = ("service_request", "handled_by")
    search_fields = ("^number", "^service_request__number")
