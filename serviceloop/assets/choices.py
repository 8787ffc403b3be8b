from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceClass(models.TextChoices):
    """服务分类 (seed 001 §3.1)."""

    EQUIPMENT = "equipment", _("Large/complete equipment (service file per unit)")
    TOOL_KIT = "tool_kit", _("Tool kit / standard device")
    SPARE_PART = "spare_part", _("Spare part (return/exchange/compensate)")


class UnitStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    IN_STOCK = "in_stock", _("In stock")
    RETURNED = "returned", _("Returned to factory")
    SCRAPPED = "scrapped", _("Scrapped")


class WarrantyState(models.TextChoices):
    """保修状态."""

    IN_WARRANTY = "in_warranty", _("In warranty")
    CONTRACT = "contract", _("Under contract")
    CHARGEABLE = "chargeable", _("Chargeable")


class WarrantyBasis(models.TextChoices):
    ACCEPTANCE = "acceptance", _("acceptance date")
    INSTALL = "install", _("installation date")
    SHIP = "ship", _("ship date")
    NONE = "", _("no date")


class SlaLevel(models.TextChoices):
    STANDARD = "standard", _("Standard (working hours)")
    PRIORITY = "priority", _("Priority (working hours, faster targets)")
    ROUND_THE_CLOCK = "24x7", _("24/7")
