"""``devotion retention-report [--as-of YYYY-MM-DD]``: cohorts, win-backs and satisfied
defectors for the Retention page, computed now in this process (recorded as a job)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devotion.retention.analysis import run_now


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not a date like 2025-06-30.") from None


class Command(BaseCommand):
    help = "Compute the retention report (cohorts, win-back decay, satisfied defectors)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", default="", help="Ignore everything after this day (YYYY-MM-DD)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _day(options["as_of"]) if options["as_of"] else None
        report = run_now(as_of)
        data = report.data
        self.stdout.write(
            f"Retention report as of {report.as_of:%Y-%m-%d}: {data['customers']:,} customers, "
            f"{data['winbacks']['total']:,} win-backs, "
            f"{len(data['builtin_members']['satisfied_defectors']):,} satisfied defectors, "
            f"{len(data['builtin_members']['discount_wont_pay']):,} people another discount "
            "won't pay back."
        )
