from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from serviceloop.core import registry
from serviceloop.core.access import get_for_user, require_model_perm
from serviceloop.core.generic import (
    GatedDeleteView,
    GatedDetailView,
    GatedEditView,
    GatedListView,
    save_or_reset,
)
from serviceloop.core.listing import Column, ListPage, ListSpec
from serviceloop.core.pdf import pdf_response
from serviceloop.core.scoping import is_customer
from serviceloop.core.timeline import events_for

from . import selectors, services
from .filters import ContractFilter, ProductModelFilter, SalesOrderFilter, UnitFilter
from .forms import ProductModelForm, SalesOrderForm, ServiceContractForm, UnitForm
from .models import ProductModel, SalesOrder, ServiceContract, Unit
from .qr import unit_qr_data_uri, unit_qr_png_data_uri, unit_qr_svg, unit_qr_url
from .warranty import warranty_state

MAX_LABELS = 240  # per PDF: 10 sheets, rendered in about 3 s on 2 busy cores
MAX_LABEL_PARTS = 50  # parts offered on one page (12,000 units)
LABELS_PER_PAGE = 24  # 3 x 8 labels of 70 x 37 mm on A4
LABELS_PER_ROW = 3


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
    template_name = "assets/unit_list.html"
    search_hint = _("Serial number, customer or phone")
    create_url_name = "assets:unit_create"
    import_url_name = "imports:units"
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
        user = self.request.user
        return {
            **registry.panel_context(registry.UNIT_FILE, user, obj),  # requests, work orders, reports (their apps)
            "can_report": user.has_perm("service.add_servicerequest"),
            "verdict": warranty_state(obj, timezone.localdate()),
            "contracts": selectors.contracts_of_unit(self.request.user, obj),
            "qr_url": unit_qr_url(obj),
            "today": timezone.localdate(),
        }


class UnitEditView(GatedEditView):
    model = Unit
    form_class = UnitForm
    title_create = _("New unit")
    title_edit = _("Edit unit")

    def initial(self, request):
        return {"customer": request.GET.get("customer", "")}

    @staticmethod
    def save(*, user, instance, form):
        return save_or_reset(services.unit_save, instance, user=user, expected_version=form.expected_version)


class UnitDeleteView(GatedDeleteView):
    model = Unit
    success_url_name = "assets:unit_list"


def unit_qr_landing(request: HttpRequest, token: str) -> HttpResponse:
    """Where a nameplate's QR code leads: a customer's fault report for the unit, or (staff) its service file."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    unit = get_for_user(request, Unit, "view", qr_token=token)
    if is_customer(request.user) and request.user.has_perm("service.add_servicerequest"):
        # a customer scanning the nameplate reports a fault for this unit (login, form, done)
        return redirect(f"{reverse('service:create')}?unit={unit.pk}&channel=qr")
    return redirect(unit.get_absolute_url())


@login_required
@require_GET
def unit_qr(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_for_user(request, Unit, "view", pk=pk)
    response = HttpResponse(unit_qr_svg(unit, scale=6), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _labels_response(request: HttpRequest, units: list[Unit], filename: str) -> HttpResponse:
    labels = [{"unit": u, "qr": unit_qr_png_data_uri(u)} for u in units]
    pages = [
        [labels[r : r + LABELS_PER_ROW] for r in range(i, min(i + LABELS_PER_PAGE, len(labels)), LABELS_PER_ROW)]
        for i in range(0, len(labels), LABELS_PER_PAGE)
    ]
    return pdf_response(request, "assets/print/labels.html", {"pages": pages}, filename)


@login_required
@require_GET
def unit_labels(request: HttpRequest) -> HttpResponse:
    """Nameplate labels (A4, 3 x 8) for the units the list's current filters select.

    At most MAX_LABELS per PDF: when more match, a page lists the parts (``?part=N``: units
    (N-1) x MAX_LABELS + 1 ... N x MAX_LABELS in the list's order), up to MAX_LABEL_PARTS of them."""
    require_model_perm(request, Unit, "view")
    base = Unit.objects.select_related("product_model").restrict(request.user, "view")
    page = ListPage(request, base, UNIT_LIST)
    params = page.query_string(page=None, part=None)
    back = reverse("assets:unit_list") + (f"?{params}" if params else "")
    keys = [*(page.queryset.query.order_by or Unit._meta.ordering)]
    ordered = page.queryset.order_by(*keys, *([] if "pk" in keys or "id" in keys else ["pk"]))  # parts never overlap
    part = request.GET.get("part")
    if part is None:
        units = list(ordered[: MAX_LABELS + 1])
        if len(units) <= MAX_LABELS:
            if not units:
                messages.error(request, gettext("No units match the current filters, so there are no labels to print."))
                return redirect(back)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return _labels_response(request, units, f"labels-{stamp}.pdf")
        return _label_parts(request, ordered, params, back)
    if not part.isdigit() or not 1 <= int(part) <= MAX_LABEL_PARTS:
        messages.error(request, gettext("There is no such part of the label sheets."))
        return redirect(back)
    number = int(part)
    units = list(ordered[(number - 1) * MAX_LABELS : number * MAX_LABELS])
    if not units:
        messages.error(request, gettext("There is no such part of the label sheets."))
        return redirect(back)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _labels_response(request, units, f"labels-{stamp}-part{number}.pdf")


def _label_parts(request: HttpRequest, ordered, params: str, back: str) -> HttpResponse:
    """More units match than one PDF holds: the parts to print one after another."""
    limit = MAX_LABELS * MAX_LABEL_PARTS
    total = ordered[: limit + 1].count()
    if total > limit:
        messages.error(request, gettext(
            "More than %(max)s units match the current filters. Narrow the filters to print their labels."
        ) % {"max": f"{limit:,}"})
        return redirect(back)
    prefix = reverse("assets:unit_labels") + "?" + (f"{params}&" if params else "")
    parts = [{"number": n, "first": (n - 1) * MAX_LABELS + 1, "last": min(n * MAX_LABELS, total),
              "url": f"{prefix}part={n}"} for n in range(1, (total + MAX_LABELS - 1) // MAX_LABELS + 1)]
    return render(request, "assets/label_parts.html",
                  {"parts": parts, "total": total, "per_part": MAX_LABELS, "back": back})


@login_required
@require_GET
def unit_label(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_for_user(request, Unit, "view", queryset=Unit.objects.select_related("product_model"), pk=pk)
    return _labels_response(request, [unit], f"label-{unit.serial_number}.pdf")


@login_required
@require_GET
def unit_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's service file (服务档案) as a PDF."""
    unit = get_for_user(
        request, Unit, "view",
        queryset=Unit.objects.select_related("product_model", "customer__branch", "site", "so_line__order"), pk=pk,
    )
    today = timezone.localdate()
    context = {
        **registry.panel_context(registry.UNIT_FILE, request.user, unit),
        "object": unit,
        "verdict": warranty_state(unit, today),
        "contracts": selectors.contracts_of_unit(request.user, unit),
        "events": events_for(unit)[:200],
        "qr": unit_qr_data_uri(unit),
        "today": today,
    }
    return pdf_response(request, "assets/print/unit_file.html", context, f"service-file-{unit.serial_number}.pdf")


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
    create_url_name = "assets:so_create"
    import_url_name = "imports:sales_orders"
    export_name = "sales-orders"

    def base_queryset(self):
        return SalesOrder.objects.select_related("customer")


class SalesOrderDetailView(GatedDetailView):
    model = SalesOrder
    template_name = "assets/salesorder_detail.html"

    def base_queryset(self):
        return SalesOrder.objects.select_related("customer__branch")

    def get_context(self, obj):
        units = Unit.objects.restrict(self.request.user, "view").filter(so_line__order=obj)
        return {
            "lines": obj.lines.select_related("product_model"),
            "units": units.select_related("product_model", "site", "so_line").order_by("serial_number")[:200],
            **registry.panel_context(registry.SALES_ORDER_PAGE, self.request.user, obj),  # fees billed (workorders)
        }


class SalesOrderEditView(GatedEditView):
    model = SalesOrder
    form_class = SalesOrderForm
    template_name = "assets/salesorder_form.html"
    title_create = _("New sales order")
    title_edit = _("Edit sales order")

    def initial(self, request):
        return {"order_date": timezone.localdate()}

    @staticmethod
    def save(*, user, instance, form):
        return save_or_reset(services.sales_order_save, instance, user=user, lines=form.line_data(),
                              expected_version=form.expected_version)


class SalesOrderDeleteView(GatedDeleteView):
    model = SalesOrder
    success_url_name = "assets:so_list"


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
    create_url_name = "assets:contract_create"
    export_name = "contracts"

    def base_queryset(self):
        return ServiceContract.objects.select_related("customer")


class ContractDetailView(GatedDetailView):
    model = ServiceContract
    template_name = "assets/contract_detail.html"

    def base_queryset(self):
        return ServiceContract.objects.select_related("customer__branch")

    def get_context(self, obj):
        today = timezone.localdate()
        if obj.end_date < today:
            period_state, period_css = gettext("expired"), "secondary"
        elif obj.start_date > today:
            period_state, period_css = gettext("not yet started"), "warning"
        else:
            period_state, period_css = gettext("in force today"), "success"
        units = Unit.objects.restrict(self.request.user, "view").filter(contracts=obj)
        units = units.select_related("product_model", "site")
        return {
            "units": units.order_by("serial_number")[:200],
            "period_state": period_state,
            "period_css": period_css,
        }


class ContractEditView(GatedEditView):
    model = ServiceContract
    form_class = ServiceContractForm
    title_create = _("New service contract")
    title_edit = _("Edit service contract")

    def initial(self, request):
        return {"customer": request.GET.get("customer", "")}

    @staticmethod
    def save(*, user, instance, form):
        return save_or_reset(services.contract_save, instance, user=user, units=list(form.cleaned_data["units"]),
                              expected_version=form.expected_version)


class ContractDeleteView(GatedDeleteView):
    model = ServiceContract
    success_url_name = "assets:contract_list"


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
    create_url_name = "assets:model_create"
    export_name = "product-models"


UNIT_COUNT_CAP = 1000


class ProductModelDetailView(GatedDetailView):
    model = ProductModel
    template_name = "assets/productmodel_detail.html"

    def get_context(self, obj):
        units = Unit.objects.restrict(self.request.user, "view").filter(product_model=obj)
        n = units.order_by()[: UNIT_COUNT_CAP + 1].count()
        return {
            "unit_count": f"{UNIT_COUNT_CAP:,}+" if n > UNIT_COUNT_CAP else f"{n:,}",
            "recent_units": units.select_related("customer").order_by("-id")[:20],
        }


class ProductModelEditView(GatedEditView):
    model = ProductModel
    form_class = ProductModelForm
    title_create = _("New product model")
    title_edit = _("Edit product model")

    @staticmethod
    def save(*, user, instance, form):
        return save_or_reset(services.product_model_save, instance, user=user,
                              expected_version=form.expected_version)


class ProductModelDeleteView(GatedDeleteView):
    model = ProductModel
    success_url_name = "assets:model_list"
