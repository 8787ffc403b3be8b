"""Reactions to events of other apps, registered in core.registry when Django starts (FeedbackConfig.ready):

- SLA escalations (core.registry.on_escalation) notify the service managers of the
  request's branch (and headquarters), or the general manager's office;
- the timeline verbs of this app get their labels.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

log = logging.getLogger(__name__)

VERB_LABELS = {
    "followed_up": gettext_lazy("followed up"),
    "complaint_opened": gettext_lazy("service complaint registered"),
    "handle": gettext_lazy("handled"),
}


def request_url(request: Any) -> str:
    """The request's page (served by the service app's views)."""
    return f"/service/requests/{request.pk}/"


def escalation_recipients(escalation: Any) -> list[Any]:
    from serviceloop.accounts.roles import GM_OFFICE, SERVICE_MANAGER
    from serviceloop.core.notifications import users_with_role
    from serviceloop.service.choices import EscalationLevel

    if escalation.level == EscalationLevel.GM_OFFICE:
        return users_with_role(GM_OFFICE)
    return users_with_role(SERVICE_MANAGER, branch=escalation.service_request.customer.branch)


def notify_escalation(escalation: Any) -> None:
    """“SLA about to breach” / “SLA breached”, with the request number, target and deadline."""
    from serviceloop.core.notifications import notify
    from serviceloop.service.choices import SlaTarget
    from serviceloop.service.models import Escalation

    try:
        escalation = Escalation.objects.select_related("service_request", "service_request__customer",
                                                       "service_request__customer__branch").get(pk=escalation.pk)
        service_request = escalation.service_request
        with override(settings.LANGUAGE_CODE):  # stored text: in the site's language
            values = {
                "number": service_request.number,
                "target": SlaTarget(escalation.target).label,
                "deadline": timezone.localtime(escalation.due_at).strftime("%Y-%m-%d %H:%M")
                if escalation.due_at else "-",
                "customer": service_request.customer.name,
                "title": service_request.title,
            }
            if escalation.breached:
                subject = _("SLA breached: %(number)s") % values
                body = _("Request %(number)s (%(customer)s, %(title)s): the target “%(target)s” was due "
                         "%(deadline)s.") % values
            else:
                subject = _("SLA about to breach: %(number)s") % values
                body = _("Request %(number)s (%(customer)s, %(title)s): the target “%(target)s” is due "
                         "%(deadline)s.") % values
        notify(recipients=escalation_recipients(escalation),
               kind="sla_breached" if escalation.breached else "sla_at_risk",
               subject=subject, body=body, url=request_url(service_request), obj=service_request)
    except Exception:  # a notification problem never stops the escalation run
        log.exception("escalation %s: notification failed", getattr(escalation, "pk", None))
