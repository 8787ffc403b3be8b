"""Admin for the shared building blocks, and the base classes every app's admin uses.

- No admin list counts a whole table: ``show_full_result_count = False`` everywhere, and big
  tables use ``CappedCountPaginator`` (counts at most ``cap`` + 1 rows).
- Saving goes through the app's service when one is named (numbering, timeline, history,
  version column stay consistent); otherwise the version is bumped and a timeline event written.
- Audit tables (timeline, refused accesses, heartbeats, counters) are read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .holiday_schedule import MAX_BYTES, ScheduleError, schedule_load
from .models import (
    Attachment,
    AuthorizationFailure,
    CalendarDay,
    DeliveryStatus,
    DocumentSequence,
    NotificationDelivery,
    TimelineEvent,
    TimestampedModel,
    WorkCalendar,
    WorkerHeartbeat,
)
from .timeline import record_event

STAMP_FIELDS = ("version", "updated_by", "created_at", "updated_at")


class CappedCountPaginator(Paginator):
    """A paginator that counts at most ``cap`` + 1 rows (SELECT COUNT(*) FROM (... LIMIT n))."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if hasattr(object_list, "order_by"):
            return object_list.order_by()[: self.cap + 1].count()
        return len(object_list)


class ServiceLoopAdminMixin:
    """Shared behaviour: no full counts; saves through the app's service."""

    show_full_result_count = False
    # the app's service: save(user=, instance=, expected_version=) -> instance
    service: Callable[..., Any] | None = None

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if issubclass(self.model, TimestampedModel):  # type: ignore[attr-defined]
            fields += tuple(f for f in STAMP_FIELDS if f not in fields)
        return fields

    def save_model(self, request, obj, form, change):
        if not isinstance(obj, TimestampedModel):
            return super().save_model(request, obj, form, change)  # type: ignore[misc]
        # The admin edits the current row (it does not carry the version the form was opened with),
        # so the expected version is the stored one; the save still bumps it for other editors.
        current = None
        if change and obj.pk:
            current = type(obj)._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
            if current is not None:
                obj.version = current
        obj._history_user = request.user
        service = type(self).service
        if service is not None:
            service(user=request.user, instance=obj, expected_version=current)
            return None
        from .concurrency import save_versioned

        creating = obj._state.adding
        save_versioned(obj, expected_version=current, user=request.user)
        record_event(obj, actor=request.user, verb="created" if creating else "updated", data={"via": "admin"})
        return None


class ServiceLoopAdmin(ServiceLoopAdminMixin, admin.ModelAdmin):
    pass


class ServiceLoopHistoryAdmin(ServiceLoopAdminMixin, SimpleHistoryAdmin):
    """For models with django-simple-history: adds the History button."""


class BigTableAdminMixin:
    """For tables that grow without bound: capped count, no facet counts."""

    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER


class ReadOnlyAdminMixin:
    """Audit records: nobody adds, edits or deletes them through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopAdmin):
    list_display = ("at", "content_type", "object_id", "verb", "from_state", "to_state", "actor", "quantity")
    list_filter = ("content_type",)
    list_select_related = ("content_type", "actor")
    search_fields = ("verb",)
    search_help_text = _("A record id, or an action such as created.")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():  # a record id: uses the (content type, record id) index
            return queryset.filter(object_id=int(term)), False
        return queryset.filter(verb=term) if term else queryset, False


@admin.register(AuthorizationFailure)
class AuthorizationFailureAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopAdmin):
    list_display = ("at", "username", "outcome", "action", "method", "path", "target", "ip")
    list_filter = ("outcome", "action")
    search_fields = ("=username", "^path", "^target")
    list_select_related = ("user",)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdminMixin, ServiceLoopAdmin):
    list_display = ("name", "beat_at", "count")


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ReadOnlyAdminMixin, ServiceLoopAdmin):
    list_display = ("prefix", "period", "last_value")
    list_filter = ("prefix",)
    search_fields = ("=prefix", "=period")


@admin.register(Attachment)
class AttachmentAdmin(BigTableAdminMixin, ServiceLoopAdmin):
    """Files are added on their record's page (type sniffing, size limit); here only described or removed."""

    list_display = ("original_name", "content_type", "object_id", "content_type_sniffed", "size", "uploaded_by",
                    "uploaded_at")
    list_filter = ("content_type",)
    list_select_related = ("content_type", "uploaded_by")
    search_fields = ("^original_name", "=sha256")
    readonly_fields = ("content_type", "object_id", "file", "original_name", "content_type_sniffed", "size", "sha256",
                       "uploaded_by", "uploaded_at")
    fields = (*readonly_fields, "description")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkCalendar)
class WorkCalendarAdmin(ServiceLoopAdmin):
    list_display = ("code", "name", "working_hours", "round_the_clock", "is_default")
    list_filter = ("round_the_clock", "is_default")
    search_fields = ("code", "name")


class ScheduleUploadForm(forms.Form):
    file = forms.FileField(label=_("Schedule file"),
                           help_text=_("CSV with the header date,kind,name (kind: holiday or workday), or JSON: "
                                       "a list of {date, kind, name}."))
    replace = forms.BooleanField(label=_("Replace the days already entered for the file's years"), required=False)


@admin.register(CalendarDay)
class CalendarDayAdmin(ServiceLoopAdmin):
    list_display = ("date", "is_working", "note")
    list_filter = ("is_working",)
    search_fields = ("note",)
    date_hierarchy = "date"
    change_list_template = "admin/core/calendarday/change_list.html"

    def get_urls(self):
        load = path("load/", self.admin_site.admin_view(self.load_schedule_view), name="core_calendarday_load")
        return [load, *super().get_urls()]

    def load_schedule_view(self, request):
        """Upload the State Council's yearly schedule (core/holiday_schedule.py): errors by line, nothing
        written on any error."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        errors: list[str] = []
        form = ScheduleUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            if form.cleaned_data["replace"] and not self.has_delete_permission(request):
                raise PermissionDenied
            upload = form.cleaned_data["file"]
            try:
                result = schedule_load(data=upload.read(MAX_BYTES + 1), filename=upload.name,
                                       replace=form.cleaned_data["replace"])
            except ScheduleError as exc:
                errors = exc.messages
            else:
                self.message_user(request, _(
                    "Loaded %(total)s days for %(years)s: %(created)s new, %(updated)s changed, %(unchanged)s "
                    "unchanged, %(removed)s removed.") % {
                    "total": result.total, "years": ", ".join(map(str, result.years)), "created": result.created,
                    "updated": result.updated, "unchanged": result.unchanged, "removed": result.removed,
                }, messages.SUCCESS)
                return redirect("admin:core_calendarday_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Load official holiday schedule"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/core/calendarday/load_schedule.html", context,
                                status=400 if errors else 200)


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(BigTableAdminMixin, ServiceLoopAdmin):
    """The outbox: per notification and channel its state, attempts and last error. Nothing is edited here;
    "Deliver again" puts given-up rows back in the queue (a delivered row is never sent again)."""

    list_display = ("notification_id", "recipient", "subject", "channel", "status", "attempts", "last_attempt_at",
                    "next_attempt_at", "delivered_at", "short_error")
    list_filter = ("status", "channel")
    list_select_related = ("notification", "notification__recipient")
    search_fields = ("=notification__id", "=idempotency_key")
    search_help_text = _("A notification id or an idempotency key.")
    readonly_fields = ("notification", "channel", "idempotency_key", "status", "created_at", "attempts",
                       "last_attempt_at", "next_attempt_at", "lease_until", "delivered_at", "last_error")
    fields = readonly_fields
    actions = ["deliver_again"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.notification.recipient

    @admin.display(description=_("subject"))
    def subject(self, obj):
        return obj.notification.display_subject

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description=_("Deliver again (given-up or pending rows)"), permissions=["change"])
    def deliver_again(self, request, queryset):
        from .notifications import redeliver

        ids = list(queryset.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING])
                   .values_list("pk", flat=True))
        count = redeliver(ids)
        self.message_user(request, _("%(count)s deliveries queued again.") % {"count": count}, messages.SUCCESS)
