from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "serviceloop.parts"
    label = "parts"
    verbose_name = _("Spare parts")

    def ready(self) -> None:
        from serviceloop.core import registry

        from . import (
            selectors,
            steps,  # noqa: F401 (requisition and old-part steps, and "request parts" on a work order)
        )
        from .choices import VERB_LABELS
        from .imports import PartImport

        registry.add_verbs(VERB_LABELS)
        registry.add_import("parts", PartImport)
        registry.add_panel(registry.WORK_ORDER_PAGE, "parts_panel", work_order_panel, order=10,
                           template="parts/partials/work_order_parts.html")
        registry.add_panel(registry.SERVICE_REPORT_PDF, "report_parts", fitted_on, order=10,
                           print_template="parts/print/report_parts.html")
        registry.add_panel(registry.UNIT_FILE, "unit_parts", selectors.parts_of_unit, order=40,
                           template="parts/partials/unit_parts.html",
                           print_template="parts/print/unit_parts.html")


def work_order_panel(user, work_order):
    """What the work order page shows of its spare parts: fitted (from the ledger), requisitions, old parts."""
    from . import selectors

    if not user.has_perm("parts.view_requisition"):
        return {"visible": False}
    return {
        "visible": True,
        "fitted": selectors.parts_of_work_order(user, work_order),
        "requisitions": list(selectors.requisitions_visible_to(user).filter(work_order=work_order)),
        "old_parts": list(selectors.old_parts_visible_to(user).filter(work_order=work_order)),
    }


def fitted_on(user, work_order):
    """The parts fitted on the work order, from the ledger, for its printed service report (no user: the
    document shows what was fitted, whoever prints it)."""
    from .choices import MoveKind
    from .models import StockMove

    return list(StockMove.objects.filter(work_order=work_order, kind=MoveKind.CONSUMPTION, reverses__isnull=True,
                                         reversed_by__isnull=True)
                .select_related("part").prefetch_related("serials").order_by("at", "id"))
