"""Writes for the installed base: product models, units, sales orders, contracts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from serviceloop.core.concurrency import save_and_record
from serviceloop.core.numbering import next_number
from serviceloop.core.serials import parse_serials

from .models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit
from .warranty import refresh_warranty


@transaction.atomic
def product_model_save(*, user: Any, instance: ProductModel, expected_version: int | None = None, **_kwargs: Any) -> ProductModel:
    instance.code = instance.code.strip().upper()
    obj = save_and_record(instance, user=user, expected_version=expected_version)
    if not instance._state.adding:
        # warranty months may have changed: re-derive the stored warranty end of its units
        for unit in obj.units.select_related("product_model").iterator(chunk_size=500):
            old = unit.warranty_end
            refresh_warranty(unit)
            if unit.warranty_end != old:
                Unit.objects.filter(pk=unit.pk).update(
                    warranty_basis=unit.warranty_basis, warranty_start=unit.warranty_start, warranty_end=unit.warranty_end
                )
    return obj


@transaction.atomic
def unit_save(*, user: Any, instance: Unit, expected_version: int | None = None, **_kwargs: Any) -> Unit:
    instance.serial_number = instance.serial_number.strip().upper()
    if instance.site_id and not instance.customer_id:
        instance.customer_id = instance.site.customer_id
    refresh_warranty(instance)
    return save_and_record(instance, user=user, expected_version=expected_version)


@transaction.atomic
def sales_order_save(
    *, user: Any, instance: SalesOrder, lines: list[dict[str, Any]] | None = None,
    expected_version: int | None = None, **_kwargs: Any,
) -> SalesOrder:
    """Save an SO and (if given) replace its lines. Serial numbers must match the quantity.

    A line dict may carry the ``id`` of an existing line of this order: that line is updated in
    place (units keep their link to it); lines not mentioned are deleted; the rest are created.
    """
    if not instance.number:
        instance.number = next_number("SO")
    instance.number = instance.number.strip().upper()
    obj = save_and_record(instance, user=user, expected_version=expected_version)
    if lines is not None:
        errors: dict[str, list[str]] = {}
        seen: set[str] = set()
        for index, line in enumerate(lines, start=1):
            serials = parse_serials(line.get("serial_numbers", ""))
            if serials and len(serials) != line["quantity"]:
                errors.setdefault("lines", []).append(
                    _("Line %(n)s: %(s)s serial numbers for a quantity of %(q)s.")
                    % {"n": index, "s": len(serials), "q": line["quantity"]}
                )
            duplicate = seen.intersection(serials)
            if duplicate:
                errors.setdefault("lines", []).append(
                    _("Line %(n)s: serial number %(serial)s appears twice.") % {"n": index, "serial": sorted(duplicate)[0]}
                )
            seen.update(serials)
        if errors:
            raise ValidationError(errors)
        _replace_lines(obj, lines)
    return obj


def _replace_lines(order: SalesOrder, lines: list[dict[str, Any]]) -> None:
    existing = {line.pk: line for line in order.lines.all()}
    kept_ids = [line.get("id") for line in lines if line.get("id")]
    unknown = [pk for pk in kept_ids if pk not in existing]
    if unknown or len(set(kept_ids)) != len(kept_ids):
        raise ValidationError({"lines": _("A line does not belong to this sales order.")})
    SalesOrderLine.objects.filter(order=order).exclude(pk__in=kept_ids).delete()
    # renumber in two steps so the (order, line_no) constraint never sees a duplicate
    for index, pk in enumerate(kept_ids, start=1):
        SalesOrderLine.objects.filter(pk=pk).update(line_no=20000 + index)
    for index, line in enumerate(lines, start=1):
        row = existing.get(line.get("id")) or SalesOrderLine(order=order)
        row.line_no = index
        row.product_model = line["product_model"]
        row.quantity = line["quantity"]
        row.serial_numbers = "\n".join(parse_serials(line.get("serial_numbers", "")))
        row.updated_by = order.updated_by
        row.save()


@transaction.atomic
def contract_save(
    *, user: Any, instance: ServiceContract, units: list[Unit] | None = None,
    expected_version: int | None = None, **_kwargs: Any,
) -> ServiceContract:
    if not instance.number:
        instance.number = next_number("SC")
    obj = save_and_record(instance, user=user, expected_version=expected_version)
    if units is not None:
        foreign = [u.serial_number for u in units if u.customer_id != obj.customer_id]
        if foreign:
            raise ValidationError(
                {"units": _("These units belong to another customer: %(serials)s") % {"serials": ", ".join(foreign)}}
            )
        obj.units.set(units)
    return obj
