"""Pages of the spare parts app: catalogue, locations, stock, ledger, requisitions, old parts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.access import get_for_user, require_model_perm
from serviceloop.core.generic import GatedDetailView, GatedEditView, GatedListView, save_or_reset
from serviceloop.core.listing import Column, ListSpec
from serviceloop.core.steps import StepView, merge_errors
from serviceloop.workorders.models import WorkOrder
from serviceloop.workorders.steps import WORK_ORDER_STEPS

from . import selectors, services
from .filters import BalanceFilter, LocationFilter, MoveFilter, OldPartFilter, PartFilter, RequisitionFilter
from .forms import LocationForm, PartForm, ReceiptForm, RequisitionForm, ReverseForm, TransferForm
from .models import Location, OldPartReturn, Part, PartSerial, Requisition, StockBalance, StockMove
from .steps import OLD_PART_STEPS, REQUISITION_STEPS


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


# ---------------------------------------------------------------- catalogue

PART_LIST = ListSpec(
    columns=[
        Column("number", gettext_lazy("part number"), lambda p: p.number, sort="number"),
        Column("name", gettext_lazy("name"), lambda p: p.name, sort="name"),
        Column("specification", gettext_lazy("specification"), lambda p: p.specification),
        Column("category", gettext_lazy("category"), lambda p: p.get_category_display(), sort="category"),
        Column("tracking", gettext_lazy("tracking"), lambda p: p.get_tracking_display()),
        Column("uom", gettext_lazy("unit of measure"), lambda p: p.unit_of_measure),
        Column("sale_price", gettext_lazy("sale price"), lambda p: p.sale_price, sort="sale_price"),
        Column("supplier", gettext_lazy("supplier"), lambda p: p.supplier),
    ],
    default_sort="number",
    search=selectors.part_search,
    filterset_class=PartFilter,
)


class PartListView(GatedListView):
    model = Part
    spec = PART_LIST
    title = gettext_lazy("Spare parts")
    search_hint = gettext_lazy("Part number, name, specification, supplier")
    create_url_name = "parts:part_create"
    import_url_name = "imports:parts"
    export_name = "spare-parts"
    template_name = "parts/list.html"


class PartDetailView(GatedDetailView):
    model = Part
    template_name = "parts/part_detail.html"

    def get_context(self, obj: Part) -> dict[str, Any]:
        user = self.request.user
        return {
            "stock": selectors.stock_of_part(user, obj),
            "moves": list(selectors.moves_visible_to(user).filter(part=obj)[:30]),
            "serials": list(PartSerial.objects.filter(part=obj).select_related("location", "unit")
                            .order_by("serial")[:100]) if obj.serial_tracked else [],
            "models": list(obj.compatible_models.all()),
            "safety": list(obj.safety_stocks.select_related("location")),
        }


class PartEditView(GatedEditView):
    model = Part
    form_class = PartForm
    title_create = gettext_lazy("New spare part")
    title_edit = gettext_lazy("Edit spare part")

    @staticmethod
    def save(*, user, instance, form):
        return save_or_reset(services.part_save, instance, user=user, expected_version=form.expected_version,
                              compatible_models=form.cleaned_data.get("compatible_models"))


# ---------------------------------------------------------------- locations and stock

LOCATION_LIST = ListSpec(
    columns=[
        Column("code", gettext_lazy("code"), lambda loc: loc.code, sort="code"),
        Column("name", gettext_lazy("name"), lambda loc: loc.name, sort="name"),
        Column("kind", gettext_lazy("kind"), lambda loc: loc.get_kind_display(), sort="kind"),
        Column("branch", gettext_lazy("branch"), lambda loc: loc.branch.name, sort="branch__code"),
        Column("engineer", gettext_lazy("engineer"), lambda loc: str(loc.engineer) if loc.engineer else ""),
    ],
    default_sort="code",
    search=lambda qs, q: qs.filter(code__istartswith=q) | qs.filter(name__icontains=q),
    filterset_class=LocationFilter,
)


class LocationListView(GatedListView):
    model = Location
    spec = LOCATION_LIST
    title = gettext_lazy("Stock locations")
    create_url_name = "parts:location_create"
    export_name = "stock-locations"
    template_name = "parts/list.html"

    def get_queryset(self):
        return selectors.locations_visible_to(self.request.user)


class LocationDetailView(GatedDetailView):
    model = Location
    template_name = "parts/location_detail.html"

    def base_queryset(self):
        return selectors.locations_visible_to(self.request.user)

    def get_context(self, obj: Location) -> dict[str, Any]:
        user = self.request.user
        return {
            "balances": list(selectors.balances_visible_to(user).filter(location=obj, on_hand__gt=0)
                             .order_by("part__number")[:200]),
            "moves": list(selectors.moves_of_location(user, obj)[:30]),
        }


class LocationEditView(GatedEditView):
    model = Location
    form_class = LocationForm
    title_create = gettext_lazy("New stock location")
    title_edit = gettext_lazy("Edit stock location")

    @staticmethod
    def save(*, user, instance, form):
        return save_or_reset(services.location_save, instance, user=user, expected_version=form.expected_version)


STOCK_LIST = ListSpec(
    columns=[
        Column("part", gettext_lazy("part number"), lambda b: b.part.number, sort="part__number"),
        Column("name", gettext_lazy("name"), lambda b: b.part.name),
        Column("location", gettext_lazy("stock location"), lambda b: b.location.name, sort="location__code"),
        Column("on_hand", gettext_lazy("on hand"), lambda b: b.on_hand, sort="on_hand"),
        Column("reserved", gettext_lazy("reserved"), lambda b: b.reserved, sort="reserved"),
        Column("available", gettext_lazy("available"), lambda b: b.available),
    ],
    default_sort="part",
    search=selectors.balance_search,
    filterset_class=BalanceFilter,
)


class StockListView(GatedListView):
    model = StockBalance
    spec = STOCK_LIST
    title = gettext_lazy("Stock by location")
    search_hint = gettext_lazy("Part number or name, location")
    export_name = "stock"
    template_name = "parts/list.html"

    def get_queryset(self):
        return selectors.balances_visible_to(self.request.user)


MOVE_LIST = ListSpec(
    columns=[
        Column("at", gettext_lazy("at"), lambda m: _when(m.at), sort="at"),
        Column("kind", gettext_lazy("kind"), lambda m: m.get_kind_display(), sort="kind"),
        Column("part", gettext_lazy("part number"), lambda m: m.part.number, sort="part__number"),
        Column("quantity", gettext_lazy("quantity"), lambda m: m.quantity),
        Column("from", gettext_lazy("from"), lambda m: m.from_location.name if m.from_location else ""),
        Column("to", gettext_lazy("to"), lambda m: m.to_location.name if m.to_location else ""),
        Column("document", gettext_lazy("document"),
               lambda m: " ".join(str(x) for x in (m.requisition, m.work_order) if x is not None)),
        Column("by", gettext_lazy("by"), lambda m: str(m.by) if m.by else ""),
    ],
    default_sort="-at",
    search=lambda qs, q: qs.filter(part__number__istartswith=q) | qs.filter(work_order__number__istartswith=q),
    filterset_class=MoveFilter,
)


class MoveListView(GatedListView):
    model = StockMove
    spec = MOVE_LIST
    title = gettext_lazy("Stock ledger")
    search_hint = gettext_lazy("Part number or work order")
    export_name = "stock-ledger"
    template_name = "parts/list.html"

    def get_queryset(self):
        return selectors.moves_visible_to(self.request.user)

    def extra_context(self) -> dict[str, Any]:
        if self.request.user.has_perm(services.PERM_STOCK):
            return {"action_url_name": "parts:move_reverse", "action_label": _("Reverse")}
        return {}


def _stock_form_page(request: HttpRequest, form_class: Any, title: str, run: Any) -> HttpResponse:
    require_model_perm(request, StockMove, "add")
    locations = selectors.locations_visible_to(request.user).filter(active=True)
    form = form_class(request.POST or None)
    for name in ("location", "from_location", "to_location"):
        if name in form.fields:
            form.fields[name].queryset = form.fields[name].queryset.filter(pk__in=locations.values("pk"))
    if request.method == "POST" and form.is_valid():
        try:
            move = run(form.cleaned_data)
        except ValidationError as exc:
            merge_errors(form, exc)
        else:
            messages.success(request, _("Posted: %(move)s.") % {"move": move})
            return redirect("parts:move_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "parts/form.html", {"form": form, "title": title}, status=status)


@login_required
def receive(request: HttpRequest) -> HttpResponse:
    return _stock_form_page(request, ReceiptForm, _("Receive stock"), lambda d: services.stock_receive(
        actor=request.user, part=d["part"], location=d["location"], quantity=d["quantity"],
        serials=d.get("serials"), note=d.get("note", "")))


@login_required
def transfer(request: HttpRequest) -> HttpResponse:
    return _stock_form_page(request, TransferForm, _("Move stock"), lambda d: services.stock_transfer(
        actor=request.user, part=d["part"], from_location=d["from_location"], to_location=d.get("to_location"),
        quantity=d["quantity"], serials=d.get("serials"), kind=d["kind"], note=d.get("note", "")))


@login_required
def move_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    move = get_for_user(request, StockMove, "view", pk=pk, queryset=selectors.moves_visible_to(request.user))
    require_model_perm(request, StockMove, "add")
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_reverse(actor=request.user, move=move, note=form.cleaned_data["note"])
        except ValidationError as exc:
            merge_errors(form, exc)
        else:
            messages.success(request, _("The move was reversed."))
            return redirect("parts:move_list")
    return render(request, "parts/form.html", {"form": form, "title": _("Reverse a move"), "move": move},
                  status=400 if request.method == "POST" else 200)


@login_required
def serial_detail(request: HttpRequest, pk: int) -> HttpResponse:
    serial = get_for_user(request, PartSerial, "view", pk=pk,
                          queryset=PartSerial.objects.select_related("part", "location", "unit"))
    return render(request, "parts/serial_detail.html", {
        "object": serial, "moves": list(selectors.serial_life(request.user, serial)),
        "old_parts": list(selectors.old_parts_visible_to(request.user).filter(part=serial.part, serial=serial.serial)),
    })


# ---------------------------------------------------------------- requisitions

REQUISITION_LIST = ListSpec(
    columns=[
        Column("number", gettext_lazy("requisition number"), lambda r: r.number, sort="number"),
        Column("work_order", gettext_lazy("work order"), lambda r: r.work_order.number, sort="work_order__number"),
        Column("customer", gettext_lazy("customer"), lambda r: r.work_order.customer.name),
        Column("requested_by", gettext_lazy("requested by"), lambda r: str(r.requested_by)),
        Column("status", gettext_lazy("status"), lambda r: r.get_status_display(), sort="status"),
        Column("created_at", gettext_lazy("created at"), lambda r: _when(r.created_at), sort="created_at"),
        Column("purpose", gettext_lazy("purpose"), lambda r: r.purpose[:60]),
    ],
    default_sort="-created_at",
    search=selectors.requisition_search,
    filterset_class=RequisitionFilter,
)


class RequisitionListView(GatedListView):
    model = Requisition
    spec = REQUISITION_LIST
    title = gettext_lazy("Requisitions")
    search_hint = gettext_lazy("Requisition or work order number, customer")
    export_name = "requisitions"
    template_name = "parts/list.html"

    def get_queryset(self):
        return selectors.requisitions_visible_to(self.request.user)


class RequisitionDetailView(GatedDetailView):
    model = Requisition
    template_name = "parts/requisition_detail.html"

    def base_queryset(self):
        return Requisition.objects.select_related("work_order", "work_order__customer", "work_order__unit",
                                                  "requested_by", "source", "target", "decided_by", "issued_by")

    def get_context(self, obj: Requisition) -> dict[str, Any]:
        user = self.request.user
        lines = list(obj.lines.select_related("part"))
        stock = selectors.stock_for_lines(user, [line.part_id for line in lines]) \
            if user.has_perm(services.PERM_APPROVE) else {}
        return {
            "lines": [(line, stock.get(line.part_id, [])) for line in lines],
            "show_stock": bool(stock) or user.has_perm(services.PERM_APPROVE),
            "moves": list(selectors.moves_visible_to(user).filter(requisition=obj).order_by("at", "id")),
            "steps": REQUISITION_STEPS.buttons(user, obj),
        }


@login_required
def requisition_new(request: HttpRequest, pk: int) -> HttpResponse:
    """备件申领单 from a work order (the work order's "request parts" step), phone-friendly."""
    wo = get_for_user(request, WorkOrder, "view", pk=pk,
                      queryset=WorkOrder.objects.select_related("customer", "unit", "unit__product_model", "site"))
    found = WORK_ORDER_STEPS.blocked("request_parts", request.user, wo)
    if found is not None:
        from django.core.exceptions import PermissionDenied

        if found.forbidden:
            raise PermissionDenied(found.reason)
        messages.error(request, found.reason)
        return redirect(wo.get_absolute_url())
    parts = Part.objects.filter(active=True).order_by("number")
    form = RequisitionForm(request.POST or None, parts=parts)
    if request.method == "POST" and form.is_valid():
        try:
            requisition = WORK_ORDER_STEPS.run("request_parts", request.user, wo, form.cleaned_data)
        except ValidationError as exc:
            merge_errors(form, exc)
        else:
            messages.success(request, _("Requisition %(number)s sent to the parts department.")
                             % {"number": requisition.number})
            return redirect(requisition.get_absolute_url())
    return render(request, "parts/requisition_new.html", {"form": form, "object": wo},
                  status=400 if request.method == "POST" else 200)


class RequisitionStepView(StepView):
    workflow = REQUISITION_STEPS
    template_name = "parts/step.html"

    def get_queryset(self):
        return Requisition.objects.select_related("work_order", "work_order__customer", "requested_by", "source",
                                                  "target")

    def extra_context(self, obj: Requisition, step: Any) -> dict[str, Any]:
        lines = list(obj.lines.select_related("part"))
        stock = selectors.stock_for_lines(self.request.user, [line.part_id for line in lines]) \
            if step.key == "approve" else {}
        return {"lines": [(line, stock.get(line.part_id, [])) for line in lines], "show_stock": step.key == "approve"}


# ---------------------------------------------------------------- old parts

OLD_PART_LIST = ListSpec(
    columns=[
        Column("part", gettext_lazy("part number"), lambda o: o.part.number, sort="part__number"),
        Column("name", gettext_lazy("name"), lambda o: o.part.name),
        Column("serial", gettext_lazy("old part unique ID"), lambda o: o.serial),
        Column("work_order", gettext_lazy("work order"), lambda o: o.work_order.number, sort="work_order__number"),
        Column("engineer", gettext_lazy("engineer"), lambda o: str(o.engineer), sort="engineer__username"),
        Column("branch", gettext_lazy("branch"), lambda o: o.work_order.branch.name if o.work_order.branch else ""),
        Column("due_date", gettext_lazy("return due"), lambda o: o.due_date.isoformat(), sort="due_date"),
        Column("status", gettext_lazy("status"),
               lambda o: _("overdue") if o.overdue else o.get_status_display(), sort="status"),
    ],
    default_sort="due_date",
    search=selectors.old_part_search,
    filterset_class=OldPartFilter,
)


class OldPartListView(GatedListView):
    model = OldPartReturn
    spec = OLD_PART_LIST
    title = gettext_lazy("Old parts to return")
    search_hint = gettext_lazy("Part number, unique ID, work order, engineer")
    export_name = "old-parts"
    template_name = "parts/list.html"

    def get_queryset(self):
        return selectors.old_parts_visible_to(self.request.user)


class OldPartDetailView(GatedDetailView):
    model = OldPartReturn
    template_name = "parts/old_part_detail.html"

    def base_queryset(self):
        return OldPartReturn.objects.select_related("part", "work_order", "engineer", "location", "received_by")

    def get_context(self, obj: OldPartReturn) -> dict[str, Any]:
        return {"steps": OLD_PART_STEPS.buttons(self.request.user, obj),
                "moves": list(selectors.moves_visible_to(self.request.user).filter(old_part=obj))}


class OldPartStepView(StepView):
    workflow = OLD_PART_STEPS
    template_name = "parts/step.html"

    def get_queryset(self):
        return OldPartReturn.objects.select_related("part", "work_order")


# ---------------------------------------------------------------- reorder

@login_required
def reorder(request: HttpRequest) -> HttpResponse:
    """Below safety stock: what to order, with a suggestion from the lead time."""
    require_model_perm(request, Part, "view")
    rows = list(selectors.below_safety_stock(request.user)[:500])
    return render(request, "parts/reorder.html", {"rows": rows, "title": _("Below safety stock")})

