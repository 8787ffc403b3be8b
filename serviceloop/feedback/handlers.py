"""Reactions to events of other apps, registered in core.registry when Django starts (FeedbackConfig.ready):

- SLA escalations (core.registry.on_escalation, a batch hook) notify the service managers of the
  request's branch (and headquarters), or the general manager's office: one notification per
  recipient and run;
- the timeline verbs of this app get their labels.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from serviceloop.core.messages import join, message

log = logging.getLogger(__name__)

VERB_LABELS = {
    "followed_up": gettext_lazy("followed up"),
    "complaint_opened": gettext_lazy("service complaint registered"),
    "handle": pgettext_lazy("complaint", "handling measures recorded"),
    "send": pgettext_lazy("complaint", "sent to the departments"),
    "analyse": pgettext_lazy("complaint", "department analysis"),
    "analysis_overdue": gettext_lazy("analysis overdue, escalated"),
    "revisit": pgettext_lazy("complaint", "revisited"),
}


def request_url(request: Any) -> str:
    """The request's page (served by the service app's views)."""
    return f"/service/requests/{request.pk}/"


DIGEST_LINES = 30  # escalations listed in one digest notification; the rest are counted


def notify_escalation(escalation: Any) -> None:
    """One escalation's notification (the batch hook with a batch of one)."""
    notify_escalations([escalation])


def notify_escalations(escalations: list[Any]) -> None:
    """“SLA about to breach” / “SLA breached” to the service managers of each request's branch (and
    headquarters) or the general manager's office: one notification per recipient and run — the
    escalation's own message when a person has one, a digest listing them when a backlog gives them many.
    """
    from serviceloop.accounts.roles import GM_OFFICE, SERVICE_MANAGER
    from serviceloop.core.notifications import notify, users_with_role
    from serviceloop.service.choices import EscalationLevel
    from serviceloop.service.models import Escalation

    try:
        rows = list(Escalation.objects.select_related("service_request", "service_request__customer",
                                                      "service_request__customer__branch")
                    .filter(pk__in=[e.pk for e in escalations]).order_by("pk"))
        people: dict[Any, list[Any]] = {}  # whose managers -> users (one query per branch and level)
        mine: dict[int, list[Any]] = {}  # recipient id -> their escalations
        users: dict[int, Any] = {}
        for escalation in rows:
            if escalation.level == EscalationLevel.GM_OFFICE:
                key = ("gm",)
            else:
                # a caller not in the system yet (no customer record): headquarters' managers
                customer = escalation.service_request.customer
                key = ("branch", customer.branch_id if customer is not None else None)
            if key not in people:
                people[key] = (users_with_role(GM_OFFICE) if key == ("gm",) else
                               users_with_role(SERVICE_MANAGER, branch=customer.branch if customer is not None else None))
            for user in people[key]:
                users[user.pk] = user
                mine.setdefault(user.pk, []).append(escalation)
        by_batch: dict[tuple[int, ...], list[Any]] = {}  # the same escalations -> one notify() for them all
        for user_id, theirs in mine.items():
            by_batch.setdefault(tuple(e.pk for e in theirs), []).append(users[user_id])
        for recipients in by_batch.values():
            theirs = mine[recipients[0].pk]
            # stored messages (core/messages.py): each manager reads them in their own language
            content = _one(theirs[0]) if len(theirs) == 1 else _digest(theirs)
            notify(recipients=recipients, **content)
    except Exception:  # a notification problem never stops the escalation run
        log.exception("escalations %s: notification failed", [getattr(e, "pk", None) for e in escalations][:10])


def _values(escalation: Any) -> dict[str, Any]:
    from serviceloop.service.choices import SlaTarget

    service_request = escalation.service_request
    return {
        "number": service_request.number,
        "target": SlaTarget(escalation.target).label,  # a key: translated for each reader
        "deadline": timezone.localtime(escalation.due_at).strftime("%Y-%m-%d %H:%M") if escalation.due_at else "-",
        "customer": service_request.customer_label,
        "title": service_request.title,
    }


def _one(escalation: Any) -> dict[str, Any]:
    values = _values(escalation)
    if escalation.breached:
        subject = message(gettext_noop("SLA breached: %(number)s"), number=values["number"])
        body = message(gettext_noop("Request %(number)s (%(customer)s, %(title)s): the target “%(target)s” was due "
                                    "%(deadline)s."), **values)
    else:
        subject = message(gettext_noop("SLA about to breach: %(number)s"), number=values["number"])
        body = message(gettext_noop("Request %(number)s (%(customer)s, %(title)s): the target “%(target)s” is due "
                                    "%(deadline)s."), **values)
    return {"kind": "sla_breached" if escalation.breached else "sla_at_risk", "subject": subject, "body": body,
            "url": request_url(escalation.service_request), "obj": escalation.service_request}


def _digest(escalations: list[Any]) -> dict[str, Any]:
    breached = sum(1 for e in escalations if e.breached)
    counts = {"count": len(escalations), "breached": breached}
    subject = message(gettext_noop("SLA: %(count)s escalations, %(breached)s breached"), **counts)
    lines = []
    for escalation in escalations[:DIGEST_LINES]:
        values = _values(escalation)
        values.pop("title")
        line = (gettext_noop("%(number)s (%(customer)s): “%(target)s” was due %(deadline)s") if escalation.breached
                else gettext_noop("%(number)s (%(customer)s): “%(target)s” is due %(deadline)s"))
        lines.append(message(line, **values))
    if len(escalations) > DIGEST_LINES:
        lines.append(message(gettext_noop("… and %(more)s more: see the service queue."),
                             more=len(escalations) - DIGEST_LINES))
    return {"kind": "sla_breached" if breached else "sla_at_risk", "subject": subject, "body": join(*lines, sep="\n"),
            "url": "/service/?breached=1" if breached else "/service/"}
