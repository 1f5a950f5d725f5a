"""``devotion learn sentiment FILE --text-column C --label-column L`` and ``devotion learn
status``: teach Devotion the business's own language, and see which model answers."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devotion.nlp.sentiment import LABELS
from devotion.voice import learning

# Labels as files often write them -> ours.
_ALIASES = {
    "neg": "negative",
    "-1": "negative",
    "bad": "negative",
    "neu": "neutral",
    "0": "neutral",
    "pos": "positive",
    "1": "positive",
    "good": "positive",
}


def read_labels(path: Path, text_column: str, label_column: str) -> list[tuple[str, str]]:
    """(text, label) rows of a CSV file (``.csv`` or ``.csv.gz``); a clear error for a
    missing column or a label that is not negative / neutral / positive."""
    opener: Any = gzip.open if path.suffix == ".gz" else open
    try:
        handle = opener(path, "rt", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None
    rows: list[tuple[str, str]] = []
    with handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for column in (text_column, label_column):
            if column not in columns:
                raise CommandError(
                    f"{path.name} has no column {column!r}; its columns are: "
                    + ", ".join(repr(c) for c in columns)
                )
        for line, row in enumerate(reader, start=2):
            text = (row[text_column] or "").strip()
            raw = (row[label_column] or "").strip().lower()
            label = _ALIASES.get(raw, raw)
            if not text:
                continue
            if label not in LABELS:
                raise CommandError(
                    f"Line {line}: the label {row[label_column]!r} is not one of "
                    f"{', '.join(LABELS)}."
                )
            rows.append((text, label))
    if not rows:
        raise CommandError(f"{path.name} has no labelled text.")
    return rows


class Command(BaseCommand):
    help = (
        "Teach Devotion the business's own language: `learn sentiment FILE --text-column C "
        "--label-column L` adds labelled texts (negative/neutral/positive) and trains a "
        "business model, which answers only if it beats the shipped model on held-back "
        "labels; `learn status` shows which model answers and its scores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        learn = sub.add_parser("sentiment", help="add labelled texts from a CSV and train")
        learn.add_argument("file", type=Path)
        learn.add_argument("--text-column", required=True)
        learn.add_argument("--label-column", required=True)
        sub.add_parser("status", help="which model answers, and its scores")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "sentiment":
            rows = read_labels(options["file"], options["text_column"], options["label_column"])
            learning.add_labels(rows)
            self.stdout.write(f"{len(rows):,} labelled texts added. Training...")
            record = learning.train_sentiment()
            self.stdout.write(record.decision)
        self._status()

    def _status(self) -> None:
        state = learning.status()
        self.stdout.write(f"Sentiment answered by: {state['answering']}")
        self.stdout.write(f"Rule: {state['rule']}.")
        counts = state["labels"]
        self.stdout.write(
            "Labels: "
            f"{counts[('sentiment', 'correction')]:,} sentiment corrections, "
            f"{counts[('sentiment', 'import')]:,} from files, "
            f"{counts[('topic', 'correction')]:,} topic corrections."
        )
        latest = state["latest"]
        if latest is not None:
            scores = latest.scores
            self.stdout.write(f"Latest trained: {latest.version} on {latest.labels:,} labels.")
            if "own_macro_f1" in scores:
                self.stdout.write(
                    f"  held-back macro-F1 {scores['own_macro_f1']:.3f} "
                    f"(shipped {scores['base_macro_f1']:.3f}), accuracy "
                    f"{scores['own_accuracy']:.3f} (shipped {scores['base_accuracy']:.3f})"
                )
            self.stdout.write(f"  {latest.decision}")
