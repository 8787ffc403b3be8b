from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "serviceloop.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        # What this app's timeline verbs say to a person (core shows unknown verbs as they are).
        from serviceloop.core.models import VERB_LABELS

        from .choices import VERB_LABELS as OURS

        for verb, label in OURS.items():
            VERB_LABELS.setdefault(verb, label)

        from . import steps  # noqa: F401 (the work order steps, and the new work order on a request)
