from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

LIMIT = 50  # rows of a panel of the unit's service file


class WorkOrdersConfig(AppConfig):
    name = "serviceloop.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        from serviceloop.core import registry

        from . import (
            selectors,
            steps,  # noqa: F401 (the work order steps, and the new work order on a request)
        )
        from .choices import VERB_LABELS

        registry.add_verbs(VERB_LABELS)  # what this app's timeline verbs say to a person
        registry.add_panel(registry.UNIT_FILE, "work_orders", order=20,
                           load=lambda user, unit: list(selectors.work_orders_of_unit(user, unit)[:LIMIT]),
                           template="workorders/partials/unit_work_orders.html",
                           print_template="workorders/print/unit_work_orders.html")
        registry.add_panel(registry.UNIT_FILE, "service_reports", order=30,
                           load=lambda user, unit: list(selectors.service_reports_of_unit(user, unit)[:LIMIT]),
                           template="workorders/partials/unit_service_reports.html",
                           print_template="workorders/print/unit_service_reports.html")
        registry.add_panel(registry.REQUEST_PAGE, "work_orders", selectors.work_orders_of_request, order=10,
                           template="workorders/partials/request_work_orders.html")
        registry.add_panel(registry.SALES_ORDER_PAGE, "billed_fees", selectors.fees_billed_by, order=10,
                           template="workorders/partials/sales_order_fees.html")
