from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "serviceloop.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import registry, stamps
        from .models import CORE_VERBS

        stamps.connect()  # per-process caches of roles, calendars (and what apps watch) kept correct
        registry.add_verbs(CORE_VERBS)
