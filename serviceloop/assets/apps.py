from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "serviceloop.assets"
    label = "assets"
    verbose_name = _("Installed base")

    def ready(self) -> None:
        from serviceloop.core import registry

        from . import selectors
        from .imports import SalesOrderImport, UnitImport

        registry.add_import("units", UnitImport)
        registry.add_import("sales_orders", SalesOrderImport)
        registry.add_panel(registry.CUSTOMER_PAGE, "units", selectors.units_of_customer, order=10,
                           template="assets/partials/customer_units.html")
        registry.add_panel(registry.CUSTOMER_PAGE, "contracts", selectors.contracts_of_customer, order=20,
                           template="assets/partials/customer_contracts.html")
        registry.add_panel(registry.CUSTOMER_PAGE, "sales_orders", selectors.sales_orders_of_customer, order=30,
                           template="assets/partials/customer_sales_orders.html")
