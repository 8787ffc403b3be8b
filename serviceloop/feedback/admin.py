"""Follow-ups and service complaints are written only by their services: read-only in the admin."""

from __future__ import annotations

from django.contrib import admin

from serviceloop.core.admin import BigTableAdminMixin, ReadOnlyAdminMixin, ServiceLoopHistoryAdmin

from .models import FollowUp, ServiceComplaint


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("request", "channel", "called_at", "person", "attitude", "skill", "timeliness", "satisfied",
                    "outcome")
    list_filter = ("channel", "satisfied", "outcome")
    list_select_related = ("request",)
    search_fields = ("^request__number", "person")


@admin.register(ServiceComplaint)
class ServiceComplaintAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "request", "status", "due_at", "handled_by", "handled_at")
    list_filter = ("status",)
    list_select_related = ("request", "handled_by")
    search_fields = ("^number", "^request__number")
