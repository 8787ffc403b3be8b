from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "serviceloop.feedback"
    label = "feedback"
    verbose_name = _("Customer feedback")

    def ready(self) -> None:
        from serviceloop.core import registry

        from . import (
            handlers,
            selectors,
            steps,  # noqa: F401 (steps: the follow-up call and the rating on a request)
        )

        registry.on_escalation(handlers.notify_escalations, batch=True)
        registry.add_verbs(handlers.VERB_LABELS)
        registry.add_panel(registry.REQUEST_PAGE, "follow_ups", selectors.follow_ups_of, order=20,
                           template="feedback/partials/request_follow_ups.html")
        registry.add_panel(registry.REQUEST_PAGE, "service_complaints", selectors.complaints_of, order=21,
                           template="feedback/partials/request_complaints.html")
