"""Who hears about a request's steps (SPEC §3: received, plan decided). Written in the step's own
transaction, with their outbox rows (core/notifications.py): they commit with the step or not at all, and
the other channels deliver them after the commit."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from serviceloop.core.notifications import customer_users, notify

from .models import ServiceRequest


def _send(service_request: ServiceRequest, kind: str, subject: str, body: str) -> None:
    notify(recipients=customer_users(service_request.customer), kind=kind, subject=subject, body=body,
           url=service_request.get_absolute_url(), obj=service_request)


def request_received(service_request: ServiceRequest) -> None:
    def send() -> None:
        with translation.override("zh-hans"):
            _send(service_request, "request_received",
                  _("Request %(number)s received") % {"number": service_request.number},
                  _("We received your request “%(title)s”. The service desk will answer you shortly.")
                  % {"title": service_request.title})
    send()


def plan_decided(service_request: ServiceRequest) -> None:
    def send() -> None:
        with translation.override("zh-hans"):
            _send(service_request, "plan_decided",
                  _("Service plan for %(number)s: %(plan)s") % {"number": service_request.number,
                                                                 "plan": service_request.get_plan_display()},
                  (service_request.plan_note or "") + "\n" + _("Please confirm the plan in the portal or tell the desk."))
    send()


def request_resolved(service_request: ServiceRequest) -> None:
    def send() -> None:
        with translation.override("zh-hans"):
            _send(service_request, "request_resolved",
                  _("Request %(number)s is resolved") % {"number": service_request.number},
                  service_request.resolution + "\n" + _("Please confirm the resolution and rate our service."))
    send()


def plan_rejected(service_request: ServiceRequest, *, actor: Any, comment: str) -> None:
    """The customer does not agree to the plan: the desk hears it (whoever proposed the plan, and the
    service desk of the customer's branch and headquarters), in the step's transaction."""
    from serviceloop.accounts.roles import SERVICE_DESK
    from serviceloop.core.notifications import users_with_role
    from serviceloop.core.timeline import events_for

    proposed = events_for(service_request).filter(verb="propose_plan").order_by("-at", "-id").first()
    branch = service_request.customer.branch if service_request.customer_id else None
    recipients = [proposed.actor] if proposed is not None and proposed.actor is not None else []
    recipients += users_with_role(SERVICE_DESK, branch=branch)
    recipients = [u for u in recipients if u.pk != getattr(actor, "pk", None) and not getattr(u, "customer_id", None)]
    with translation.override("zh-hans"):
        notify(recipients=recipients, kind="plan_rejected",
               subject=_("The customer rejected the plan for %(number)s") % {"number": service_request.number},
               body=_("%(customer)s: %(comment)s") % {"customer": service_request.customer_label, "comment": comment},
               url=service_request.get_absolute_url(), obj=service_request)
