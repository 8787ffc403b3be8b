"""Excel import of customers: one row per customer, written through services.customer_save."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from serviceloop.accounts.models import Branch
from serviceloop.core.imports import (
    Choice,
    ImportColumn,
    ImportContext,
    ImportRow,
    ImportSpec,
    Reference,
    Text,
)

from . import services
from .choices import CustomerLevel
from .models import Customer, code_validator


def _branches(ctx: ImportContext) -> Any:
    qs = Branch.objects.restrict(ctx.user, "view")
    scope = ctx.scope
    if scope.kind == "branch":
        qs = qs.filter(pk=scope.key)  # branch staff work in their own region only
    return qs


def _load_branches(ctx: ImportContext, keys: set[str]) -> dict[str, Any]:
    """Branches by code or by name (case-insensitive). Branches are few: all visible ones are read once."""
    found = ctx.cache.get("branches_by_key")
    if found is None:
        found = {}
        for branch in Branch.objects.restrict(ctx.user, "view"):
            found.setdefault(branch.code.strip().upper(), branch)
            found.setdefault(branch.name.strip().upper(), branch)
        ctx.cache["branches_by_key"] = found
    return {key: found[key] for key in keys if key in found}


def branch_reference() -> Reference:
    return Reference(
        _load_branches,
        unknown=_("Unknown branch code."),
        description=_("branch code or branch name"),
        allowed=lambda ctx: [f"{b.code} ({b.name})" for b in _branches(ctx).order_by("code")[:60]],
    )


class CustomerImport(ImportSpec):
    name = "customers"
    model = Customer
    title = _("Import customers")
    sheet_title = _("customers")
    list_url_name = "customers:list"
    key_column = "code"
    can_update = True
    update_note = _(
        "Update existing records: a row whose customer code already exists updates that customer. "
        "Filled cells replace the stored values; empty cells keep them. Without this option an "
        "existing code is an error."
    )
    notes = [_("Branch staff can import customers of their own branch only.")]
    columns = [
        ImportColumn("code", _("customer code"), Text(30, upper=True, validators=[code_validator]), required=True,
                     example="C10001"),
        ImportColumn("name", _("customer name"), Text(200), required=True, example="苏州精密电子有限公司"),
        ImportColumn("level", _("customer level"), Choice(CustomerLevel), example=str(CustomerLevel.IMPORTANT)),
        ImportColumn("branch", _("branch"), branch_reference(), required=True, example="EAST"),
        ImportColumn("address", _("address"), Text(300), example="江苏省苏州市工业园区星湖街 88 号"),
        ImportColumn("phone", _("phone"), Text(30), example="0512-66668888"),
        ImportColumn("note", _("note"), Text(2000)),
    ]

    def prepare(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        codes = {row.get("code") for row in rows if row.get("code")}
        existing: dict[str, Customer] = {}
        changeable: dict[str, Customer] = {}
        ordered = sorted(codes)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            existing.update({c.code: c for c in Customer.objects.filter(code__in=chunk).only("pk", "code")})
            changeable.update({c.code: c for c in Customer.objects.restrict(ctx.user, "change").filter(code__in=chunk)})
        ctx.cache["existing"] = existing
        ctx.cache["changeable"] = changeable

    def clean_row(self, row: ImportRow, ctx: ImportContext) -> None:
        code = row.get("code")
        if code and code in ctx.cache["existing"]:
            if not ctx.update:
                row.error("code", _t("A customer with this code already exists. Choose \u201cupdate existing "
                                     "records\u201d to change it."))
            elif code not in ctx.cache["changeable"]:
                row.error("code", _t("A customer with this code already exists and you may not change it."))
            else:
                row.state["instance"] = ctx.cache["changeable"][code]
        branch = row.get("branch")
        scope = ctx.scope
        if branch is not None and scope.kind == "branch" and branch.pk != scope.key:
            row.error("branch", _t("You may import customers of your own branch only."))

    def write(self, rows: list[ImportRow], ctx: ImportContext) -> None:
        row = rows[0]
        instance = row.state.get("instance")
        creating = instance is None
        if creating:
            instance = Customer()
        for key in ("code", "name", "level", "branch", "address", "phone", "note"):
            value = row.get(key)
            if value is not None:
                setattr(instance, key, value)
        services.customer_save(user=ctx.user, instance=instance)
        if creating:
            ctx.created += 1
        else:
            ctx.updated += 1
