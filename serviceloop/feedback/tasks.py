"""Periodic jobs of the feedback loop."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import close_unanswered


@db_periodic_task(crontab(minute="7"))
def close_unanswered_requests() -> int:
    """Hourly: close resolved requests nobody answered for FOLLOWUP_WAIT_DAYS days. Returns how many."""
    return close_unanswered()
