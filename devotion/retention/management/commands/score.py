"""``devotion score [--as-of YYYY-MM-DD] [--retrain]``: score everyone, with a progress bar."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from devotion.core import jobs, queues
from devotion.retention.scoring import run_scoring
from devotion.retention.tasks import schedule_nightly


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not a date: write it as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Score every customer as of a day (default: now): health, churn risk with reasons, "
        "expected purchases, lifetime value, RFM segment, cluster, journey stage. Data after "
        "--as-of is ignored, so past days can be backtested."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", default="", help="score as of the end of this day (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--retrain", action="store_true", help="train new models first (a new model version)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _day(options["as_of"]) if options["as_of"] else None
        label = "Score everyone" + (f" as of {as_of}" if as_of else "")
        job = jobs.create("score", label, queue=queues.SCORING)
        console = Console(stderr=True)
        with Progress(
            TextColumn("Scoring"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("", total=100)

            def progress(percent: int, message: str) -> None:
                bar.update(task, completed=percent, description=message or None)

            outcome = jobs.run(
                job,
                lambda j: run_scoring(as_of, retrain=options["retrain"], job=j, progress=progress),
            )
        run = outcome.run
        model = run.model
        self.stdout.write(
            f"Scored {run.customers:,} customers of {run.people:,} people as of {run.as_of} "
            f"with models v{model.version if model else '?'}"
            + (" (trained now)." if outcome.trained else ".")
        )
        if model is not None and model.roc_auc is not None:
            self.stdout.write(
                f"Churn model backtest: ROC-AUC {model.roc_auc:.3f}, PR-AUC {model.pr_auc:.3f} "
                f"on {model.backtest_people:,} customers."
            )
        for note in run.notes:
            self.stdout.write(note)
        if run.stage_moves:
            moves = ", ".join(
                f"{k.replace('>', ' → ')}: {v:,}" for k, v in sorted(run.stage_moves.items())
            )
            self.stdout.write(f"Stages moved: {moves}.")
        if as_of is None:
            schedule_nightly()
