from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.generic import GatedDetailView, GatedListView
from serviceloop.core.listing import Column, ListSpec

from . import selectors
from .filters import ContractFilter, ProductModelFilter, SalesOrderFilter, UnitFilter
from .models import ProductModel, SalesOrder, ServiceContract, Unit
from .warranty import warranty_state


def _date(value):
    return value.strftime("%Y-%m-%d") if value else ""


UNIT_LIST = ListSpec(
    columns=[
        Column("serial", _("serial number"), lambda u: u.serial_number, sort="serial_number"),
        Column("model", _("product model"), lambda u: u.product_model.name, sort="product_model__code"),
        Column("customer", _("customer"), lambda u: u.customer.name if u.customer else ""),
        Column("site", _("site"), lambda u: u.site.name if u.site else ""),
        Column("status", _("status"), lambda u: u.get_status_display()),
        Column("ship_date", _("ship date"), lambda u: _date(u.ship_date), sort="ship_date"),
        Column("warranty_end", _("warranty end"), lambda u: _date(u.warranty_end), sort="warranty_end"),
    ],
    default_sort="-id",
    extra_sorts={"id": "id"},
    search=selectors.unit_search,
    filterset_class=UnitFilter,
)


class UnitListView(GatedListView):
    model = Unit
    spec = UNIT_LIST
    title = _("Units")
    create_url_name = None
    export_name = "units"

    def base_queryset(self):
        return Unit.objects.select_related("product_model", "customer", "site")


class UnitDetailView(GatedDetailView):
    """The unit's service file (服务档案)."""

    model = Unit
    template_name = "assets/unit_detail.html"

    def base_queryset(self):
        return Unit.objects.select_related("product_model", "customer__branch", "site", "so_line__order")

    def get_context(self, obj: Unit) -> dict[str, Any]:
        return {
            "verdict": warranty_state(obj, timezone.localdate()),
            "contracts": selectors.contracts_of_unit(self.request.user, obj),
        }


SO_LIST = ListSpec(
    columns=[
        Column("number", _("SO number"), lambda so: so.number, sort="number"),
        Column("customer", _("customer"), lambda so: so.customer.name),
        Column("order_date", _("order date"), lambda so: _date(so.order_date), sort="order_date"),
        Column("note", _("note"), lambda so: so.note[:60]),
    ],
    default_sort="-order_date",
    search=lambda qs, q: qs.filter(number__istartswith=q) | qs.filter(customer__name__icontains=q),
    filterset_class=SalesOrderFilter,
)


class SalesOrderListView(GatedListView):
    model = SalesOrder
    spec = SO_LIST
    title = _("Sales orders")
    export_name = "sales-orders"

    def base_queryset(self):
        return SalesOrder.objects.select_related("customer")


class SalesOrderDetailView(GatedDetailView):
    model = SalesOrder
    template_name = "assets/salesorder_detail.html"

    def base_queryset(self):
        return SalesOrder.objects.select_related("customer")

    def get_context(self, obj):
        return {"lines": obj.lines.select_related("product_model")}


CONTRACT_LIST = ListSpec(
    columns=[
        Column("number", _("contract number"), lambda c: c.number, sort="number"),
        Column("title", _("title"), lambda c: c.title),
        Column("customer", _("customer"), lambda c: c.customer.name),
        Column("start", _("start date"), lambda c: _date(c.start_date), sort="start_date"),
        Column("end", _("end date"), lambda c: _date(c.end_date), sort="end_date"),
        Column("sla", _("SLA level"), lambda c: c.get_sla_level_display()),
        Column("price", _("price (CNY)"), lambda c: c.price, sort="price"),
    ],
    default_sort="-start",
    search=lambda qs, q: qs.filter(number__istartswith=q) | qs.filter(customer__name__icontains=q),
    filterset_class=ContractFilter,
)


class ContractListView(GatedListView):
    model = ServiceContract
    spec = CONTRACT_LIST
    title = _("Service contracts")
    export_name = "contracts"

    def base_queryset(self):
        return ServiceContract.objects.select_related("customer")


class ContractDetailView(GatedDetailView):
    model = ServiceContract
    template_name = "assets/contract_detail.html"

    def base_queryset(self):
        return ServiceContract.objects.select_related("customer")

    def get_context(self, obj):
        return {"units": obj.units.select_related("product_model")[:200]}


MODEL_LIST = ListSpec(
    columns=[
        Column("code", _("model code"), lambda m: m.code, sort="code"),
        Column("name", _("model name"), lambda m: m.name, sort="name"),
        Column("service_class", _("service class"), lambda m: m.get_service_class_display(), sort="service_class"),
        Column("warranty", _("warranty (months)"), lambda m: m.warranty_months, sort="warranty_months"),
    ],
    default_sort="code",
    search=lambda qs, q: qs.filter(code__istartswith=q) | qs.filter(name__icontains=q),
    filterset_class=ProductModelFilter,
)


class ProductModelListView(GatedListView):
    model = ProductModel
    spec = MODEL_LIST
    title = _("Product models")
    export_name = "product-models"


class ProductModelDetailView(GatedDetailView):
    model = ProductModel
    template_name = "assets/productmodel_detail.html"
