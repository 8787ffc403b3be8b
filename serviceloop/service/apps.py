from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "serviceloop.service"
    label = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from serviceloop.core import stamps
        from serviceloop.core.models import register_verbs

        stamps.watch("service.SlaPolicy")  # the active policies are cached per process (sla/policies.py)

        register_verbs({
            "start_review": _("review started"),
            "propose_plan": _("plan proposed to the customer"),
            "confirm_plan": _("plan confirmed by the customer"),
            "start_work": _("work started"),
            "resolve": _("resolved"),
            "resolution_confirmed": _("resolution confirmed by the customer"),
            "close": _("closed"),
            "cancel": _("cancelled"),
            "reopen": _("reopened"),
        })
