"""Excel import of the parts catalogue (one row per part number), written through parts.services."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from serviceloop.assets.models import ProductModel
from serviceloop.core.imports import (
    CellError,
    Choice,
    ImportColumn,
    ImportContext,
    ImportRow,
    ImportSpec,
    Integer,
    Parser,
    SerialList,
    Text,
)

from . import services
from .choices import PartCategory, Tracking
from .models import Part


class Money(Parser):
    """An amount in CNY, 0 or more, at most two decimals."""

    def parse(self, value: Any, ctx: ImportContext) -> Decimal:
        if isinstance(value, bool):
            raise CellError(_("Enter an amount such as 120.50."))
        text = str(value).strip().replace(",", "").replace("¥", "").replace("￥", "")
        if not re.fullmatch(r"\d{1,10}(\.\d+)?", text):
            raise CellError(_("Enter an amount such as 120.50."))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError(_("Enter an amount such as 120.50.")) from None
        if amount != amount.quantize(Decimal("0.01")):
            raise CellError(_("At most two decimals."))
        return amount.quantize(Decimal("0.01"))

    def describe(self) -> str:
        return _t("amount in CNY, 0 or more")


class PartImport(ImportSpec):
    name = "parts"
    model = Part
    title = _("Import spare parts")
    sheet_title = _("spare parts")
    list_url_name = "parts:part_list"
    key_column = "number"
    can_update = True
    update_note = _("Update existing records: a row whose part number already exists updates that part. Filled "
                    "cells replace the stored values; empty cells keep them.")
    notes = [_("Compatible product models: model codes separated by commas.")]
    columns = [
        ImportColumn("number", _("part number"), Text(40, upper=True), required=True, example="TC-1001"),
        ImportColumn("name", _("name"), Text(200), required=True, example="温控模块"),
        ImportColumn("specification", _("specification"), Text(300), example="24V 10A"),
        ImportColumn("unit_of_measure", _("unit of measure"), Text(20), example="个"),
        ImportColumn("category", _("category"), Choice(PartCategory), example=PartCategory.KEY.label),
        ImportColumn("tracking", _("tracking"), Choice(Tracking), example=Tracking.SERIAL.label),
        ImportColumn("standard_cost", _("standard cost"), Money(), example="800"),
        ImportColumn("sale_price", _("sale price"), Money(), example="1200"),
        ImportColumn("supplier", _("supplier"), Text(200), example="苏州某电子"),
        ImportColumn("lead_time_days", _("lead time (working days)"), Integer(0, 365), example="10"),
        ImportColumn("compatible_models", _("compatible product models"), SerialList(40), example="RF-8800, RF-9900"),
    ]

    def prepare(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        numbers = {row.get("number") for row in rows if row.get("number")}
        ctx.cache["existing"] = {p.number: p for p in Part.objects.filter(number__in=numbers)}
        codes = {c.upper() for row in rows for c in (row.get("compatible_models") or [])}
        ctx.cache["models"] = {m.code.upper(): m for m in ProductModel.objects.filter(code__in=codes)} if codes else {}

    def clean_row(self, row: ImportRow, ctx: ImportContext) -> None:
        number = row.get("number")
        existing = ctx.cache["existing"].get(number) if number else None
        if existing is not None:
            if not ctx.update:
                row.error("number", _t("A part with this number already exists. Choose “update existing records” "
                                       "to change it."))
                return
            row.state["instance"] = existing
        models = []
        for code in row.get("compatible_models") or []:
            model = ctx.cache["models"].get(code.upper())
            if model is None:
                row.error("compatible_models", _t("Unknown product model code %(code)s.") % {"code": code})
            else:
                models.append(model)
        row.state["models"] = models

    def write(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        row = rows[0]
        instance = row.state.get("instance")
        creating = instance is None
        if creating:
            instance = Part()
        for key in ("number", "name", "specification", "unit_of_measure", "category", "tracking", "standard_cost",
                    "sale_price", "supplier", "lead_time_days"):
            value = row.get(key)
            if value is not None:
                setattr(instance, key, value)
        models = row.state.get("models") or None
        services.part_save(user=ctx.user, instance=instance, compatible_models=models)
        if creating:
            ctx.created += 1
        else:
            ctx.updated += 1
