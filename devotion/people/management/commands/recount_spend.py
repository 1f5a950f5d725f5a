"""``devotion recount-spend``: recompute everyone's total spent in the reporting currency."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devotion.people.spend import recount_spend


class Command(BaseCommand):
    help = (
        "Recompute every customer's total spent in the reporting currency (DEVOTION_CURRENCY) "
        "from their orders, with the rates in DEVOTION_FX_RATES. Run it after changing either "
        "setting; imports and merges only count the orders they touch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="people recomputed and written per query (default: 1000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError(f"--batch-size must be 1 or more, not {options['batch_size']}")
        rates = settings.FX_RATES
        self.stdout.write(
            f"Counting spend in {settings.REPORTING_CURRENCY} with "
            + (
                "rates " + ", ".join(f"{code}={rate}" for code, rate in sorted(rates.items()))
                if rates
                else "no rates (orders in other currencies are left out)"
            )
            + "."
        )
        seen, changed = recount_spend(options["batch_size"])
        self.stdout.write(f"{seen} people checked, {changed} updated.")
