from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "serviceloop.feedback"
    label = "feedback"
    verbose_name = _("Customer feedback")

    def ready(self) -> None:
        from . import handlers, steps  # noqa: F401 (steps: the follow-up call and the rating on a request)

        handlers.register()
