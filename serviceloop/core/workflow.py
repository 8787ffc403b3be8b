"""Declared transition tables: one check and one apply for every workflow model.

A workflow model declares ``TRANSITIONS = {move: (allowed from-states, to-state)}`` next to it;
its services lock the row, set the move's fields and call ``apply_move``: the move is checked
against the table (an illegal one is a ValidationError with code ``illegal_transition`` and the
app's own sentence), the row is saved with the version check, and a timeline event records
from -> to.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from .concurrency import save_versioned
from .timeline import record_event


def check_move(obj: Any, move: str, *, transitions: dict, statuses: Any, message: Any) -> str:
    """The state ``move`` leads to from ``obj.status``; ``message`` takes %(status)s and %(target)s."""
    allowed, target = transitions[move]
    if obj.status not in allowed:
        raise ValidationError(
            str(message) % {"status": statuses(obj.status).label, "target": statuses(target).label},
            code="illegal_transition",
        )
    return target


def apply_move(
    obj: Any, move: str, *, transitions: dict, statuses: Any, message: Any, actor: Any, note: str = "",
    expected_version: int | None = None, data: dict | None = None,
) -> Any:
    """Apply a move whose fields the caller has already set on ``obj`` (a locked row)."""
    target = check_move(obj, move, transitions=transitions, statuses=statuses, message=message)
    source = obj.status
    obj.status = target
    save_versioned(obj, expected_version=expected_version, user=actor)
    record_event(obj, actor=actor, verb=move, from_state=source, to_state=target, note=note, data=data)
    return obj
