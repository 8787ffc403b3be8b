"""Periodic jobs of the feedback loop."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import close_unanswered, complaint_escalate_overdue


@db_periodic_task(crontab(minute="7"))
def close_unanswered_requests() -> int:
    """Hourly: close resolved requests nobody answered for FOLLOWUP_WAIT_DAYS days. Returns how many."""
    return close_unanswered()


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue_complaint_analyses() -> int:
    """Every 5 minutes: departments' complaint analyses past their 24 hours are flagged and escalated."""
    return complaint_escalate_overdue()
