"""Importing a file: stream its rows through a source mapper into ``ingest()`` in batches.

Memory stays flat however large the file: rows are read one at a time, mapped, validated
(:mod:`devotion.ingest.reader`, in a helper process for a large file) and sent to
:func:`~devotion.ingest.store.ingest` 10,000 at a time; each batch commits on its own, so a
crash loses only the batch in flight and a re-run (touchpoints are unique on
``(source, external_id)``) adds only what is missing.

Every row that cannot be stored goes to the rejects report, a CSV next to the input
(``orders.csv`` -> ``orders.rejected.csv``) with the physical line number, the reason, and the
original row, so the rejects can be fixed and imported again. Problems with the file as a whole
(unreadable, not UTF-8, missing required columns) raise :class:`ImportFailed` with one message.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from devotion.core import jobs
from devotion.ingest import bulk
from devotion.ingest.columnar import helper as lane_helper
from devotion.ingest.columnar import prepare as lane_prepare
from devotion.ingest.columnar import scan as lane_scan
from devotion.ingest.columnar import store as lane_store
from devotion.ingest.detect import (
    ENCODING_LABELS,
    FORMATS,
    NOT_UTF8,
    ImportFailed,
    detect_encoding,
    detect_format,
)
from devotion.ingest.events import Event
from devotion.ingest.helper_process import Upcoming, sweep_scratch
from devotion.ingest.models import ImportRun
from devotion.ingest.reader import (
    PIPELINE_MIN_BYTES,
    REJECTS_COLUMNS,
    Batch,
    Reader,
    Rejected,
    batches_in_helper,
)
from devotion.ingest.signals import send_import_finished
from devotion.ingest.sources import Mapper, UnknownMapping, get_mapper
from devotion.ingest.store import DUPLICATE, REJECTED, ingest
from devotion.lib.csvsafe import SafeWriter
from devotion.touchpoints.signals import StoredBatch, stored

log = logging.getLogger(__name__)

# Records per transaction. Large: on SQLite every commit writes each page it touched to the
# WAL again (identity and person indexes spread a batch over many pages), so 10,000-record
# batches store ~1.6x faster than 2,000-record ones; a crash still loses only the batch in
# flight, and memory stays well under 100 MB.
BATCH_SIZE = 10_000
PREVIEW_REJECTS = 50
# The general path saves its counts after a batch at most this often (seconds), and always at
# the end: a page polling the progress sees it move, and a small file's import writes its
# counts once instead of once a batch and again at the end. What a batch stored is committed
# by storage either way; a crash still saves the counts reached (``_finish``).
PROGRESS_EVERY = 0.5
_NOT_UTF8 = NOT_UTF8


@dataclass(slots=True)
class Progress:
    """How far an import has got: records done, and bytes of the file read."""

    records: int
    bytes_read: int
    bytes_total: int


@dataclass
class ImportResult:
    """What an import did, for the summary line and the run page."""

    filename: str
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    preview: list[dict[str, Any]] = field(default_factory=list)
    encoding: str = "utf-8"
    people_created: int = 0
    people_changed: int = 0

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
        if self.encoding != "utf-8":
            line += f"; read as {ENCODING_LABELS.get(self.encoding, self.encoding)}"
        return line


def rejects_path_for(path: Path) -> Path:
    """Where the rejects of ``path`` go by default: next to it, ``NAME.rejected.csv``.

    >>> rejects_path_for(Path("data/orders.csv"))
    PosixPath('data/orders.rejected.csv')
    """
    return path.with_name(f"{path.stem}.rejected.csv")


class Importer:
    """Imports files of one kind from one source.

    ``pipeline`` chooses whether a helper process reads the file while this one stores it:
    None (the default) does so for files of a few megabytes and more.

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
        pipeline: bool | None = None,
        columnar: bool = True,
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
        self.pipeline = pipeline
        self.columnar = columnar

    def check(self, path: Path, name: str = "") -> str:
        """Fail early (before queueing an upload) if the file cannot be read; returns its format.
        ``name``: the file's name as the user knows it (an upload is kept under another)."""
        fmt = detect_format(path, self.fmt)
        if fmt == "csv":
            Reader(self.mapper, self.source, fmt, self.batch_size, name=name).check_header(path)
        return fmt

    # -- running ----------------------------------------------------------------------------

    def run(
        self,
        path: Path,
        *,
        rejects: Path | None = None,
        run: ImportRun | None = None,
        user: Any = None,
    ) -> ImportResult:
        """Import ``path``; returns the counts. Records the import on ``run`` (or a new one)
        and runs it as the run's job (:func:`devotion.core.jobs.run`): raises
        :class:`~devotion.core.jobs.NotQueued` if that job already ran or is running."""
        path = Path(path)
        rejects = Path(rejects) if rejects else rejects_path_for(path)
        if run is None:
            run = ImportRun.objects.record(
                kind=self.kind,
                source=self.source,
                filename=path.name,
                path=str(path.resolve()),
                started_by=user,
            )
        # Scratch files a killed import left behind (order data, a spill) go first.
        sweep_scratch(lane_store.scratch_root())
        claimed = False

        def work(job: Any) -> ImportResult:
            nonlocal claimed
            claimed = True
            return self._run_file(path, rejects, run)

        try:
            return jobs.run(run.job, work)
        finally:
            if claimed:  # a task that found the job taken ran nothing to record
                send_import_finished(run)  # the audit log records how it ended

    def _run_file(self, path: Path, rejects: Path, run: ImportRun) -> ImportResult:
        self._run = run
        self._result = ImportResult(run.filename or path.name)
        self._rejects_path = rejects
        self._rejects_file: TextIO | None = None
        self._rejects_writer: Any = None
        self._header: list[str] = []
        self._bytes_total = path.stat().st_size if path.exists() else 0
        self._bytes_read = 0
        self._saved_at = time.monotonic()
        self._created: tuple[int, int] | None = None
        self._changed: set[int] = set()
        self._changed_first: list[int] = []  # the first CHANGED_IDS_KEPT, for the link
        run.rejects_path = ""
        run.bytes_total = self._bytes_total
        run.job.total = self._bytes_total
        run.job.unit = "bytes"
        try:
            fmt = detect_format(path, self.fmt)
            run.format = fmt
            run.encoding = self._result.encoding = detect_encoding(path)
            run.save(update_fields=["rejects_path", "bytes_total", "format", "encoding"])
            # Saved with the first counts (or the end), as the summary is: a small file's
            # import made as many writes for its log as for its data.
            run.job.write_log(
                f"Reading {path.name} ({fmt}, {run.encoding_label}, {self._bytes_total:,} bytes).",
                save=False,
            )
            # A report left by an earlier run of the same file would be misleading now.
            rejects.unlink(missing_ok=True)
            reader = Reader(
                self.mapper,
                self.source,
                fmt,
                self.batch_size,
                encoding=run.encoding,
                name=self._result.filename,
            )
            # Note who this import created and changed, from what storage announces (in
            # this thread only: other imports and the API may store meanwhile).
            stored.connect(self._note_stored, dispatch_uid=f"import-{id(self)}", weak=False)
            self._thread = threading.get_ident()
            try:
                if not (self.columnar and self._import_columnar(reader, path)):
                    pipeline = self.pipeline
                    if pipeline is None:
                        pipeline = self._bytes_total >= PIPELINE_MIN_BYTES
                    messages = batches_in_helper(reader, path) if pipeline else _local(reader, path)
                    self._import(messages)
            finally:
                stored.disconnect(dispatch_uid=f"import-{id(self)}")
        except Exception:
            self._finish(ImportRun.Status.FAILED)
            raise
        self._finish(ImportRun.Status.DONE)
        return self._result

    def _import_columnar(self, reader: Reader, path: Path) -> bool:
        """Import through the columnar fast lane when the file qualifies; False (having
        stored nothing) when it does not. Chunks the lane cannot prove go the general way."""
        if reader.encoding != "utf-8" or not lane_scan.eligible(
            self.kind, self.source, reader.fmt, path
        ):
            return False
        reader.check_header(path)  # a missing column fails the file, as on the general path
        now = timezone.now()
        with contextlib.ExitStack() as stack:
            # Paused from the start: on PostgreSQL a thread receives the chunks, and a thread
            # cannot switch the collector safely (see helper_process._receive_paused).
            stack.enter_context(_cycle_collector_paused())
            memory = lane_store.Memory()
            upcoming = Upcoming()
            if bulk.on_postgres():
                # Works out who chunk N+1's customers are while this one writes N; closed
                # after the helper (the stack unwinds in reverse), which ends its wait.
                memory.planner = lane_store.Planner(upcoming, now)
                stack.callback(memory.planner.close)
            # A helper process loads the file and prepares chunk N+1 while this one writes N.
            chunks = lane_store.prepared_in_helper(path, now, upcoming)
            stack.callback(chunks.close)  # stops the helper if this side fails
            first = next(chunks, None)
            if first is None:
                return False  # the file cannot take the lane: the general path reads it all
            rows = stack.enter_context(contextlib.closing(lane_helper.FileRows(path)))
            checkpointer = stack.enter_context(bulk.Checkpointer())
            stack.enter_context(bulk.pg_commits_not_awaited())
            # Forget the remembered people before collecting starts again (the stack unwinds
            # in reverse): the first collection would walk them all, ~1 s at 1M rows.
            stack.callback(memory.clear)
            self._header = rows.header
            for chunk, prepared in itertools.chain([first], chunks):
                bytes_read = self._bytes_total * (chunk.last_row + 1) // chunk.rows
                if prepared is not None:
                    try:
                        stored = lane_store.store_prepared(prepared, now, memory)
                    except lane_prepare.NotFast:
                        pass
                    else:
                        self._result.accepted += stored
                        self._bytes_read = bytes_read
                        self._save_progress()
                        checkpointer.committed()
                        # Let this chunk go before the next one is received: two at once
                        # cost ~100 MB on PostgreSQL.
                        prepared = None
                        continue
                memory.clear()  # the general path writes what the lane does not remember
                items = reader.items(iter(rows.records(chunk)), now)
                self._flush(Batch(items, bytes_read))
                gc.collect(1)  # whatever cycles the general path left
        return True

    def _import(self, messages: Iterator[tuple[str, Any]]) -> None:
        for kind, payload in messages:
            if kind == "header":
                self._header = payload
            elif kind == "batch":
                self._flush(payload)

    def _flush(self, batch: Batch) -> None:
        result = self._result
        events = [item for item in batch.items if type(item) is Event]
        outcomes = iter(ingest(events) if events else ())
        for item in batch.items:
            if type(item) is Rejected:
                self._reject(item.lines, item.raws, item.reason)
                continue
            outcome = next(outcomes)
            assert outcome.status != REJECTED  # validated events are stored or duplicates
            if outcome.status == DUPLICATE:
                result.duplicate += 1
            else:
                result.accepted += 1
        self._bytes_read = batch.bytes_read
        self._save_progress(every=PROGRESS_EVERY)

    def _note_stored(self, sender: Any, batch: StoredBatch, **kwargs: Any) -> None:
        if threading.get_ident() != self._thread:
            return
        if batch.people_created:
            first, last = min(batch.people_created), max(batch.people_created)
            if self._created is not None:
                first, last = min(first, self._created[0]), max(last, self._created[1])
            self._created = (first, last)
            self._result.people_created += len(batch.people_created)
        created = self._created
        changed, kept = self._changed, self._changed_first
        for pk in batch.people_changed:
            if pk in changed or (created is not None and created[0] <= pk <= created[1]):
                continue
            changed.add(pk)
            if len(kept) < ImportRun.CHANGED_IDS_KEPT:
                kept.append(pk)
        self._result.people_changed = len(changed)

    def _save_progress(self, every: float = 0.0) -> None:
        """Save the counts (not again within ``every`` seconds of the last save) and tell
        ``progress``."""
        result, run = self._result, self._run
        if self.progress is not None:
            self.progress(Progress(result.total, self._bytes_read, self._bytes_total))
        if self._rejects_file is not None:
            self._rejects_file.flush()
        now = time.monotonic()
        if every and now - self._saved_at < every:
            return
        self._saved_at = now
        run.rows_total = result.total
        run.rows_accepted = result.accepted
        run.rows_duplicate = result.duplicate
        run.rows_rejected = result.rejected
        run.rejects_preview = result.preview
        run.bytes_read = self._bytes_read
        run.people_created = result.people_created
        run.people_created_first, run.people_created_last = self._created or (None, None)
        run.people_changed = result.people_changed
        run.people_changed_ids = self._changed_first
        if self._rejects_file is not None:
            run.rejects_path = str(self._rejects_path)
        # One transaction for both writes: on PostgreSQL the columnar lane trusts what it
        # remembers only when exactly one transaction (this one) ran between two of its chunks
        # (lane_store.Memory.check); a second one made every chunk look everyone up again and
        # cost ~40% of the import's speed.
        with transaction.atomic():
            self._save_counts(run)
            run.job.set_progress(self._bytes_read)  # also tells the jobs page it is alive

    @staticmethod
    def _save_counts(run: ImportRun) -> None:
        run.save(
            update_fields=[
                "rows_total",
                "rows_accepted",
                "rows_duplicate",
                "rows_rejected",
                "rejects_preview",
                "bytes_read",
                "rejects_path",
                "people_created",
                "people_created_first",
                "people_created_last",
                "people_changed",
                "people_changed_ids",
            ]
        )

    def _finish(self, status: str) -> None:
        """Save the last counts and close the rejects report; ``jobs.run`` records the end."""
        if status == ImportRun.Status.DONE:
            self._bytes_read = self._bytes_total
        self._save_progress()
        if self._rejects_file is not None:
            self._rejects_file.close()
            self._result.rejects_path = self._rejects_path
        result = self._result
        self._run.job.write_log(
            f"{result.total:,} records: {result.accepted:,} stored, "
            f"{result.duplicate:,} already there, {result.rejected:,} rejected.",
            save=False,  # jobs.run saves it with how the job ended
        )

    def _reject(self, lines: list[int], raws: list[list[str]], reason: str) -> None:
        result = self._result
        result.rejected += 1
        if len(result.preview) < PREVIEW_REJECTS:
            result.preview.append({"line": lines[0], "reason": reason})
        if self._rejects_writer is None:
            self._rejects_path.parent.mkdir(parents=True, exist_ok=True)
            self._rejects_file = self._rejects_path.open("w", encoding="utf-8", newline="")
            # Formula-safe: a manager opens this file in a spreadsheet. Reading it back (a
            # fixed report imported again) takes the neutralising apostrophes off.
            self._rejects_writer = SafeWriter(self._rejects_file, lineterminator="\r\n")
            self._rejects_writer.writerow([*REJECTS_COLUMNS, *(self._header or ["record"])])
        for line, raw in zip(lines, raws, strict=True):
            self._rejects_writer.writerow([line, reason, *raw])


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """What a lane chunk makes is freed by reference counting (a collection after each chunk
    of a 1M-row import found nothing, in 0.6 s); the cycle collector would only walk the
    people the lane remembers again and again. The caller collects after general-path
    chunks."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _local(reader: Reader, path: Path) -> Iterator[tuple[str, Any]]:
    """The messages :func:`batches_in_helper` sends, read in this process (small files)."""
    batches = reader.batches(path)
    first = next(batches, None)  # reads the header
    yield "header", reader.header
    if first is not None:
        yield "batch", first
    for batch in batches:
        yield "batch", batch


__all__ = [
    "BATCH_SIZE",
    "FORMATS",
    "ImportFailed",
    "ImportResult",
    "Importer",
    "Progress",
    "detect_format",
    "rejects_path_for",
]
