"""Reading an import file into batches of validated events, optionally in a helper process.

The first half of an import: decode the file, split it into records (one row, or the rows of
one Shopify order), map each record to a canonical event and validate it. What comes out is a
stream of :class:`Batch` es, each item either a validated :class:`Event` or a
:class:`Rejected` record (with its line numbers, its original cells and the reason).

No Django here, so the same code runs in the importing process or, for a large file, in a
helper process that reads batch N+1 while the importing process stores batch N (the two
halves cost about the same, and a machine has more than one core). The helper only reads the
file: everything is written by the importing process, in file order, so crash safety and the
rejects report do not depend on which way ran.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import itertools
import json
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from devotion.ingest.detect import (
    NOT_UTF8,
    ImportFailed,
    delimiter_of,
    detect_encoding,
    open_file,
)
from devotion.ingest.events import Event, Reject, printable, validate_event
from devotion.ingest.exports import choose_hint, export_label, listed, suggestion
from devotion.ingest.helper_process import helper_messages
from devotion.ingest.lines import (
    Lines,
    put_back_breaks,
    split_lone_cr,
    unclosed_quote,
    well_formed,
)
from devotion.ingest.sources import Mapper

# The columns Devotion's rejects report puts before a file's own (see Importer._reject).
REJECTS_COLUMNS = ["line", "reason"]
# A rejects report neutralises cells a spreadsheet would run with a leading apostrophe
# (devotion.lib.csvsafe); reading the report back removes it where it was added.
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
# Files smaller than this are read in the importing process: starting a helper costs more.
PIPELINE_MIN_BYTES = 4 * 1024 * 1024
# Spreadsheet cells can be long (a ticket description), but not unbounded.
csv.field_size_limit(1_000_000)


@dataclass(slots=True)
class Record:
    """One record: usually one row; several rows when the source groups them (Shopify)."""

    lines: list[int]
    rows: list[dict[str, Any]]
    raws: list[list[str]]
    error: str = ""


@dataclass(slots=True)
class Rejected:
    """A record that cannot be stored: its physical line numbers, original cells and why."""

    lines: list[int]
    raws: list[list[str]]
    reason: str


@dataclass(slots=True)
class Batch:
    """Consecutive records of the file, in order; ``bytes_read`` is how far the file is read."""

    items: list[Event | Rejected] = field(default_factory=list)
    bytes_read: int = 0


def _restore(cell: str) -> str:
    """A cell of a rejects report as it was before the report neutralised it.

    >>> _restore("'=1+2"), _restore("'-5"), _restore("O'Hara"), _restore("'quoted'")
    ('=1+2', '-5', "O'Hara", "'quoted'")
    """
    return cell[1:] if cell.startswith(_NEUTRALISED) else cell


# Devotion's own (generic) columns behind the canonical fields whose names differ, so that
# reasons name the column the user holds ("email", not "person.email").
GENERIC_COLUMNS = {
    "person.email": "email",
    "person.phone": "phone",
    "person.external_id": "customer_id",
    "person.name": "name",
    "person.first_name": "first_name",
    "person.last_name": "last_name",
    "person.country": "country",
    "consent.email": "consent_email",
    "consent.sms": "consent_sms",
    "consent.profiling": "consent_profiling",
    **{f"lines.{name}": name for name in ("quantity", "unit_price", "discount")},
}


class Reader:
    """Reads one file of ``mapper``'s kind into batches of validated events and rejects."""

    def __init__(
        self,
        mapper: Mapper,
        source: str,
        fmt: str,
        batch_size: int,
        *,
        encoding: str | None = None,
        name: str = "",
    ) -> None:
        """``encoding``: the file's, or None to detect it (:func:`detect_encoding`);
        ``name``: the file's name as the user knows it (an upload is kept under another)."""
        if source == "generic" and not mapper.columns:
            mapper = dataclasses.replace(mapper, columns=GENERIC_COLUMNS)
        self.mapper = mapper
        self.source = source
        self.fmt = fmt
        self.batch_size = batch_size
        self.encoding = encoding
        self.name = name
        self.header: list[str] = []
        self.bytes_read = 0
        self.is_rejects_report = False  # the file is a rejects report Devotion wrote
        self._bad_lines: set[int] = set()
        self._feed = Lines(iter(()))

    def _prepare(self, path: Path) -> None:
        if self.encoding is None:
            self.encoding = detect_encoding(path)
        if not self.name:
            self.name = path.name

    def batches(self, path: Path) -> Iterator[Batch]:
        """The file as batches of ``batch_size`` records, in file order."""
        self.bytes_read = 0
        self._bad_lines = set()
        self._prepare(path)
        mapper, size = self.mapper, self.batch_size
        now = datetime.now(UTC)
        with open_file(path) as raw:
            lines = self._decoded(raw)
            records = self._read_csv(lines, path) if self.fmt == "csv" else self._read_jsonl(lines)
            batch = Batch()
            items = batch.items
            for record in self._grouped(records):
                items.append(self._item(mapper, record, now, self.fmt == "csv"))
                if len(items) >= size:
                    batch.bytes_read = self.bytes_read
                    yield batch
                    batch = Batch()
                    items = batch.items
            batch.bytes_read = self.bytes_read
            if items:
                yield batch

    def items(self, records: Iterator[Record], now: datetime) -> list[Event | Rejected]:
        """Records read elsewhere (the columnar reader's doubtful chunks), grouped, mapped and
        validated as :meth:`batches` does."""
        return [self._item(self.mapper, record, now) for record in self._grouped(records)]

    @staticmethod
    def _item(
        mapper: Mapper, record: Record, now: datetime, columns: bool = True
    ) -> Event | Rejected:
        """``columns``: name fields by the CSV export's columns (a JSONL file names its own
        fields, ``person.name``, as the reason does)."""
        if record.error:
            return Rejected(record.lines, record.raws, record.error)
        try:
            raw = mapper.map(record.rows)
        except Reject as exc:  # the mapper names the export's columns itself
            # ... and may quote a cell as it is: a reason holds no NUL (PostgreSQL).
            return Rejected(record.lines, record.raws, printable(str(exc)))
        try:
            return validate_event(raw, now=now)
        except Reject as exc:
            reason = mapper.explain(str(exc)) if columns else str(exc)
            return Rejected(record.lines, record.raws, reason)

    def check_header(self, path: Path) -> None:
        """Raise :class:`ImportFailed` when the CSV header cannot be imported."""
        self._prepare(path)
        with open_file(path) as raw:
            self.csv_header(self._decoded(raw), path)

    def _decoded(self, raw: BinaryIO) -> Iterator[str]:
        """The file's lines as text, counting bytes; in a UTF-8 file, lines that are not
        UTF-8 are remembered (and rejected with their line number) instead of stopping the
        import."""
        lines: Iterable[bytes] = split_lone_cr(raw)
        if self.encoding not in (None, "utf-8"):
            for data in lines:
                self.bytes_read += len(data)
                try:
                    yield data.decode("cp1252")
                except UnicodeDecodeError:  # the five bytes cp1252 leaves out: Latin-1's
                    yield data.decode("latin-1")
            return
        for number, data in enumerate(lines, start=1):
            self.bytes_read += len(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                self._bad_lines.add(number)
                text = data.decode("utf-8", "replace")
            yield text.removeprefix("\ufeff") if number == 1 else text

    def csv_header(self, lines: Iterator[str], path: Path) -> tuple[list[str], Any]:
        """Read the header line; returns the file's own columns and the CSV reader (which
        reads the :class:`Lines` kept as ``_feed``)."""
        name = self.name or path.name
        first = next(lines, "")
        if not first.strip():
            raise ImportFailed(f"{name} is empty: the first line must name the columns")
        if self._bad_lines:
            raise ImportFailed(
                f"{name} is not UTF-8 text; save it as UTF-8 "
                "(in Excel: Save As > CSV UTF-8) and import it again"
            )
        feed = Lines(itertools.chain([first], lines))
        reader = csv.reader(feed, delimiter=delimiter_of(first))
        header = next(reader)
        # A rejects report Devotion wrote, fixed and imported again: its own columns follow
        # the line and the reason, which are not part of the data.
        self.is_rejects_report = [h.strip().lower() for h in header[:2]] == REJECTS_COLUMNS
        if self.is_rejects_report and len(header) > 2:
            header = [_restore(h) for h in header[2:]]
        columns = [h.strip().lower() for h in header]
        missing = self.mapper.missing_columns(columns)
        chosen = (self.source, self.mapper.kind)
        other = suggestion(self.source, self.mapper, columns)
        choose = (
            f"{name} looks like a {export_label(*other)} export, not {export_label(*chosen)}: "
            f"choose {choose_hint(*other)}"
            if other is not None
            else ""
        )
        if missing:
            found = listed([h.strip() for h in header])
            raise ImportFailed(
                choose + " (it lacks " + "; ".join(missing) + ")"
                if choose
                else f"{name} is missing required columns for {self.source} {self.mapper.kind}: "
                f"{'; '.join(missing)} (found: {found})"
            )
        if choose:
            raise ImportFailed(choose)
        self._feed = feed
        return header, reader

    def _read_csv(self, lines: Iterator[str], path: Path) -> Iterator[Record]:
        header, reader = self.csv_header(lines, path)
        feed = self._feed
        self.header = header
        keys = [name.strip().lower() for name in header]
        width = len(keys)
        bad_lines = self._bad_lines
        report = self.is_rejects_report
        line = reader.line_num
        while True:
            start = line + 1
            feed.start_record()
            error = ""
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                cells, error = [], f"unreadable CSV: {exc}"
            if feed.stray:
                cells = put_back_breaks(cells)
            taken = feed.taken  # cleared when the next record starts
            line = start + len(taken) - 1
            if len(taken) > 1 and (
                error
                or len(cells) != (width + 2 if report else width)
                or not well_formed(taken, reader.dialect)
            ):
                # A quote opened and never closed (or closed rows later, where a quote is
                # followed by more than a delimiter: no writer's quoted cell ends so) swallowed
                # the lines after it: reject the line where it opened and read the rest again.
                opened = unclosed_quote(taken[0], reader.dialect)
                if opened is not None:
                    names = [*REJECTS_COLUMNS, *header] if report else header
                    column = names[opened].strip() if opened < len(names) else f"{opened + 1}"
                    raw = next(csv.reader([taken[0].rstrip("\r\n")], reader.dialect), [])
                    raw = put_back_breaks(raw) if feed.stray else raw
                    feed.push_back(1)
                    line = start
                    yield Record(
                        [start],
                        [],
                        [[_restore(cell) for cell in raw[2:]] if report else raw],
                        error=f"a quote opened on this line in column {column} is never "
                        'closed; close it, or double a quote inside the cell ("")',
                    )
                    continue
            if error:
                yield Record([start], [], [[]], error=error)
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if report:
                cells = [_restore(cell) for cell in cells[2:]]
            if bad_lines and any(n in bad_lines for n in range(start, line + 1)):
                yield Record([start], [], [cells], error=NOT_UTF8)
                continue
            if len(cells) != width:
                if len(cells) > width and not any(c.strip() for c in cells[width:]):
                    cells = cells[:width]
                else:
                    yield Record(
                        [start],
                        [],
                        [cells],
                        error=f"has {len(cells)} columns, the header has {width}",
                    )
                    continue
            yield Record([start], [dict(zip(keys, cells, strict=True))], [cells])

    def _read_jsonl(self, lines: Iterator[str]) -> Iterator[Record]:
        for number, line in enumerate(lines, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            if number in self._bad_lines:
                yield Record([number], [], [[text]], error=NOT_UTF8)
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Record([number], [], [[text]], error=f"not valid JSON: {exc.msg}")
                continue
            except ValueError:  # a number of more than 4,300 digits
                yield Record([number], [], [[text]], error="not valid JSON: a number is too long")
                continue
            except RecursionError:
                yield Record([number], [], [[text]], error="not valid JSON: nested too deeply")
                continue
            if not isinstance(obj, dict):
                yield Record([number], [], [[text]], error="line is not a JSON object")
                continue
            row = {str(key).strip().lower(): value for key, value in obj.items()}
            yield Record([number], [row], [[text]])

    def _grouped(self, records: Iterator[Record]) -> Iterator[Record]:
        """Join consecutive rows that share the mapper's ``group_by`` value into one record."""
        column = self.mapper.group_by
        if not column:
            yield from records
            return
        pending: Record | None = None
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


# --- The helper process ----------------------------------------------------------------------


def _child(
    source: str, kind: str, fmt: str, batch_size: int, encoding: str, path: Path, conn: Any
) -> None:
    """Body of the helper process: send the header, then each batch, then "done"."""
    from devotion.ingest.sources import get_mapper

    # Every object this process makes lives for one batch and is freed by reference counting;
    # the cycle collector would only walk the (forked) heap over and over. Freeze what was
    # inherited and collect the young objects once per batch instead.
    gc.freeze()
    gc.disable()
    try:
        # Built here, not passed: mappers are closures, which a spawned process cannot unpickle.
        reader = Reader(get_mapper(source, kind), source, fmt, batch_size, encoding=encoding)
        header_sent = False
        for batch in reader.batches(path):
            if not header_sent:
                conn.send(("header", reader.header))
                header_sent = True
            conn.send(("batch", batch))
            del batch
            gc.collect(0)
        if not header_sent:
            conn.send(("header", reader.header))
        conn.send(("done", reader.bytes_read))
    except BaseException as exc:  # every failure is reported to the importing process
        if isinstance(exc, ImportFailed):
            conn.send(("failed", str(exc)))
        else:
            conn.send(("crashed", "".join(traceback.format_exception(exc)).strip()))
    finally:
        conn.close()


def batches_in_helper(reader: Reader, path: Path) -> Iterator[tuple[str, Any]]:
    """Read ``path`` in a helper process; yields ("header", cells), ("batch", Batch) and
    finally ("done", bytes_read). The helper runs at most one batch ahead: it waits to send
    the next batch until this process has taken the previous one, so memory stays flat.

    Raises :class:`ImportFailed` for a file that cannot be imported and
    :class:`ReaderCrashed` when the helper fails or dies; everything yielded before stays valid.
    """
    reader._prepare(path)
    args = (reader.source, reader.mapper.kind, reader.fmt, reader.batch_size, reader.encoding, path)
    for kind, payload in helper_messages(_child, args, path):
        if kind == "failed":
            raise ImportFailed(payload)
        yield kind, payload
        if kind == "done":
            return


__all__ = [
    "PIPELINE_MIN_BYTES",
    "REJECTS_COLUMNS",
    "Batch",
    "Reader",
    "Record",
    "Rejected",
    "batches_in_helper",
]
