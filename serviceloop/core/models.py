"""Shared building blocks: base models, scoping, numbering, timeline, attachments, audit."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import registry
from .messages import render
from .scoping import ScopedQuerySet


class TimestampedModel(models.Model):
    """Created/updated stamps, last editor, and a version column for optimistic locking."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()

    # Paths from this model to the scoping keys; None means "not scoped by this key".
    # "customer": lookup to the Customer pk; "branch": lookup to the Branch pk.
    scope_paths: dict[str, str | None] = {}
    # Global reference data (no customer or branch) visible to anyone who holds the view permission.
    scope_global: bool = False

    class Meta:
        abstract = True


class DocumentSequence(models.Model):
    """Monthly counters for document numbers: prefix + YYMM + sequence (CSI-2611-0042)."""

    prefix = models.CharField(_("prefix"), max_length=12)
    period = models.CharField(_("period"), max_length=4, help_text=_("YYMM"))
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("document sequence")
        verbose_name_plural = _("document sequences")
        constraints = [models.UniqueConstraint(fields=["prefix", "period"], name="uniq_sequence_prefix_period")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.period}: {self.last_value}"


# What core's timeline verbs say to a person (core.registry holds every app's; unknown verbs show as they are).
CORE_VERBS = {
    "created": _("created"),
    "updated": _("updated"),
    "deleted": _("deleted"),
    "attachment_added": _("file attached"),
    "handed_over": _("handed over to the service desk"),
    "reviewed": _("reviewed"),
    "escalated": _("escalated"),
    "sla_paused": _("clocks paused"),
    "sla_resumed": _("clocks resumed"),
    "called": _("called"),
}


class TimelineEvent(models.Model):
    """处理记录: who did what, when, from -> to, on any record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("record type"))
    object_id = models.BigIntegerField(_("record id"))
    subject = GenericForeignKey("content_type", "object_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField(_("at"), db_index=True)
    verb = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    # the note as a stored message (core/messages.py), rendered in the reader's language; None: ``note`` as typed
    note_message = models.JSONField(_("note (message key)"), null=True, blank=True, editable=False)
    quantity = models.IntegerField(_("counted quantity"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="timeline_subject_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb}"

    def get_verb_display(self) -> str:
        return registry.verb_label(self.verb)

    @property
    def display_note(self) -> str:
        """The note in the reader's language (a stored message), or as it was typed."""
        return render(self.note_message, fallback=self.note) if self.note_message is not None else self.note

    def _state_label(self, code: str) -> str:
        """A state code in words, from the choices of the record's ``status`` field."""
        if not code:
            return ""
        model = ContentType.objects.get_for_id(self.content_type_id).model_class() if self.content_type_id else None
        try:
            choices = dict(model._meta.get_field("status").flatchoices) if model is not None else {}
        except Exception:  # a record type without a status field
            choices = {}
        return str(choices.get(code, code))

    @property
    def from_label(self) -> str:
        return self._state_label(self.from_state)

    @property
    def to_label(self) -> str:
        return self._state_label(self.to_state)


def attachment_path(instance: Attachment, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}.{ext}"


class Attachment(models.Model):
    """A file on any record. Downloaded only through the access gate of its record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("record type"))
    object_id = models.BigIntegerField(_("record id"))
    subject = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type_sniffed = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_subject")]

    def __str__(self) -> str:
        return self.original_name


class AuthorizationFailure(models.Model):
    """One audit row per refused access: a 404 for an invisible record, a 403 for a forbidden action."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, blank=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20)

    class Meta:
        verbose_name = _("authorisation failure")
        verbose_name_plural = _("authorisation failures")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.outcome} {self.target}"


class WorkerHeartbeat(models.Model):
    """Written by the periodic heartbeat task; the status page shows the last beat."""

    name = models.CharField(_("worker"), max_length=50, unique=True)
    beat_at = models.DateTimeField(_("last heartbeat"))
    count = models.PositiveIntegerField(_("beats"), default=0)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at}"


class WorkCalendar(TimestampedModel):
    """工作日历: working hours per working day, or round the clock for contracts that buy 24/7."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    working_hours = models.CharField(
        _("working hours"), max_length=100, default="08:30-12:00,13:00-17:30",
        help_text=_("Periods of a working day, e.g. 08:30-12:00,13:00-17:30."),
    )
    round_the_clock = models.BooleanField(_("24/7"), default=False)
    is_default = models.BooleanField(_("default calendar"), default=False)

    scope_global = True

    class Meta:
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .workcalendar import parse_periods

        if not self.round_the_clock:
            try:
                parse_periods(self.working_hours)
            except ValueError as exc:
                raise ValidationError({"working_hours": str(exc)}) from None


class CalendarDay(models.Model):
    """A company holiday or make-up working day (调休) that overrides the statutory calendar."""

    date = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(_("working day"), help_text=_("Ticked: a make-up working day; not ticked: a day off."))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("company calendar day")
        verbose_name_plural = _("company calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"


class Notification(models.Model):
    """One message to one person (通知). The row is the in-app copy; other channels deliver it too, each
    through its ``NotificationDelivery`` row (core/notifications.py)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    # subject and body as stored messages (core/messages.py), rendered in the reader's language; None on
    # rows written as plain text (the old call style, and rows from before): ``subject``/``body`` as stored
    subject_message = models.JSONField(_("subject (message key)"), null=True, blank=True, editable=False)
    body_message = models.JSONField(_("message (message key)"), null=True, blank=True, editable=False)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), null=True, blank=True, on_delete=models.CASCADE
    )
    object_id = models.BigIntegerField(_("record id"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.subject}"

    @property
    def display_subject(self) -> str:
        """The subject in the active language (the reader's)."""
        if self.subject_message is None:
            return self.subject
        return render(self.subject_message, fallback=self.subject)[:200] or self.subject

    @property
    def display_body(self) -> str:
        """The body in the active language (the reader's)."""
        if self.body_message is None:
            return self.body
        return render(self.body_message, fallback=self.body)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    SKIPPED = "skipped", _("nothing to send")
    FAILED = "failed", _("given up")


class NotificationDelivery(models.Model):
    """The outbox (发送队列): one row per notification and channel, written in the notification's own
    transaction, so a delivery is never lost between a commit and a queue. A worker claims a pending row
    with a lease (``lease_until``), sends it with the row's idempotency key (the e-mail's Message-ID, the
    webhook's Idempotency-Key header) and records the outcome; a failure is retried later with a growing
    delay, a lease that runs out (the worker died) frees the row for the periodic sweep."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(pgettext_lazy("notification delivery", "channel"), max_length=40)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    created_at = models.DateTimeField(_("created at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    lease_token = models.CharField(_("claim"), max_length=32, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="uniq_delivery_notification_channel"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_due"),
            models.Index(fields=["delivered_at"], name="delivery_delivered_at"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"


class CacheStamp(models.Model):
    """One row whose value changes, in the same transaction, with every change of roles (groups and
    their permissions), SLA policies or working calendars. Each process keeps those in memory and
    reloads them when the stamp it reads differs from the one it loaded them under (``core/stamps.py``).
    Who is in which group is stamped on the user (``User.access_stamp``)."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    value = models.CharField(_("value"), max_length=32)

    class Meta:
        db_table = "accounts_cachestamp"  # the table it had when it lived in accounts (running processes read it)
        verbose_name = _("cache stamp")
        verbose_name_plural = _("cache stamps")

    def __str__(self) -> str:
        return self.value
