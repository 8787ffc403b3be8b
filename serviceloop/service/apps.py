from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "serviceloop.service"
    label = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from serviceloop.core import registry, stamps

        from .selectors import requests_of_unit

        stamps.watch("service.SlaPolicy")  # the active policies are cached per process (sla/policies.py)
        registry.add_verbs({
            "start_review": _("review started"),
            "propose_plan": _("plan proposed to the customer"),
            "confirm_plan": _("plan confirmed by the customer"),
            "reject_plan": _("plan rejected by the customer"),
            "customer_linked": _("customer record linked"),
            "start_work": _("work started"),
            "resolve": _("resolved"),
            "resolution_confirmed": _("resolution confirmed by the customer"),
            "close": _("closed"),
            "cancel": _("cancelled"),
            "reopen": _("reopened"),
        })
        registry.add_panel(registry.UNIT_FILE, "service_requests", requests_of_unit, order=10,
                           template="service/partials/unit_requests.html",
                           print_template="service/print/unit_requests.html")
