"""``devotion scores export FILE``: everyone's current scores as .csv or .parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devotion.retention.export import EXPORT_COLUMNS, export_scores


class Command(BaseCommand):
    help = (
        "Export every live person's current scores: `devotion scores export FILE` "
        "(.csv or .parquet). The first columns are always: " + ", ".join(EXPORT_COLUMNS) + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export"])
        parser.add_argument("file", help="where to write: a .csv or .parquet file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if path.suffix.lower() not in (".csv", ".parquet"):
            raise CommandError(f"{path.name}: the file must end in .csv or .parquet")
        if not path.parent.exists():
            raise CommandError(f"{path.parent} does not exist")
        count = export_scores(path)
        self.stdout.write(f"Wrote {count:,} people to {path}.")
