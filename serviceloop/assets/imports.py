"""Excel imports of the installed base: units (one row per serial number) and sales orders
(one row per order line; rows with the same SO number form one order). Written through services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from serviceloop.core.imports import (
    Choice,
    Date,
    ImportColumn,
    ImportContext,
    ImportRow,
    ImportSpec,
    Integer,
    Reference,
    SerialList,
    Text,
)
from serviceloop.core.scoping import has_model_perm
from serviceloop.customers.models import Customer, Site

from . import services
from .choices import UnitStatus
from .forms import MAX_LINES
from .models import ProductModel, SalesOrder, SalesOrderLine, Unit


def _chunks(values: set[str], size: int = 500):
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _load_customers(ctx: ImportContext, keys: set[str]) -> dict[str, Any]:
    qs = Customer.objects.restrict(ctx.user, "view").filter(code__in=keys)
    return {c.code.upper(): c for c in qs}


def _load_models(ctx: ImportContext, keys: set[str]) -> dict[str, Any]:
    qs = ProductModel.objects.restrict(ctx.user, "view").filter(code__in=keys)
    return {m.code.upper(): m for m in qs}


def _load_orders(ctx: ImportContext, keys: set[str]) -> dict[str, Any]:
    qs = SalesOrder.objects.restrict(ctx.user, "view").filter(number__in=keys)
    return {so.number.upper(): so for so in qs}


def customer_reference() -> Reference:
    # an invisible customer is "unknown", exactly like one that does not exist: nothing leaks
    return Reference(_load_customers, unknown=_("Unknown customer code."), description=_("customer code"))


def model_reference() -> Reference:
    return Reference(
        _load_models,
        unknown=_("Unknown product model code."),
        description=_("product model code"),
        allowed=lambda ctx: [
            f"{m.code} ({m.name})"
            for m in ProductModel.objects.restrict(ctx.user, "view").filter(active=True).order_by("code")[:60]
        ],
    )


def _existing_units(ctx: ImportContext, serials: set[str]) -> None:
    """Every unit with one of these serials (to refuse duplicates), and those the user may change."""
    existing: dict[str, Unit] = {}
    changeable: dict[str, Unit] = {}
    for chunk in _chunks(serials):
        existing.update({u.serial_number: u for u in Unit.objects.filter(serial_number__in=chunk)
                         .only("pk", "serial_number", "customer_id", "product_model_id", "so_line_id")})
        qs = Unit.objects.restrict(ctx.user, "change").filter(serial_number__in=chunk)
        changeable.update({u.serial_number: u for u in qs.select_related("product_model", "customer", "site")})
    ctx.cache["existing_units"] = existing
    ctx.cache["changeable_units"] = changeable


class UnitImport(ImportSpec):
    name = "units"
    model = Unit
    title = _("Import units")
    sheet_title = _("units")
    list_url_name = "assets:unit_list"
    key_column = "serial_number"
    can_update = True
    update_note = _(
        "Update existing records: a row whose serial number already exists updates that unit. "
        "Filled cells replace the stored values; empty cells keep them. Without this option an "
        "existing serial number is an error."
    )
    notes = [
        _("The site is found by its name among the sites of the unit's customer."),
        _("With an SO number, the unit is linked to the order's line of the same product model."),
    ]
    columns = [
        ImportColumn("serial_number", _("serial number"), Text(50, upper=True), required=True,
                     example="SN2025000123"),
        ImportColumn("product_model", _("model code"), model_reference(), required=True, example="RF-8800"),
        ImportColumn("customer", _("customer code"), customer_reference(), example="C10001"),
        ImportColumn("site", _("site name"), Text(200), example="一号车间"),
        ImportColumn("so_number", _("SO number"), Reference(
            _load_orders, unknown=_("Unknown SO number."), description=_("SO number of this customer"),
        ), example="SO-2503-0001"),
        ImportColumn("status", _("status"), Choice(UnitStatus), example=UnitStatus.IN_SERVICE.label),
        ImportColumn("ship_date", _("ship date"), Date(), example="2025-03-01"),
        ImportColumn("install_date", _("installation date"), Date(), example="2025-03-15"),
        ImportColumn("acceptance_date", _("acceptance date"), Date(), example="2025-03-20"),
        ImportColumn("note", _("note"), Text(2000)),
    ]

    def error_column(self, field_name: str) -> str | None:
        return {"so_line": "so_number"}.get(field_name) or super().error_column(field_name)

    def prepare(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        _existing_units(ctx, {row.get("serial_number") for row in rows if row.get("serial_number")})
        customers = {row.get("customer").pk for row in rows if row.get("customer")}
        customers |= {u.customer_id for u in ctx.cache["changeable_units"].values() if u.customer_id}
        sites: dict[tuple[int, str], Site] = {}
        for site in Site.objects.restrict(ctx.user, "view").filter(customer_id__in=customers):
            sites.setdefault((site.customer_id, site.name.strip().casefold()), site)
        ctx.cache["sites"] = sites
        orders = {row.get("so_number").pk for row in rows if row.get("so_number")}
        lines: dict[int, list[SalesOrderLine]] = {}
        for line in SalesOrderLine.objects.filter(order_id__in=orders).order_by("order_id", "line_no"):
            lines.setdefault(line.order_id, []).append(line)
        ctx.cache["so_lines"] = lines

    def clean_row(self, row: ImportRow, ctx: ImportContext) -> None:
        serial = row.get("serial_number")
        instance = None
        if serial and serial in ctx.cache["existing_units"]:
            if not ctx.update:
                row.error("serial_number", _t("A unit with this serial number already exists. Choose \u201cupdate "
                                              "existing records\u201d to change it."))
                return
            instance = ctx.cache["changeable_units"].get(serial)
            if instance is None:
                row.error("serial_number", _t("A unit with this serial number already exists and you may not "
                                              "change it."))
                return
            row.state["instance"] = instance
        order = row.get("so_number")
        customer = row.get("customer") or (instance.customer if instance else None)
        if customer is None and order is not None and not row.failed("customer"):
            customer = order.customer
        row.state["customer"] = customer
        if customer is None and ctx.scope.kind != "all" and not row.failed("customer"):
            row.error("customer", _t("Enter the customer code: you may import units of your own customers only."))
        model = row.get("product_model")
        if model is not None and not model.active and (instance is None or instance.product_model_id != model.pk):
            row.error("product_model", _t("This product model is no longer active."))
        model = model or (instance.product_model if instance else None)
        site_name = row.get("site")
        if site_name:
            site = ctx.cache["sites"].get((customer.pk, site_name.casefold())) if customer else None
            if site is None:
                row.error("site", _t("The customer has no site of this name."))
            row.state["site"] = site
        if order is not None:
            if customer is not None and order.customer_id != customer.pk:
                row.error("so_number", _t("This sales order belongs to another customer."))
            candidates = [line for line in ctx.cache["so_lines"].get(order.pk, [])
                          if model is not None and line.product_model_id == model.pk]
            if not candidates:
                row.error("so_number", _t("This sales order has no line for this product model."))
            else:
                listed = [line for line in candidates if serial in line.serial_list()]
                row.state["so_line"] = (listed or candidates)[0]

    def write(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        row = rows[0]
        instance = row.state.get("instance")
        creating = instance is None
        if creating:
            instance = Unit()
        for key in ("serial_number", "product_model", "status", "ship_date", "install_date", "acceptance_date",
                    "note"):
            value = row.get(key)
            if value is not None:
                setattr(instance, key, value)
        if row.state.get("customer") is not None:
            instance.customer = row.state["customer"]
        if row.state.get("site") is not None:
            instance.site = row.state["site"]
        if row.state.get("so_line") is not None:
            instance.so_line = row.state["so_line"]
        services.unit_save(user=ctx.user, instance=instance)
        if creating:
            ctx.created += 1
        else:
            ctx.updated += 1


class SalesOrderImport(ImportSpec):
    name = "sales_orders"
    model = SalesOrder
    title = _("Import sales orders")
    sheet_title = _("sales orders")
    list_url_name = "assets:so_list"
    can_update = False
    notes = [
        _("One row per order line. Rows with the same SO number form one sales order; they must have the "
          "same customer code and order date."),
        _("Sales orders are only created: an SO number that already exists is an error."),
        _("Serial numbers (as many as the quantity, or none): a unit that does not exist yet is created "
          "with the order date as its ship date; an existing unit of the same customer and product model "
          "is linked to the order line."),
    ]
    columns = [
        ImportColumn("so_number", _("SO number"), Text(40, upper=True), required=True, example="SO-2503-0001"),
        ImportColumn("customer", _("customer code"), customer_reference(), required=True, example="C10001"),
        ImportColumn("order_date", _("order date"), Date(), required=True, example="2025-03-01"),
        ImportColumn("product_model", _("model code"), model_reference(), required=True, example="RF-8800"),
        ImportColumn("quantity", _("quantity"), Integer(1, 100_000), required=True, example="2"),
        ImportColumn("serial_numbers", _("serial numbers"), SerialList(50), example="SN2025000123, SN2025000124"),
        ImportColumn("note", _("note"), Text(2000)),
    ]

    def groups(self, rows: list[ImportRow]) -> list[list[ImportRow]]:
        by_number: dict[Any, list[ImportRow]] = {}
        for row in rows:
            key = row.get("so_number") or ("row", row.number)
            by_number.setdefault(key, []).append(row)
        return list(by_number.values())

    def prepare(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        numbers = {row.get("so_number") for row in rows if row.get("so_number")}
        taken: set[str] = set()
        for chunk in _chunks(numbers):
            taken.update(SalesOrder.objects.filter(number__in=chunk).values_list("number", flat=True))
        ctx.cache["taken_numbers"] = taken
        _existing_units(ctx, {s for row in rows for s in (row.get("serial_numbers") or [])})

    def clean_row(self, row: ImportRow, ctx: ImportContext) -> None:
        number = row.get("so_number")
        if number and number in ctx.cache["taken_numbers"]:
            row.error("so_number", _t("A sales order with this number already exists."))
        serials = row.get("serial_numbers") or []
        quantity = row.get("quantity")
        if serials and quantity is not None and len(serials) != quantity:
            row.error("serial_numbers", _t("%(s)s serial numbers for a quantity of %(q)s.")
                      % {"s": len(serials), "q": quantity})
        customer, model = row.get("customer"), row.get("product_model")
        new_serials = []
        for serial in serials:
            if serial not in ctx.cache["existing_units"]:
                new_serials.append(serial)
                continue
            unit = ctx.cache["changeable_units"].get(serial)
            if unit is None:
                row.error("serial_numbers", _t("Serial number %(serial)s belongs to a unit you may not change.")
                          % {"serial": serial})
            elif customer is not None and unit.customer_id not in (None, customer.pk):
                row.error("serial_numbers", _t("Serial number %(serial)s belongs to a unit of another customer.")
                          % {"serial": serial})
            elif model is not None and unit.product_model_id != model.pk:
                row.error("serial_numbers", _t("Serial number %(serial)s is a unit of another product model.")
                          % {"serial": serial})
            elif unit.so_line_id:
                row.error("serial_numbers", _t("Serial number %(serial)s is already on a sales order.")
                          % {"serial": serial})
        if new_serials and not has_model_perm(ctx.user, Unit, "add"):
            row.error("serial_numbers", _t("Your role may not create units: leave the serial numbers empty."))

    def clean_rows(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        serial_row: dict[str, int] = {}
        for row in rows:
            for serial in row.get("serial_numbers") or []:
                if serial in serial_row:
                    row.error("serial_numbers", _t("Serial number %(serial)s is also in row %(row)s.")
                              % {"serial": serial, "row": serial_row[serial]})
                else:
                    serial_row[serial] = row.number
        for group in self.groups(rows):
            first = group[0]
            for index, row in enumerate(group[1:], start=2):
                if first.get("customer") and row.get("customer") and row.get("customer").pk != first.get("customer").pk:
                    row.error("customer", _t("Rows of one sales order must have the same customer code (see row "
                                             "%(row)s).") % {"row": first.number})
                if first.get("order_date") and row.get("order_date") and row.get("order_date") != first.get("order_date"):
                    row.error("order_date", _t("Rows of one sales order must have the same order date (see row "
                                               "%(row)s).") % {"row": first.number})
                if index > MAX_LINES:
                    row.error(None, _t("A sales order can have at most %(max)s lines.") % {"max": MAX_LINES})

    def write(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        first = rows[0]
        note = next((row.get("note") for row in rows if row.get("note")), "")
        order = SalesOrder(number=first.get("so_number"), customer=first.get("customer"),
                           order_date=first.get("order_date"), note=note)
        lines = [{"product_model": row.get("product_model"), "quantity": row.get("quantity"),
                  "serial_numbers": "\n".join(row.get("serial_numbers") or [])} for row in rows]
        services.sales_order_save(user=ctx.user, instance=order, lines=lines)
        ctx.created += 1
        saved_lines = list(order.lines.select_related("product_model").order_by("line_no"))
        for row, line in zip(rows, saved_lines, strict=True):
            for serial in row.get("serial_numbers") or []:
                unit = ctx.cache["changeable_units"].get(serial)
                if unit is None:
                    unit = Unit(serial_number=serial, product_model=line.product_model, customer=order.customer,
                                ship_date=order.order_date)
                    ctx.count("units_created")
                else:
                    if unit.customer_id is None:
                        unit.customer = order.customer
                    if unit.ship_date is None:
                        unit.ship_date = order.order_date
                    ctx.count("units_linked")
                unit.so_line = line
                services.unit_save(user=ctx.user, instance=unit)

    def result_details(self, ctx: ImportContext) -> list[str]:
        out = []
        if ctx.details.get("units_created"):
            out.append(_t("Units created: %(n)s.") % {"n": ctx.details["units_created"]})
        if ctx.details.get("units_linked"):
            out.append(_t("Existing units linked to an order line: %(n)s.") % {"n": ctx.details["units_linked"]})
        return out
