"""manage.py seed_demo [--if-empty] [--seed N]: load the demo company (see serviceloop/accounts/demo.py)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from serviceloop.accounts.demo import DEFAULT_UNITS, DEMO_PASSWORD, seed_demo
from serviceloop.customers.models import Customer


class Command(BaseCommand):
    help = "Load demo data: branches, departments, customers, installed base, contracts and one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any customer exists.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--units", type=int, default=DEFAULT_UNITS, help="How many units to create.")

    def handle(self, *args, **options):
        if Customer.objects.exists():
            if options["if_empty"]:
                if options["verbosity"]:
                    self.stdout.write("Customers exist already: no demo data loaded.")
                return
            raise CommandError("The database already holds customers. Load the demo data into an empty database "
                               "(or pass --if-empty to skip quietly).")
        if options["units"] < 1:
            raise CommandError("--units must be at least 1.")
        started = time.monotonic()
        counts = seed_demo(seed=options["seed"], units=options["units"])
        if options["verbosity"]:
            elapsed = time.monotonic() - started
            self.stdout.write(self.style.SUCCESS(
                f"Demo data for {settings.COMPANY_NAME} loaded in {elapsed:.1f} s (seed {options['seed']}):"
            ))
            for kind, number in sorted(counts.items()):
                self.stdout.write(f"  {kind}: {number}")
            self.stdout.write(f"Every demo login uses the password {DEMO_PASSWORD}: manage.py print_demo_logins")
