"""``devotion import KIND FILE``: import a CSV or JSONL export, with a report of the rejects."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devotion.ingest.importer import FORMATS, Importer, ImportFailed, Progress
from devotion.ingest.sources import IMPORT_KINDS, SOURCES


class Command(BaseCommand):
    help = (
        "Import customers, orders, tickets, reviews, surveys or social comments from a CSV or "
        "JSONL file. Importing the same file again adds nothing; rejected rows go to "
        "FILE.rejected.csv with their line number and the reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=IMPORT_KINDS, help="what the file holds")
        parser.add_argument("file", type=Path, help="the CSV or JSONL file")
        parser.add_argument(
            "--source",
            default="generic",
            choices=list(SOURCES),
            help="the system the file was exported from (default: generic, Devotion's columns)",
        )
        parser.add_argument(
            "--rejects", type=Path, help="where to write rejected rows (default: FILE.rejected.csv)"
        )
        parser.add_argument(
            "--format", choices=FORMATS, help="csv or jsonl (default: from the extension)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        # Step 1: the progress bar, only when a person is watching.
        show_bar = sys.stdout.isatty() and options["verbosity"] > 0
        try:
            if show_bar:
                result = self._run_with_bar(path, options)
            else:
                result = self._importer(options).run(path, rejects=options["rejects"])
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None
        # Step 2: one summary line, pointing at the rejects report when there is one.
        label = str(result.rejects_path) if result.rejects_path else None
        self.stdout.write(result.summary(label))

    def _importer(self, options: dict[str, Any], progress: Any = None) -> Importer:
        try:
            return Importer(
                options["kind"], options["source"], fmt=options["format"], progress=progress
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None

    def _run_with_bar(self, path: Path, options: dict[str, Any]) -> Any:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as Bar,
        )

        with Bar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[records]:,} records"),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task(path.name, total=path.stat().st_size, records=0)

            def update(progress: Progress) -> None:
                bar.update(task, completed=progress.bytes_read, records=progress.records)

            return self._importer(options, update).run(path, rejects=options["rejects"])
