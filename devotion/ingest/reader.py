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

import codecs
import csv
import dataclasses
import gc
import itertools
import json
import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from devotion.ingest.events import Event, Reject, printable, validate_event
from devotion.ingest.helper_process import helper_messages
from devotion.ingest.sources import Mapper

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
NOT_UTF8 = "line is not UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)"
# How each encoding the reader may choose is named to a person.
ENCODING_LABELS = {"utf-8": "UTF-8", "cp1252": "Windows-1252 (Latin-1)"}
# The columns Devotion's rejects report puts before a file's own (see Importer._reject).
REJECTS_COLUMNS = ["line", "reason"]
# A rejects report neutralises cells a spreadsheet would run with a leading apostrophe
# (devotion.lib.csvsafe); reading the report back removes it where it was added.
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
# Samples of each export, whose headers tell which export a file looks like.
SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
# Files smaller than this are read in the importing process: starting a helper costs more.
PIPELINE_MIN_BYTES = 4 * 1024 * 1024
# Spreadsheet cells can be long (a ticket description), but not unbounded.
csv.field_size_limit(1_000_000)


class ImportFailed(Exception):
    """The file cannot be imported at all; the message says what to do about it."""


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


def delimiter_of(first_line: str) -> str:
    """The delimiter the header line uses most: comma, semicolon (European Excel) or tab.

    >>> delimiter_of("Name;Email;Total"), delimiter_of("a\\tb"), delimiter_of("id")
    (';', '\\t', ',')
    """
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def detect_encoding(path: Path) -> str:
    """``utf-8`` for UTF-8 text (with or without a byte-order mark), else ``cp1252``: what
    Excel and older systems write on Windows, a superset of printable Latin-1.

    A file with valid UTF-8 beyond ASCII stays UTF-8 even where some lines are not (those
    lines are rejected one by one): it was written as UTF-8 and then damaged. One quick pass
    over the bytes (about 1 s per GB).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen_beyond_ascii = False
    with open_file(path) as raw:
        while block := raw.read(1 << 20):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                if seen_beyond_ascii or not block[: exc.start].isascii():
                    return "utf-8"
                # Damaged before its first accent: the rest tells (one damaged line must not
                # garble every later "é" as "Ã©").
                return "utf-8" if _utf8_after(block[exc.end :], raw) else "cp1252"
            seen_beyond_ascii = seen_beyond_ascii or not text.isascii()
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "utf-8" if seen_beyond_ascii else "cp1252"
    return "utf-8"


# A UTF-8 sequence for a character beyond ASCII (Windows-1252 text almost never has one: it
# would need, say, "Ã" followed by "©").
_UTF8_BEYOND_ASCII = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _utf8_after(start: bytes, raw: BinaryIO) -> bool:
    """Whether ``start`` and what is left of ``raw`` hold a UTF-8 character beyond ASCII."""
    tail = b""
    block = start
    while block:
        if _UTF8_BEYOND_ASCII.search(tail + block):
            return True
        tail, block = block[-3:], raw.read(1 << 20)
    return False


def _restore(cell: str) -> str:
    """A cell of a rejects report as it was before the report neutralised it.

    >>> _restore("'=1+2"), _restore("'-5"), _restore("O'Hara"), _restore("'quoted'")
    ('=1+2', '-5', "O'Hara", "'quoted'")
    """
    return cell[1:] if cell.startswith(_NEUTRALISED) else cell


def sample_columns(mapper: Mapper) -> set[str]:
    """The columns ``mapper``'s export is known to have: its sample's header, its required
    columns and the columns it names in its reasons (lower-cased)."""
    known = {name for names in mapper.required for name in names}
    for column in mapper.columns.values():
        known.update(part.strip().lower() for part in column.split("/"))
    sample = SAMPLES / mapper.sample if mapper.sample else None
    if sample is not None and sample.suffix == ".csv" and sample.is_file():
        with sample.open(encoding="utf-8-sig", newline="") as file:
            first = file.readline()
        cells = next(csv.reader([first], delimiter=delimiter_of(first)), [])
        known.update(cell.strip().lower() for cell in cells)
    return known


def _fit(source: str, mapper: Mapper, columns: set[str]) -> int:
    """How many of ``columns`` the export of ``mapper`` is known to have."""
    known = sample_columns(mapper)
    if source == "generic":
        from devotion.ingest.sources import generic

        known |= {*generic._PERSON, *generic._EVENT, *generic._ALIASES, *generic._LINE}
        prefixes = tuple(prefix for prefix, _ in generic._PREFIXES)
        return len(columns & known) + sum(1 for c in columns - known if c.startswith(prefixes))
    return len(columns & known)


def looks_like(columns: list[str]) -> tuple[str, str] | None:
    """The (source, kind) export a header with ``columns`` (lower-cased) most looks like:
    of the exports whose required columns it has, the one that knows most of its columns.

    >>> looks_like(["name", "email", "financial status", "lineitem name", "created at"])
    ('shopify', 'orders')
    >>> looks_like(["nothing", "known"]) is None
    True
    """
    from devotion.ingest.sources import SOURCES

    present = set(columns)
    best: tuple[tuple[int, int, bool], tuple[str, str]] | None = None
    for source, module in SOURCES.items():
        for kind, mapper in module.MAPPERS.items():
            if mapper.missing_columns(present):
                continue
            score = (_fit(source, mapper, present), len(mapper.required), source != "generic")
            if best is None or score > best[0]:
                best = (score, (source, kind))
    return best[1] if best is not None and best[0][0] else None


def _suggestion(source: str, mapper: Mapper, columns: list[str]) -> tuple[str, str] | None:
    """The export to choose instead, when the file clearly looks like another one: most of
    its columns are that export's, and more of them than of the chosen one's."""
    from devotion.ingest.sources import get_mapper

    guess = looks_like(columns)
    if guess is None or guess == (source, mapper.kind):
        return None
    present = set(columns)
    theirs = _fit(guess[0], get_mapper(*guess), present)
    ours = _fit(source, mapper, present)
    if theirs > ours and theirs * 2 >= len(present) and ours * 2 < len(present):
        return guess
    return None


def _export_label(source: str, kind: str) -> str:
    from devotion.ingest.sources import SOURCES

    return f"{SOURCES[source].LABEL.split(' (')[0]} {kind}"


def _choose(source: str, kind: str) -> str:
    from devotion.ingest.sources import SOURCES

    return f"{SOURCES[source].LABEL}, {kind.title()}"


def _listed(names: list[str], most: int = 8) -> str:
    """At most ``most`` names, then how many more.

    >>> _listed(["a", "b", "c"], 2)
    'a, b and 1 more'
    """
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more"


def open_file(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from None


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


# Where a line ends in a file with classic Mac line ends: after a CR, or after CR LF (a bare
# LF there is part of a quoted cell, not a line end).
_CR_LINE_END = re.compile(rb"(?<=\r)(?!\n)|(?<=\r\n)")


def _split_lone_cr(raw: Iterable[bytes]) -> Iterator[bytes]:
    """The binary lines of ``raw`` split at the line ends the file uses: iterating a binary
    file splits only at LF, and a file with classic Mac line ends (CR alone, as Excel for Mac's
    "CSV (Macintosh)" writes) would otherwise be one line that the CSV reader refuses.

    >>> list(_split_lone_cr([b"a,b\\rc,d\\r", b"e\\r\\n", b"\\r\\r"]))
    [b'a,b\\r', b'c,d\\r', b'e\\r\\n', b'\\r', b'\\r']

    In such a file an LF inside a quoted cell stays in its line (it ends no line there).

    >>> list(_split_lone_cr([b'a,b\\r"c\\n', b'd",e\\r']))
    [b'a,b\\r', b'"c\\nd",e\\r']

    A file whose header ends in LF keeps a CR inside a quoted cell as it is.

    >>> list(_split_lone_cr([b"a,b\\n", b'"c\\rd",e\\n']))
    [b'a,b\\n', b'"c\\rd",e\\n']
    """
    lines = iter(raw)
    first = next(lines, None)
    if first is None:
        return
    if b"\r" not in first.rstrip(b"\n").rstrip(b"\r"):
        yield first
        yield from lines
        return
    pending = b""  # the start of a line that an LF (in a quoted cell) split
    for data in itertools.chain([first], lines):
        *ended, pending = _CR_LINE_END.split(pending + data)
        yield from ended
    if pending:
        yield pending


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
        self._feed = _Lines(iter(()))

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
        lines: Iterable[bytes] = _split_lone_cr(raw)
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
        reads the :class:`_Lines` kept as ``_feed``)."""
        name = self.name or path.name
        first = next(lines, "")
        if not first.strip():
            raise ImportFailed(f"{name} is empty: the first line must name the columns")
        if self._bad_lines:
            raise ImportFailed(
                f"{name} is not UTF-8 text; save it as UTF-8 "
                "(in Excel: Save As > CSV UTF-8) and import it again"
            )
        feed = _Lines(itertools.chain([first], lines))
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
        other = _suggestion(self.source, self.mapper, columns)
        choose = (
            f"{name} looks like a {_export_label(*other)} export, not {_export_label(*chosen)}: "
            f"choose {_choose(*other)}"
            if other is not None
            else ""
        )
        if missing:
            found = _listed([h.strip() for h in header])
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
                or not _well_formed(taken, reader.dialect)
            ):
                # A quote opened and never closed (or closed rows later, where a quote is
                # followed by more than a delimiter: no writer's quoted cell ends so) swallowed
                # the lines after it: reject the line where it opened and read the rest again.
                opened = _unclosed_quote(taken[0], reader.dialect)
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


# A line break inside a line (not its end: a CR in a file with LF line ends, an LF in one
# with CR line ends) is part of a cell that its writer did not quote, as writers that quote
# only their own line end do (Python's csv module among them). The CSV reader would take it
# for the end of the row and refuse the rest ("new-line character seen in unquoted field"),
# so it reads a stand-in, put back in the cells afterwards (see :func:`stand_in_breaks`).
_STAND_INS = str.maketrans({"\r": "\ufdd0", "\n": "\ufdd1"})
_PUT_BACK = str.maketrans({"\ufdd0": "\r", "\ufdd1": "\n"})


class _Lines:
    """The physical lines the CSV reader reads, remembering those of the record being read
    (``taken``), so that lines a stray quote swallowed can be read again (``push_back``).
    ``stray``: a line of the record being read had a line break inside it, read as a
    stand-in (:data:`_STAND_INS`): its cells need :func:`put_back_breaks`."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._again: list[tuple[str, bool]] = []
        self.taken: list[str] = []
        self._strays: list[bool] = []
        self.stray = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            line, stray = self._again.pop()
        else:
            line, stray = stand_in_breaks(next(self._lines))
        self.taken.append(line)
        self._strays.append(stray)
        self.stray = self.stray or stray
        return line

    def start_record(self) -> None:
        self.taken.clear()
        self._strays.clear()
        self.stray = False

    def push_back(self, first: int) -> None:
        """Read the record's lines from its ``first`` (0-based) again."""
        pairs = zip(self.taken[first:], self._strays[first:], strict=True)
        self._again.extend(reversed(list(pairs)))


def stand_in_breaks(line: str) -> tuple[str, bool]:
    r"""``line`` with the line breaks inside it (not its line end) read as stand-ins, and
    whether it had any. A line already holding a stand-in keeps its breaks.

    >>> stand_in_breaks("a,b\rc\n"), stand_in_breaks("a,b\r\n"), stand_in_breaks("a\nb\r")
    (('a,b\ufdd0c\n', True), ('a,b\r\n', False), ('a\ufdd1b\r', True))
    """
    end = len(line) - (2 if line.endswith("\r\n") else 1 if line.endswith(("\r", "\n")) else 0)
    if line.find("\r", 0, end) < 0 and line.find("\n", 0, end) < 0:
        return line, False
    if "\ufdd0" in line or "\ufdd1" in line:
        return line, False
    return line[:end].translate(_STAND_INS) + line[end:], True


def put_back_breaks(cells: list[str]) -> list[str]:
    """Cells read from lines with stand-ins, with their line breaks back."""
    return [cell.translate(_PUT_BACK) for cell in cells]


def _well_formed(lines: list[str], dialect: Any) -> bool:
    r"""Whether ``lines`` (one record) are strict CSV: every quoted cell closes right before
    a delimiter or the line end.

    >>> _well_formed(['1,"two\n', 'lines",3\n'], "excel")
    True
    >>> _well_formed(['"-0,a\n', '"x"y,b\n'], "excel")
    False
    """
    try:
        for _ in csv.reader(lines, dialect, strict=True):
            pass
    except csv.Error:
        return False
    return True


def _unclosed_quote(line: str, dialect: Any) -> int | None:
    r"""The index of the cell of ``line`` in which a quote opens and is not closed on that
    line, or None.

    >>> _unclosed_quote('1,"Ada,ada@example.com\n', "excel"), _unclosed_quote("1,2\n", "excel")
    (1, None)
    """
    parser = csv.reader([line], dialect, strict=True)
    try:
        next(parser, None)
    except csv.Error:
        cells = next(csv.reader([line], dialect), [])
        return max(len(cells) - 1, 0)
    return None


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
    "ENCODING_LABELS",
    "FORMATS",
    "NOT_UTF8",
    "PIPELINE_MIN_BYTES",
    "REJECTS_COLUMNS",
    "Batch",
    "ImportFailed",
    "Reader",
    "Record",
    "Rejected",
    "batches_in_helper",
    "delimiter_of",
    "detect_encoding",
    "detect_format",
    "looks_like",
    "open_file",
    "put_back_breaks",
    "stand_in_breaks",
]
