from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "serviceloop.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from serviceloop.core import registry

        from .imports import CustomerImport

        registry.add_import("customers", CustomerImport)
