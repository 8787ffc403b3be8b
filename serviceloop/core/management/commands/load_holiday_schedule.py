"""manage.py load_holiday_schedule FILE [--replace]: the State Council's yearly schedule (放假安排) into the
company calendar days (core/holiday_schedule.py describes the file). Nothing is written on any error."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from serviceloop.core.holiday_schedule import MAX_BYTES, ScheduleError, schedule_load


class Command(BaseCommand):
    help = "Load next year's official holiday schedule (CSV or JSON: date, kind=holiday|workday, name)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (date,kind,name) or .json file")
        parser.add_argument("--replace", action="store_true",
                            help="remove the days entered for the file's years that the file does not list")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}) from None
        try:
            result = schedule_load(data=data, filename=path.name, replace=options["replace"])
        except ScheduleError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(_("Nothing was loaded: %(count)s errors.") % {"count": len(exc.errors)}) from None
        self.stdout.write(
            _("Loaded %(total)s days for %(years)s: %(created)s new, %(updated)s changed, %(unchanged)s unchanged, "
              "%(removed)s removed.")
            % {"total": result.total, "years": ", ".join(map(str, result.years)), "created": result.created,
               "updated": result.updated, "unchanged": result.unchanged, "removed": result.removed}
        )
