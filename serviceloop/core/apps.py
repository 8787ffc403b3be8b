from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "serviceloop.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import stamps

        stamps.connect()  # per-process caches of roles, calendars (and what apps watch) kept correct
