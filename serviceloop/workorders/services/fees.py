"""Fees of a chargeable job: save, delete, the total, and the sales order (SO) that bills them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.concurrency import check_version, save_versioned
from serviceloop.core.messages import join
from serviceloop.core.numbering import next_number
from serviceloop.core.timeline import record_event

from ..choices import FeeKind
from ..models import FeeLine, WorkOrder
from .common import S, _has, _lock, _require, _text
from .work_orders import PERM_CLOSE, PERM_DISPATCH, is_assigned


def _require_fee_writer(actor: Any, work_order: WorkOrder, action: str) -> None:
    _require(actor, f"workorders.{action}_feeline")
    if not (_has(actor, PERM_DISPATCH, PERM_CLOSE) or is_assigned(actor, work_order)):
        raise PermissionDenied(_("Only the service office or the engineers on the job record fees."))


@transaction.atomic
def fee_line_save(*, user: Any, instance: FeeLine, expected_version: int | None = None, **_ignored: Any) -> FeeLine:
    """Add or change a fee of a chargeable job; the amount is quantity x unit price."""
    creating = instance._state.adding
    if not creating:
        stored_wo = FeeLine.objects.filter(pk=instance.pk).values_list("work_order_id", flat=True).first()
        if stored_wo is not None and stored_wo != instance.work_order_id:
            raise ValidationError({"work_order": [_("A fee stays on its work order.")]})
    work_order = _lock(instance.work_order)
    _require_fee_writer(user, work_order, "add" if creating else "change")
    if not work_order.chargeable:
        raise ValidationError({"work_order": [_("This work order is not chargeable (in warranty or under contract).")]})
    if work_order.status in (S.CLOSED, S.CANCELLED):
        raise ValidationError({"work_order": [_("The fees of a closed or cancelled work order cannot change.")]})
    instance.work_order = work_order
    instance.description = _text(instance.description)
    instance.full_clean(exclude=["amount"])
    instance.amount = instance.compute_amount()
    if instance.amount >= Decimal("1e12"):
        raise ValidationError({"quantity": [_("The amount is too large.")]})
    save_versioned(instance, expected_version=expected_version, user=user)
    record_event(work_order, actor=user, verb="fee_added" if creating else "fee_changed",
                 note=_fee_note(instance),
                 data={"fee_line": instance.pk, "amount": str(instance.amount)})
    return instance


def _fee_note(line: FeeLine) -> Any:
    """The timeline note of a fee line: the kind as a key, so each reader sees it in their language."""
    kind = FeeKind(line.kind).label if line.kind in FeeKind.values else line.kind
    return join(kind, line.description, str(line.amount), sep=" ")


@transaction.atomic
def fee_line_delete(*, actor: Any, fee_line: FeeLine) -> None:
    work_order = _lock(fee_line.work_order)
    _require_fee_writer(actor, work_order, "delete")
    if work_order.status in (S.CLOSED, S.CANCELLED):
        raise ValidationError(_("The fees of a closed or cancelled work order cannot change."), code="closed")
    note = _fee_note(fee_line)
    fee_line.delete()
    record_event(work_order, actor=actor, verb="fee_removed", note=note)


def fee_total(work_order: WorkOrder) -> Decimal:
    return FeeLine.objects.filter(work_order=work_order).aggregate(total=Sum("amount"))["total"] or Decimal("0")


PERM_ADD_SO = "assets.add_salesorder"


@transaction.atomic
def work_order_create_sales_order(
    *, actor: Any, work_order: WorkOrder, note: str = "", expected_version: int | None = None
) -> Any:
    """The sales order (SO, 销售单) that bills the fees of a chargeable job, made from the job (seed 001 §5.4):
    the customer's SO numbered SO-YYMM-NNNN, dated today, its note citing the work order and the request
    (CSI) with the fee total; it is linked as the work order's billing sales order. Its fees are the work
    order's fee lines (shown on the SO page)."""
    from serviceloop.assets.models import SalesOrder

    _require(actor, PERM_ADD_SO, message=_("Your role may not create sales orders."))
    work_order = _lock(work_order)
    check_version(work_order, expected_version)
    if not work_order.chargeable:
        raise ValidationError(_("Only a chargeable work order is billed on a sales order."), code="not_chargeable")
    if work_order.status == S.CANCELLED:
        raise ValidationError(_("This work order is cancelled."), code="wrong_status")
    if work_order.billing_sales_order_id is not None:
        raise ValidationError(_("This work order is already billed on sales order %(number)s.")
                              % {"number": work_order.billing_sales_order.number}, code="billed")
    lines = list(FeeLine.objects.filter(work_order=work_order).order_by("kind", "id"))
    if not lines:
        raise ValidationError(_("Add the fees of the job before its sales order is made."), code="no_fees")
    total = sum((line.amount for line in lines), start=Decimal("0"))
    text = _("Service fees of work order %(wo)s (request %(request)s): %(total)s CNY.") % {
        "wo": work_order.number, "request": work_order.service_request.number, "total": total}
    note = _text(note)
    order = SalesOrder(number=next_number("SO"), customer=work_order.customer, order_date=timezone.localdate(),
                       note="\n".join(filter(None, [text, note])))
    save_versioned(order, expected_version=None, user=actor)
    record_event(order, actor=actor, verb="created", note=work_order.number,
                 data={"work_order": work_order.pk, "total": str(total)})
    work_order.billing_sales_order = order
    save_versioned(work_order, expected_version=None, user=actor)
    record_event(work_order, actor=actor, verb="sales_order_created", note=order.number,
                 data={"sales_order": order.pk, "total": str(total)})
    return order
