"""Prove the books (账实相符): every balance equals the sum of its moves, nothing is negative or reserved
beyond what is on hand, and each tracked unique ID is in exactly one place (the one its last move took it to,
and counted in that place's balance). Exit status 1 when anything is off."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from serviceloop.parts.checks import check_books


class Command(BaseCommand):
    help = "Check the stock books: balances against the ledger, unique IDs in exactly one place."

    def handle(self, *args, **options):
        problems = check_books()
        for problem in problems[:200]:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the stock books")
        self.stdout.write(self.style.SUCCESS("The stock books are clean."))
