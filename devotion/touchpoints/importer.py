"""Importing a file: stream its rows through a source mapper into ``ingest()`` in batches.

Memory stays flat however large the file: rows are read one at a time, mapped, and sent to
:func:`~devotion.touchpoints.ingest.ingest` ~2,000 at a time; each batch commits on its own, so a
crash loses only the batch in flight and a re-run (touchpoints are unique on
``(source, external_id)``) adds only what is missing.

Every row that cannot be stored goes to the rejects report, a CSV next to the input
(``orders.csv`` -> ``orders.rejected.csv``) with the physical line number, the reason, and the
original row, so the rejects can be fixed and imported again. Problems with the file as a whole
(unreadable, not UTF-8, missing required columns) raise :class:`ImportFailed` with one message.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from django.utils import timezone

from devotion.touchpoints.events import Reject
from devotion.touchpoints.ingest import DUPLICATE, REJECTED, ingest
from devotion.touchpoints.models import ImportRun
from devotion.touchpoints.sources import Mapper, UnknownMapping, get_mapper

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
PREVIEW_REJECTS = 50
FORMATS = ("csv", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_DELIMITERS = (",", ";", "\t")
_NOT_UTF8 = "line is not UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)"
# Spreadsheet cells can be long (a ticket description), but not unbounded.
csv.field_size_limit(1_000_000)


class ImportFailed(Exception):
    """The file cannot be imported at all; the message says what to do about it."""


@dataclass(slots=True)
class Progress:
    """How far an import has got: records done, and bytes of the file read."""

    records: int
    bytes_read: int
    bytes_total: int


@dataclass(slots=True)
class _Record:
    """One record: usually one row; several rows when the source groups them (Shopify)."""

    lines: list[int]
    rows: list[dict[str, Any]]
    raws: list[list[str]]
    error: str = ""


@dataclass
class ImportResult:
    """What an import did, for the summary line and the run page."""

    filename: str
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicate + self.rejected

    def summary(self, rejects_label: str | None = None) -> str:
        """One line: ``orders.csv: 12,340 accepted, 25 duplicate, 3 rejected (see ...)``.

        >>> ImportResult("orders.csv", 12340, 25, 3).summary("orders.rejected.csv")
        'orders.csv: 12,340 accepted, 25 duplicate, 3 rejected (see orders.rejected.csv)'
        """
        line = (
            f"{self.filename}: {self.accepted:,} accepted, {self.duplicate:,} duplicate, "
            f"{self.rejected:,} rejected"
        )
        if self.rejected and (rejects_label or self.rejects_path):
            line += f" (see {rejects_label or self.rejects_path})"
        return line


def rejects_path_for(path: Path) -> Path:
    """Where the rejects of ``path`` go by default: next to it, ``NAME.rejected.csv``.

    >>> rejects_path_for(Path("data/orders.csv"))
    PosixPath('data/orders.rejected.csv')
    """
    return path.with_name(f"{path.stem}.rejected.csv")


def detect_format(path: Path, fmt: str | None = None) -> str:
    """``csv`` or ``jsonl``: as given, else from the file extension.

    >>> detect_format(Path("events.ndjson"))
    'jsonl'
    """
    if fmt:
        if fmt not in FORMATS:
            raise ImportFailed(f"unknown format {fmt!r}; use csv or jsonl")
        return fmt
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ImportFailed(
            f"cannot tell the format of {path.name} from its extension; "
            "name it .csv or .jsonl, or pass --format csv|jsonl"
        )
    return found


def _delimiter(first_line: str) -> str:
    """The delimiter the header line uses most: comma, semicolon (European Excel) or tab.

    >>> _delimiter("Name;Email;Total"), _delimiter("a\\tb"), _delimiter("id")
    (';', '\\t', ',')
    """
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class Importer:
    """Imports files of one kind from one source.

    >>> Importer("orders", "shopify").mapper.group_by
    'name'
    """

    def __init__(
        self,
        kind: str,
        source: str = "generic",
        *,
        fmt: str | None = None,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        try:
            self.mapper: Mapper = get_mapper(source, kind)
        except UnknownMapping as exc:
            raise ImportFailed(str(exc)) from None
        self.kind = kind
        self.source = source
        self.fmt = fmt
        self.batch_size = batch_size
        self.progress = progress
        self._bytes_read = 0
        self._bad_lines: set[int] = set()

    # -- checking ---------------------------------------------------------------------------

    def check(self, path: Path) -> str:
        """Fail early (before queueing an upload) if the file cannot be read; returns its format."""
        fmt = detect_format(path, self.fmt)
        if fmt == "csv":
            with self._open(path) as raw:
                self._csv_header(self._decoded(raw), path)
        return fmt

    def _open(self, path: Path) -> BinaryIO:
        try:
            return path.open("rb")
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from None

    def _decoded(self, raw: BinaryIO) -> Iterator[str]:
        """The file's lines as text, counting bytes; lines that are not UTF-8 are remembered
        (and rejected with their line number) instead of stopping the import."""
        for number, data in enumerate(raw, start=1):
            self._bytes_read += len(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                self._bad_lines.add(number)
                text = data.decode("utf-8", "replace")
            yield text.removeprefix("\ufeff") if number == 1 else text

    def _csv_header(self, lines: Iterator[str], path: Path) -> tuple[list[str], Any]:
        first = next(lines, "")
        if not first.strip():
            raise ImportFailed(f"{path.name} is empty: the first line must name the columns")
        if self._bad_lines:
            raise ImportFailed(
                f"{path.name} is not UTF-8 text; save it as UTF-8 "
                "(in Excel: Save As > CSV UTF-8) and import it again"
            )
        reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first))
        header = next(reader)
        columns = [name.strip().lower() for name in header]
        missing = self.mapper.missing_columns(columns)
        if missing:
            raise ImportFailed(
                f"{path.name} is missing required columns for {self.source} {self.kind}: "
                f"{'; '.join(missing)} (found: {', '.join(h.strip() for h in header)})"
            )
        return header, reader

    # -- running ----------------------------------------------------------------------------

    def run(
        self,
        path: Path,
        *,
        rejects: Path | None = None,
        run: ImportRun | None = None,
        user: Any = None,
    ) -> ImportResult:
        """Import ``path``; returns the counts. Records the import on ``run`` (or a new one)."""
        path = Path(path)
        rejects = Path(rejects) if rejects else rejects_path_for(path)
        if run is None:
            run = ImportRun.objects.create(
                kind=self.kind,
                source=self.source,
                filename=path.name,
                path=str(path.resolve()),
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
        self._run = run
        self._result = ImportResult(path.name)
        self._rejects_path = rejects
        self._rejects_file: TextIO | None = None
        self._rejects_writer: Any = None
        self._header: list[str] = []
        self._bytes_total = path.stat().st_size if path.exists() else 0
        self._bytes_read = 0
        self._bad_lines = set()
        run.status = ImportRun.Status.RUNNING
        run.rejects_path = ""
        run.bytes_total = self._bytes_total
        try:
            fmt = detect_format(path, self.fmt)
            run.format = fmt
            run.save(update_fields=["status", "rejects_path", "bytes_total", "format"])
            # A report left by an earlier run of the same file would be misleading now.
            rejects.unlink(missing_ok=True)
            with self._open(path) as raw:
                lines = self._decoded(raw)
                records = self._read_csv(lines, path) if fmt == "csv" else self._read_jsonl(lines)
                self._import(self._grouped(records))
        except Exception as exc:
            self._finish(ImportRun.Status.FAILED, error=str(exc))
            raise
        self._finish(ImportRun.Status.DONE)
        return self._result

    def _import(self, records: Iterator[_Record]) -> None:
        # Rejected records wait in the batch too, so the report stays in line order.
        batch: list[tuple[_Record, dict[str, Any] | None, str]] = []
        for record in records:
            if record.error:
                batch.append((record, None, record.error))
            else:
                try:
                    batch.append((record, self.mapper.map(record.rows), ""))
                except Reject as exc:
                    batch.append((record, None, str(exc)))
            if len(batch) >= self.batch_size:
                self._flush(batch)
                batch = []
        self._flush(batch)

    def _flush(self, batch: Sequence[tuple[_Record, dict[str, Any] | None, str]]) -> None:
        result = self._result
        events = [event for _, event, _ in batch if event is not None]
        outcomes = iter(ingest(events) if events else ())
        for record, event, reason in batch:
            if event is None:
                self._reject(record, reason)
                continue
            outcome = next(outcomes)
            if outcome.status == REJECTED:
                self._reject(record, outcome.reason)
            elif outcome.status == DUPLICATE:
                result.duplicate += 1
            else:
                result.accepted += 1
        self._save_progress()

    def _save_progress(self) -> None:
        result, run = self._result, self._run
        run.rows_total = result.total
        run.rows_accepted = result.accepted
        run.rows_duplicate = result.duplicate
        run.rows_rejected = result.rejected
        run.rejects_preview = result.preview
        run.bytes_read = self._bytes_read
        if self._rejects_file is not None:
            self._rejects_file.flush()
            run.rejects_path = str(self._rejects_path)
        run.save(
            update_fields=[
                "rows_total",
                "rows_accepted",
                "rows_duplicate",
                "rows_rejected",
                "rejects_preview",
                "bytes_read",
                "rejects_path",
            ]
        )
        if self.progress is not None:
            self.progress(Progress(result.total, self._bytes_read, self._bytes_total))

    def _finish(self, status: str, error: str = "") -> None:
        if status == ImportRun.Status.DONE:
            self._bytes_read = self._bytes_total
        self._save_progress()
        if self._rejects_file is not None:
            self._rejects_file.close()
            self._result.rejects_path = self._rejects_path
        self._run.status = status
        self._run.error = error
        self._run.finished_at = timezone.now()
        self._run.save(update_fields=["status", "error", "finished_at"])

    def _reject(self, record: _Record, reason: str) -> None:
        result = self._result
        result.rejected += 1
        if len(result.preview) < PREVIEW_REJECTS:
            result.preview.append({"line": record.lines[0], "reason": reason})
        if self._rejects_writer is None:
            self._rejects_path.parent.mkdir(parents=True, exist_ok=True)
            self._rejects_file = self._rejects_path.open("w", encoding="utf-8", newline="")
            self._rejects_writer = csv.writer(self._rejects_file)
            self._rejects_writer.writerow(["line", "reason", *(self._header or ["record"])])
        for line, raw in zip(record.lines, record.raws, strict=True):
            self._rejects_writer.writerow([line, reason, *raw])

    # -- reading ----------------------------------------------------------------------------

    def _read_csv(self, lines: Iterator[str], path: Path) -> Iterator[_Record]:
        header, reader = self._csv_header(lines, path)
        self._header = header
        keys = [name.strip().lower() for name in header]
        width = len(keys)
        bad_lines = self._bad_lines
        line = reader.line_num
        while True:
            start = line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.line_num
                yield _Record([start], [], [[]], error=f"unreadable CSV: {exc}")
                continue
            line = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if bad_lines and any(n in bad_lines for n in range(start, line + 1)):
                yield _Record([start], [], [cells], error=_NOT_UTF8)
                continue
            if len(cells) != width:
                if len(cells) > width and not any(c.strip() for c in cells[width:]):
                    cells = cells[:width]
                else:
                    yield _Record(
                        [start],
                        [],
                        [cells],
                        error=f"has {len(cells)} columns, the header has {width}",
                    )
                    continue
            yield _Record([start], [dict(zip(keys, cells, strict=True))], [cells])

    def _read_jsonl(self, lines: Iterator[str]) -> Iterator[_Record]:
        for number, line in enumerate(lines, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            if number in self._bad_lines:
                yield _Record([number], [], [[text]], error=_NOT_UTF8)
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield _Record([number], [], [[text]], error=f"not valid JSON: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                yield _Record([number], [], [[text]], error="line is not a JSON object")
                continue
            row = {str(key).strip().lower(): value for key, value in obj.items()}
            yield _Record([number], [row], [[text]])

    def _grouped(self, records: Iterator[_Record]) -> Iterator[_Record]:
        """Join consecutive rows that share the mapper's ``group_by`` value into one record."""
        column = self.mapper.group_by
        if not column:
            yield from records
            return
        pending: _Record | None = None
        pending_key = ""
        for record in records:
            key = "" if record.error else str(record.rows[0].get(column) or "").strip()
            if pending is not None and key and key == pending_key:
                pending.lines.extend(record.lines)
                pending.rows.extend(record.rows)
                pending.raws.extend(record.raws)
                continue
            if pending is not None:
                yield pending
                pending = None
            if key:
                pending, pending_key = record, key
            else:
                yield record
        if pending is not None:
            yield pending


__all__ = [
    "BATCH_SIZE",
    "ImportFailed",
    "ImportResult",
    "Importer",
    "Progress",
    "detect_format",
    "rejects_path_for",
]
