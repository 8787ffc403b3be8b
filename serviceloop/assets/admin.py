from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from serviceloop.core.admin import BigTableAdminMixin, ServiceLoopHistoryAdmin
from serviceloop.core.serials import parse_serials

from . import services
from .models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit


@admin.register(ProductModel)
class ProductModelAdmin(ServiceLoopHistoryAdmin):
    list_display = ("code", "name", "service_class", "warranty_months", "active")
    list_filter = ("service_class", "active")
    search_fields = ("^code", "name")
    service = services.product_model_save


class SalesOrderLineForm(forms.ModelForm):
    class Meta:
        model = SalesOrderLine
        fields = ("line_no", "product_model", "quantity", "serial_numbers")
        widgets = {"serial_numbers": forms.Textarea(attrs={"rows": 2, "cols": 30})}

    def clean(self):
        cleaned = super().clean()
        serials = parse_serials(cleaned.get("serial_numbers") or "")
        quantity = cleaned.get("quantity")
        if serials and quantity and len(serials) != quantity:
            self.add_error("serial_numbers", _("%(s)s serial numbers for a quantity of %(q)s.")
                           % {"s": len(serials), "q": quantity})
        cleaned["serial_numbers"] = "\n".join(serials)
        return cleaned


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    form = SalesOrderLineForm
    extra = 0
    autocomplete_fields = ("product_model",)


@admin.register(SalesOrder)
class SalesOrderAdmin(BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("number", "customer", "order_date")
    list_select_related = ("customer",)
    search_fields = ("^number", "customer__name", "^customer__code")
    autocomplete_fields = ("customer",)
    inlines = (SalesOrderLineInline,)
    service = services.sales_order_save


@admin.register(Unit)
class UnitAdmin(BigTableAdminMixin, ServiceLoopHistoryAdmin):
    list_display = ("serial_number", "product_model", "customer", "site", "status", "warranty_end")
    list_filter = ("status", "product_model__service_class", "customer__branch")
    list_select_related = ("product_model", "customer", "site")
    search_fields = ("^serial_number", "^customer__code")
    autocomplete_fields = ("product_model", "customer", "site")
    raw_id_fields = ("so_line",)
    readonly_fields = ("warranty_basis", "warranty_start", "warranty_end", "qr_token")
    service = services.unit_save


class ServiceContractAdminForm(forms.ModelForm):
    class Meta:
        model = ServiceContract
        fields = ("number", "customer", "title", "start_date", "end_date", "covers_parts", "covers_labour",
                  "covers_onsite", "covers_preventive", "sla_level", "price", "units", "note")

    def clean(self):
        cleaned = super().clean()
        customer, units = cleaned.get("customer"), cleaned.get("units")
        if customer is not None and units is not None:
            foreign = [u.serial_number for u in units if u.customer_id != customer.pk]
            if foreign:
                self.add_error("units", _("These units belong to another customer: %(serials)s")
                               % {"serials": ", ".join(foreign)})
        return cleaned


@admin.register(ServiceContract)
class ServiceContractAdmin(BigTableAdminMixin, ServiceLoopHistoryAdmin):
    form = ServiceContractAdminForm
    list_display = ("number", "customer", "title", "start_date", "end_date", "sla_level", "price")
    list_filter = ("sla_level", "covers_parts", "covers_onsite")
    list_select_related = ("customer",)
    search_fields = ("^number", "title", "customer__name", "^customer__code")
    autocomplete_fields = ("customer", "units")
    service = services.contract_save
