"""Choices of the spare parts app (备件)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartCategory(models.TextChoices):
    KEY = "key", _("key part")  # 关键件
    WEAR = "wear", _("wear part")  # 易损件
    COMMON = "common", _("common part")  # 常用件


class Tracking(models.TextChoices):
    SERIAL = "serial", _("one by one (unique ID)")
    QUANTITY = "quantity", _("by quantity")


class LocationKind(models.TextChoices):
    HQ_WAREHOUSE = "hq", _("headquarters warehouse")
    BRANCH_WAREHOUSE = "branch", _("branch warehouse")
    VAN = "van", _("engineer's van")
    BENCH = "bench", _("repair bench")
    QUARANTINE = "quarantine", _("quarantine")
    SCRAP = "scrap", _("scrap")
    TRANSIT = "transit", _("in transit")
    SITE = "site", _("customer site")


# Locations stock is issued from and approved against
WAREHOUSES = (LocationKind.HQ_WAREHOUSE, LocationKind.BRANCH_WAREHOUSE)


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("receipt")  # 入库
    ISSUE = "issue", _("issue")  # 发放
    TRANSFER = "transfer", _("transfer")  # 调拨
    CONSUMPTION = "consumption", _("fitted on a work order")
    OLD_PART_RETURN = "old_return", _("old-part return")  # 回收
    ADJUSTMENT = "adjustment", _("count adjustment")  # 盘点差异
    SCRAP = "scrap", _("scrap")  # 报废
    SUPPLIER_RETURN = "supplier_return", _("return to supplier")


class RequisitionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    ISSUED = "issued", _("issued")
    RECEIVED = "received", _("received by the engineer")
    CLOSED = "closed", _("closed")


class OldPartStatus(models.TextChoices):
    DUE = "due", _("to be returned")
    RECEIVED = "received", _("in quarantine")


# Days an engineer has to bring the replaced old part back, per category (None: no return asked).
RETURN_DAYS = {PartCategory.KEY: 7, PartCategory.WEAR: 15, PartCategory.COMMON: None}

VERB_LABELS = {
    "requisition_submitted": _("parts requested"),
    "requisition_approved": _("requisition approved"),
    "requisition_refused": _("requisition refused"),
    "requisition_issued": _("parts issued"),
    "requisition_received": _("parts received by the engineer"),
    "part_fitted": _("part fitted"),
    "old_part_received": _("old part received into quarantine"),
    "stock_received": _("stock received"),
    "move_reversed": _("move reversed"),
}
