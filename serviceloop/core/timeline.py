"""Timeline events: the 处理记录 of any record."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .messages import as_stored, as_text
from .models import TimelineEvent


def record_event(
    subject: models.Model,
    *,
    actor: Any,
    verb: str,
    from_state: str = "",
    to_state: str = "",
    note: Any = "",
    quantity: int | None = None,
    data: dict | None = None,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        content_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        object_id=subject.pk,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=timezone.now(),
        verb=verb,
        from_state=from_state,
        to_state=to_state,
        note=as_text(note),  # a stored message (core/messages.py) in the site's language; plain text as typed
        note_message=as_stored(note),
        quantity=quantity,
        data=data or {},
    )


def events_for(subject: models.Model) -> models.QuerySet[TimelineEvent]:
    ct = ContentType.objects.get_for_model(subject, for_concrete_model=True)
    return TimelineEvent.objects.filter(content_type=ct, object_id=subject.pk).select_related("actor")
