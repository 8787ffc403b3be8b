"""Spare parts in the admin: the catalogue and locations through their services elsewhere; the ledger,
its balances and the requisitions are read-only here (a stock move is never changed or deleted)."""

from __future__ import annotations

from django.contrib import admin

from serviceloop.core.admin import BigTableAdminMixin, ReadOnlyAdminMixin, ServiceLoopHistoryAdmin

from .models import Location, OldPartReturn, Part, PartSerial, Requisition, StockBalance, StockMove


@admin.register(Part)
class PartAdmin(ReadOnlyAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "name", "category", "tracking", "sale_price", "active")
    list_filter = ("category", "tracking", "active")
    search_fields = ("^number", "name")


@admin.register(Location)
class LocationAdmin(ReadOnlyAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("code", "name", "kind", "branch", "engineer", "active")
    list_filter = ("kind", "branch")
    search_fields = ("^code", "name")


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("at", "kind", "part", "quantity", "from_location", "to_location", "requisition", "work_order", "by")
    list_filter = ("kind",)
    list_select_related = ("part", "from_location", "to_location", "requisition", "work_order", "by")
    search_fields = ("^part__number",)


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("part", "location", "on_hand", "reserved")
    list_select_related = ("part", "location")
    search_fields = ("^part__number",)


@admin.register(PartSerial)
class PartSerialAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("serial", "part", "location", "unit")
    list_select_related = ("part", "location", "unit")
    search_fields = ("^serial",)


@admin.register(Requisition)
class RequisitionAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "work_order", "requested_by", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("work_order", "requested_by")
    search_fields = ("^number",)


@admin.register(OldPartReturn)
class OldPartReturnAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("part", "serial", "work_order", "engineer", "due_date", "status")
    list_filter = ("status",)
    list_select_related = ("part", "work_order", "engineer")
