"""manage.py outbox_sweep [--grace SECONDS]: queue the pending notification deliveries again now, as the
worker's sweep does every minute (e.g. after the worker or the queue was down for a while)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from serviceloop.core.notifications import sweep


class Command(BaseCommand):
    help = "Queue the pending notification deliveries that no live worker holds (the periodic sweep, once)."

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=int, default=None,
                            help="seconds past due a delivery is left to its own task (default "
                                 "NOTIFICATION_SWEEP_GRACE_SECONDS)")

    def handle(self, *args, **options):
        grace = options["grace"]
        count = sweep(grace=max(grace, 0) if grace is not None else None)
        self.stdout.write(_("%(count)s deliveries queued.") % {"count": count})
