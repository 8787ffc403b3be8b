"""Periodic jobs of service requests."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import sla_escalate


@db_periodic_task(crontab(minute="*/5"))
def escalate_sla() -> int:
    """Every 5 minutes: escalate targets about to breach (< 20% left) or breached. Returns how many."""
    return len(sla_escalate())
