"""``devotion analyze [--all]``: understand the texts already stored (new ones are analysed
as they arrive)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from devotion.core import jobs, queues
from devotion.voice.analysis import analyse_history


class Command(BaseCommand):
    help = (
        "Analyse stored texts (messages, reviews, survey answers, comments, e-mails): "
        "language, sentiment, emotions, needs-reply, mentions, topic, rudeness. By default "
        "only texts not analysed yet; --all analyses every text again (after a new model)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="re-analyse every text")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        everything = options["all"]
        job = jobs.create(
            "analyze",
            "Understand every stored text" if everything else "Understand texts not analysed yet",
            queue=queues.ANALYSIS,
            unit="texts",
        )
        if options["quiet"]:
            done = jobs.run(job, lambda j: analyse_history(j, everything=everything))
        else:
            with Progress(
                TextColumn("[bold]Analysing texts"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("analyse", total=None)

                def update(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                done = jobs.run(
                    job, lambda j: analyse_history(j, everything=everything, progress=update)
                )
        self.stdout.write(f"{done:,} texts analysed (job {job.pk}).")
