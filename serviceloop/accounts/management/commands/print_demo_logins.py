"""manage.py print_demo_logins [--markdown]: the demo logins, one per role, with their scope."""

from __future__ import annotations

import unicodedata

from django.core.management.base import BaseCommand

from serviceloop.accounts.demo import MORE_ENGINEERS, demo_login_rows

HEADERS = ("Role", "角色", "Username", "Password", "Scope")


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two columns wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


class Command(BaseCommand):
    help = "Print the demo logins (role, user name, password, scope); --markdown for the README."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")

    def handle(self, *args, **options):
        rows = [
            (r["role_en"], r["role_zh"], r["username"], r["password"], r["scope"]) for r in demo_login_rows()
        ]
        if not rows:
            self.stderr.write("No demo logins in this database: load them with manage.py seed_demo.")
            return
        engineers = ", ".join(e[0] for e in MORE_ENGINEERS)
        note = f"More field engineers for dispatch, same password: {engineers}."
        if options["markdown"]:
            self.stdout.write("| " + " | ".join(HEADERS) + " |")
            self.stdout.write("|" + "---|" * len(HEADERS))
            for row in rows:
                cells = [c.replace("|", "\\|") for c in row]
                cells[2] = f"`{cells[2]}`"
                cells[3] = f"`{cells[3]}`"
                self.stdout.write("| " + " | ".join(cells) + " |")
            self.stdout.write("")
            self.stdout.write(note)
            return
        widths = [max(display_width(str(row[i])) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("  ".join(pad(h, w) for h, w in zip(HEADERS, widths, strict=True)).rstrip())
        self.stdout.write(line)
        for row in rows:
            self.stdout.write("  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        self.stdout.write(note)
