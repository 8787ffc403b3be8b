"""Who hears about a request's steps (SPEC §3: received, plan decided). Written in the step's own
transaction, with their outbox rows (core/notifications.py): they commit with the step or not at all, and
the other channels deliver them after the commit. Subjects and bodies are stored messages
(core/messages.py): each customer reads them in their own language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from serviceloop.core.messages import join, message
from serviceloop.core.notifications import customer_users, notify

from .choices import ServicePlan
from .models import ServiceRequest


def _send(service_request: ServiceRequest, kind: str, subject: Any, body: Any) -> None:
    notify(recipients=customer_users(service_request.customer), kind=kind, subject=subject, body=body,
           url=service_request.get_absolute_url(), obj=service_request)


def request_received(service_request: ServiceRequest) -> None:
    _send(service_request, "request_received",
          message(gettext_noop("Request %(number)s received"), number=service_request.number),
          message(gettext_noop("We received your request “%(title)s”. The service desk will answer you shortly."),
                  title=service_request.title))


def plan_decided(service_request: ServiceRequest) -> None:
    plan = ServicePlan(service_request.plan).label if service_request.plan else ""
    _send(service_request, "plan_decided",
          message(gettext_noop("Service plan for %(number)s: %(plan)s"), number=service_request.number, plan=plan),
          join(service_request.plan_note or "",
               message(gettext_noop("Please confirm the plan in the portal or tell the desk.")), sep="\n"))


def request_resolved(service_request: ServiceRequest) -> None:
    _send(service_request, "request_resolved",
          message(gettext_noop("Request %(number)s is resolved"), number=service_request.number),
          join(service_request.resolution, message(gettext_noop("Please confirm the resolution and rate our service.")),
               sep="\n"))


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
    notify(recipients=recipients, kind="plan_rejected",
           subject=message(gettext_noop("The customer rejected the plan for %(number)s"), number=service_request.number),
           body=message(gettext_noop("%(customer)s: %(comment)s"), customer=service_request.customer_label,
                        comment=comment),
           url=service_request.get_absolute_url(), obj=service_request)
