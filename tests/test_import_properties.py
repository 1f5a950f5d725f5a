"""Every importer, fed files built from its source's real columns with hostile cells, never
crashes: each row is stored, counted duplicate or rejected with a reason, the counts add up,
a second import stores nothing new, the file without its rejected rows imports cleanly and
stores the same, and the columnar lane stores what the general path stores.

The files: each source's sample export (``docs/samples/``) gives the columns and plain values;
cells are mixed with the hostile values of ``tests/hostile.py`` (NUL and control characters,
lone surrogates written as invalid UTF-8, huge and tiny numbers, every date shape, quotes,
formula prefixes, line breaks, very long cells); columns are now and then duplicated, dropped
or reordered; rows are sometimes written by a careless exporter (no quoting: stray quotes and
ragged rows); the file has LF, CRLF or CR line ends, a comma, semicolon or tab delimiter, and
maybe a byte-order mark. JSONL files (``jsonl_files``) get the same properties: for every
source, records keyed by its columns, and for the generic source the canonical shape too.

Each example is cheap, so CI can afford thousands (about 0.06 s of CPU a general-path file
on a slow machine): each import runs in a savepoint rolled back afterwards instead of
deleting what it stored, the snapshot queries are compiled once, a very long cell comes at
most once a file, and the file without its rejected rows is imported only when it differs.

How many examples run comes from the Hypothesis profile (tests/conftest.py): a few in
``make test``, many in CI (HYPOTHESIS_PROFILE=ci), spread so each source gets about as many
(``_examples``). The run's last lines count the files imported per source (tests/conftest.py);
``--hypothesis-show-statistics`` (without ``-n``) gives them per source and kind.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Loaded here once: each lane import forks a helper that uses DuckDB, and a helper that had
# to import it itself spent 0.4 s of CPU doing so (most of a small file's lane import).
import duckdb  # noqa: F401
import pytest
from django.db import transaction
from hypothesis import Phase, event, example, given, seed, settings
from hypothesis import strategies as st

from devotion.ingest.columnar import scan, store
from devotion.ingest.importer import Importer, ImportFailed, ImportResult
from devotion.ingest.sources import SOURCES
from devotion.people.models import Identity, Person
from tests.hostile import hostile_text, very_long
from tests.test_import_columnar import _state, _wipe

# PROPS_NO_SHRINK=1: stop at the first failing file, unshrunk (shrinking one takes minutes).
_NO_SHRINK: dict = (
    {"phases": [Phase.generate], "report_multiple_bugs": False}
    if os.environ.get("PROPS_NO_SHRINK")
    else {}
)
SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
CASES = [
    (name, kind)
    for name, module in sorted(SOURCES.items())
    for kind, mapper in sorted(module.MAPPERS.items())
    if mapper.sample.endswith(".csv")
]
# Cells over 131,072 characters (the csv module's field limit): slow to shrink, so CI only.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
LONG_CELLS = PROFILE == "ci"
# Files per source in CI (PROPS_FILES=N: N with any profile but the default); other
# profiles draw their max_examples.
FILES_PER_SOURCE = int(os.environ.get("PROPS_FILES") or (1000 if PROFILE == "ci" else 0))
# The lane comparison runs as this many tests, each with its own seed, so that pytest -n
# spreads them over the workers (each example imports three times and starts two helpers).
LANE_PARTS = 1 if PROFILE == "default" else 5
# What a broken export puts before a row's key (the key column stays unique per row).
KEY_PREFIXES = ["", "k", "=1", "\x00", "\ud800", " x", '"', "é", "\n", "\r", "'", "@"]


def _examples(source: str) -> int:
    """Examples for one kind of ``source``: two in ``make test`` (a few seconds a source);
    with another profile :data:`FILES_PER_SOURCE` (or the profile's ``max_examples``) for
    each source, shared between the source's kinds. ``lane``: the columnar lane against the
    general path, as many, shared between the test's parts (:data:`LANE_PARTS`)."""
    if PROFILE == "default":
        return 2
    files = FILES_PER_SOURCE or settings().max_examples
    if source == "lane":
        return -(-files // LANE_PARTS)
    kinds = sum(1 for name, _ in CASES if name == source)
    return -(-files // kinds)


@functools.cache
def _sample(source: str, kind: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the source's sample export: its real columns and values."""
    path = SAMPLES / SOURCES[source].MAPPERS[kind].sample
    with path.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    return header, rows


def _key_column(source: str, kind: str, header: list[str]) -> str | None:
    """The column that makes a row a record of its own (unique per row in a generated file)."""
    mapper = SOURCES[source].MAPPERS[kind]
    names = [column.lower() for column in header]
    for name in (mapper.group_by, "external_id", "id", "review id", "customer id", "customer_id"):
        if name and name in names:
            return header[names.index(name)]
    return None


@dataclass
class File:
    """A generated file: its header and rows, and how it is written."""

    header: list[str]
    rows: list[list[str]]
    careless: list[bool]  # rows written without quoting, as a broken exporter does
    terminator: str = "\n"
    delimiter: str = ","
    bom: bool = False
    dropped: bool = False  # a column of the export is missing
    suffix = ".csv"
    data: bytes = b""
    lines: list[int] = field(default_factory=list)  # the physical line each row starts on

    def __post_init__(self) -> None:
        self.data, self.lines = self.encode(range(len(self.rows)))

    def __repr__(self) -> str:  # what a failure shows: the file as it is (long cells cut)
        shown = repr(self.data)
        return f"File({shown[:3000]}{'...' if len(shown) > 3000 else ''})"

    def _repr_pretty_(self, printer, cycle) -> None:  # how Hypothesis prints it
        printer.text(repr(self))

    def encode(self, keep: range | list[int]) -> tuple[bytes, list[int]]:
        """The file's bytes with only the rows in ``keep``, and where each row starts.

        Lines are counted as the importer counts them: at each line end the file uses (LF,
        also in CRLF files; CR in a file with classic Mac line ends)."""
        out = io.StringIO()
        # Python's csv module quotes a cell holding a line break only if its own line end
        # has that character: with CR line ends it would leave an LF unquoted, which at the
        # start of a row makes a file no reader can tell from one with CRLF line ends.
        # Excel for Mac quotes it; so does this writer (its rows' CRLF becomes a CR).
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator=self.terminator)
        if self.terminator == "\r":
            writer = _CrWriter(out, self.delimiter)
        writer.writerow(self.header)
        lines, line = [], 2
        end = "\r" if self.terminator == "\r" else "\n"
        for index in keep:
            start = out.tell()
            if self.careless[index]:
                out.write(self.delimiter.join(self.rows[index]) + self.terminator)
            else:
                writer.writerow(self.rows[index])
            lines.append(line)
            line += out.getvalue()[start:].count(end)
        text = ("\ufeff" if self.bom else "") + out.getvalue()
        # Lone surrogates become invalid UTF-8, as a broken export writes them.
        return text.encode("utf-8", "surrogatepass"), lines


class _CrWriter:
    """Writes CSV rows with CR line ends, quoting every cell that holds a CR or an LF."""

    def __init__(self, out: io.StringIO, delimiter: str) -> None:
        self.out, self.delimiter = out, delimiter

    def writerow(self, row: list[str]) -> None:
        text = io.StringIO()
        csv.writer(text, delimiter=self.delimiter, lineterminator="\r\n").writerow(row)
        self.out.write(text.getvalue()[:-2] + "\r")


def _careless(cell: str, delimiter: str) -> str:
    """A cell as a careless exporter writes it: unquoted, so it must not hold a line end (it
    would make two rows) nor the delimiter (it would make two cells)."""
    return cell.replace("\r", " ").replace("\n", " ").replace(delimiter, " ")


@st.composite
def files(
    draw, source: str, kind: str, *, long_cells: bool = LONG_CELLS, columns=None, grouped=False
) -> File:
    """``columns``: only these of the sample's columns; ``grouped``: a row may continue the
    order before it (the same key), making one record of several rows."""
    header, samples = _sample(source, kind)
    if columns is not None:  # only these of the sample's columns
        keep = [i for i, name in enumerate(header) if name in columns]
        header, samples = [header[i] for i in keep], [[row[i] for i in keep] for row in samples]
    values = {name: [row[i] for row in samples if row[i]] or [""] for i, name in enumerate(header)}
    original = header
    key = _key_column(source, kind, header)
    dropped = False
    if draw(st.integers(0, 9)) == 0:  # a column missing (maybe a required one)
        gone = draw(st.sampled_from(header))
        if gone != key:
            header = [name for name in header if name != gone]
            dropped = True
    if draw(st.integers(0, 9)) == 0:  # a column twice
        header = [*header, draw(st.sampled_from(header))]
    if draw(st.integers(0, 9)) == 0:  # another order
        header = list(draw(st.permutations(header)))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    terminator = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    width = len(header)
    rows, careless = [], []
    long_drawn = False
    for number in range(draw(st.integers(1, 6))):
        # A row of the export with a few cells hostile, and a few taken from its other rows
        # (each cell drawn on its own would make 10x slower examples and fewer whole rows).
        base = draw(st.sampled_from(samples))
        by_name = dict(zip(original, base, strict=True))
        row = [by_name.get(name, "") for name in header]
        for _ in range(draw(st.integers(0, 3))):
            column = draw(st.integers(0, width - 1))
            row[column] = draw(st.sampled_from(values.get(header[column]) or [""]))
        for _ in range(draw(st.integers(0, 4))):
            row[draw(st.integers(0, width - 1))] = draw(hostile_text)
        # A cell longer than the csv module's limit now and then: one in a file is as hostile
        # as several, which cost ~10 ms each to write, read and report again and again.
        if long_cells and not long_drawn and draw(st.integers(0, 7)) == 0:
            row[draw(st.integers(0, width - 1))] = draw(very_long)
            long_drawn = True
        if key is not None:
            # Unique per row, whatever its hostile prefix: each row is a record of its own.
            # In every copy of a duplicated key column (the importer reads the last one).
            value = f"{draw(st.sampled_from(KEY_PREFIXES))}-{number}"
            if grouped and rows and draw(st.integers(0, 3)) == 0:
                value = rows[-1][header.index(key)]
            for column, name in enumerate(header):
                if name == key:
                    row[column] = value
        sloppy = draw(st.integers(0, 7)) == 0
        if sloppy:
            row = [_careless(cell, delimiter) for cell in row]
        rows.append(row)
        careless.append(sloppy)
    return File(header, rows, careless, terminator, delimiter, draw(st.booleans()), dropped)


def _report(result: ImportResult) -> list[tuple[int, str]]:
    """The rejects report's (line, reason) pairs, read as a person opening it would."""
    if not result.rejects_path:
        return []
    with result.rejects_path.open(encoding="utf-8", newline="") as file:
        return [(int(entry["line"]), entry["reason"]) for entry in csv.DictReader(file)]


def _import(path: Path, source: str, kind: str, **options) -> ImportResult | None:
    """Import ``path``; None when the file as a whole cannot be imported."""
    try:
        return Importer(kind, source, **options).run(path)
    except ImportFailed as failed:
        # A file that cannot be read at all (a required column gone) fails as a whole, with
        # one message, and stores nothing.
        assert str(failed).strip()
        return None


def _accounted(file: File, result: ImportResult) -> list[tuple[int, str]]:
    """Check that every row of ``file`` is stored, a duplicate or rejected with a reason, once;
    returns the rejects report."""
    assert result.accepted + result.duplicate + result.rejected == len(file.rows), result
    report = _report(result)
    assert len(report) == result.rejected
    assert all(reason.strip() for _, reason in report)
    assert {line for line, _ in report} <= set(file.lines), (report, file.lines)
    return report


class _Discard(Exception):
    """Raised at the end of a :func:`_discarded` block to roll it back."""


@contextlib.contextmanager
def _discarded() -> Iterator[None]:
    """Run the block in a savepoint, then roll it back: the database is left as the block
    found it (empty). Deleting what an import stored cost a third of each example: the
    cascade visits every table that refers to a person."""
    with contextlib.suppress(_Discard), transaction.atomic():
        yield
        raise _Discard


def _check_one_file(tmp_path: Path, source: str, kind: str, file: File, **options) -> None:
    path = tmp_path / f"{source}_{kind}{file.suffix}"
    path.write_bytes(file.data)
    with _discarded():
        result = _import(path, source, kind, **options)
        if result is None:
            assert file.dropped, "only a file missing a column may fail as a whole"
            assert (Person.objects.count(), Identity.objects.count()) == (0, 0)
            return
        report = _accounted(file, result)
        stored = _state()

        # Importing the same file again stores nothing new and rejects the same rows.
        again = Importer(kind, source, **options).run(path)
        if kind != "customers":
            assert again.accepted == 0, again
        # (A customers file may hold one person twice with different details: each import
        # stores the first, then the second again, and ends where the first import ended.)
        assert _accounted(file, again) == report
        assert _state() == stored

    # The file without its rejected rows imports cleanly into an empty database, and stores
    # what the whole file stored. (With none rejected it is the same file, already imported.)
    if not report:
        return
    rejected = {line for line, _ in report}
    keep = [i for i, line in enumerate(file.lines) if line not in rejected]
    fixed_path = tmp_path / f"fixed{file.suffix}"
    fixed_path.write_bytes(file.encode(keep)[0])
    with _discarded():
        fixed = Importer(kind, source, **options).run(fixed_path)
        assert fixed.rejected == 0, _report(fixed)
        assert fixed.accepted + fixed.duplicate == len(keep)
        assert _state() == stored


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "kind"), CASES)
def test_every_importer_accounts_for_every_row_of_a_hostile_file(
    tmp_path, record_property, source, kind
):
    examples = []

    @settings(max_examples=_examples(source), **_NO_SHRINK)
    @given(file=files(source, kind))
    def check(file: File) -> None:
        examples.append(1)
        _check_one_file(tmp_path, source, kind, file)

    try:
        check()
    finally:  # the count per source goes to the log (tests/conftest.py)
        record_property("importer_examples", (source, len(examples)))


# -- JSON lines --------------------------------------------------------------------------
# JSONL: one record a line, flat (a CSV row's columns as keys) or, for the generic source,
# canonical (a nested ``person``, an order's ``lines``), with hostile values of every JSON
# type, and whole lines a broken writer leaves: cut short, not an object, nested 5,000 deep,
# a number of 5,000 digits, raw bytes that are not UTF-8.

# Every other source reads JSONL too (records keyed by its export's column names, as a tool
# that turns the export into JSON lines writes them): flat records only, a fifth as many.
JSONL_CASES = CASES
JSONL_SHARE = 5
_PERSON_KEYS = {
    "email": "email", "phone": "phone", "customer_id": "external_id", "name": "name",
    "first_name": "first_name", "last_name": "last_name", "country": "country",
}  # fmt: skip
_LINE_KEYS = ("product_id", "product_name", "quantity", "unit_price", "discount")
BROKEN_LINES = [
    '{"kind": "order", "external_id": "x-1"',  # cut short
    "[1, 2]", '"just text"', "42", "null", "true", "{}", '{"": ""}', "{'single': 'quotes'}",
    '{"a": 1,}', '{"a": NaN}', '{"a": Infinity}', '{"a": 1e400}', '{"a": "\\ud800"}',
    '{"a": "\\u0000"}', '{"a": "\\x00"}', "\x00", "\ufeff{}", '{"a":' * 5000 + "1" + "}" * 5000,
    '{"a": ' + "[" * 5000 + "]" * 5000 + "}", '{"amount": 1' + "0" * 5000 + "}",
    '{"email": "ada@example.com", "email": 7}',  # a key twice
]  # fmt: skip
json_values = st.one_of(
    hostile_text,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(hostile_text, max_size=3),
    st.dictionaries(hostile_text, hostile_text, max_size=3),
    st.sampled_from([[[[[[[[[[[["deep"]]]]]]]]]]], {"a": {"b": {"c": {"d": {"e": {}}}}}}]),
)


@dataclass
class JsonlFile:
    """A generated JSONL file: one text a record (each a line), how lines end, a BOM, and
    blank lines where a record is None."""

    records: list[str | bytes]  # bytes: a line that is not UTF-8
    blanks: list[int]  # blank lines before each record
    terminator: str = "\n"
    bom: bool = False
    dropped = False  # a JSONL file has no columns to miss: it never fails as a whole
    suffix = ".jsonl"
    data: bytes = b""
    lines: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.data, self.lines = self.encode(range(len(self.records)))

    @property
    def rows(self) -> list[str | bytes]:
        return self.records

    def __repr__(self) -> str:
        shown = repr(self.data)
        return f"JsonlFile({shown[:3000]}{'...' if len(shown) > 3000 else ''})"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def encode(self, keep: range | list[int]) -> tuple[bytes, list[int]]:
        """The file's bytes with only the records in ``keep``, and each one's line."""
        end = self.terminator.encode()
        out, lines, line = [b"\xef\xbb\xbf" if self.bom else b""], [], 1
        for index in keep:
            out.append(end * self.blanks[index])
            line += self.blanks[index]
            record = self.records[index]
            out.append(
                record if isinstance(record, bytes) else record.encode("utf-8", "surrogatepass")
            )
            out.append(end)
            lines.append(line)
            line += 1
        return b"".join(out), lines


def _canonical(kind: str, row: dict[str, str]) -> dict:
    """A flat record of ``kind`` as the canonical event shape: ``person`` nested, an order's
    product columns as its ``lines``."""
    record: dict = {"person": {}}
    for key, value in row.items():
        if key in _PERSON_KEYS:
            record["person"][_PERSON_KEYS[key]] = value
        elif kind == "orders" and key in _LINE_KEYS:
            record.setdefault("lines", [{}])[0][key] = value
        elif key.startswith(("fact_", "consent_", "extra_")):
            group, _, name = key.partition("_")
            record.setdefault({"fact": "facts"}.get(group, group), {})[name] = value
        else:
            record[key] = value
    return record


def _jsonl_examples(source: str) -> int:
    """Files for one kind: as many as a CSV for the generic source (JSONL is its own format),
    a :data:`JSONL_SHARE` th for the others (at least two)."""
    return _examples(source) if source == "generic" else max(2, _examples(source) // JSONL_SHARE)


@st.composite
def jsonl_files(draw, source: str, kind: str) -> JsonlFile:
    header, samples = _sample(source, kind)
    key = _key_column(source, kind, header)
    records: list[str | bytes] = []
    for number in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 7)) == 0:  # a line a broken writer left
            line: str | bytes = draw(st.sampled_from(BROKEN_LINES))
            if draw(st.integers(0, 3)) == 0:
                line = line.encode() + b"\xff\xfe"  # and bytes that are not UTF-8
            records.append(line)
            continue
        row: dict = dict(zip(header, draw(st.sampled_from(samples)), strict=True))
        for _ in range(draw(st.integers(0, 4))):
            row[draw(st.sampled_from(header))] = draw(json_values)
        if draw(st.integers(0, 9)) == 0:  # a key of its own
            row[draw(hostile_text)] = draw(json_values)
        if key is not None:
            row[key] = f"{draw(st.sampled_from(KEY_PREFIXES))}-{number}"
        # The generic source also reads the canonical event shape; the others their columns.
        canonical = source == "generic" and draw(st.booleans())
        record = _canonical(kind, row) if canonical else row
        # Python's json writes NaN and Infinity (and reads them back); ASCII-only or not
        # (a lone surrogate then becomes bytes that are not UTF-8).
        records.append(json.dumps(record, ensure_ascii=draw(st.booleans())))
    blanks = [draw(st.sampled_from([0, 0, 0, 1])) for _ in records]
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    return JsonlFile(records, blanks, terminator, draw(st.booleans()))


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "kind"), JSONL_CASES)
def test_every_jsonl_import_accounts_for_every_record_of_a_hostile_file(
    tmp_path, record_property, source, kind
):
    examples = []

    @settings(max_examples=_jsonl_examples(source), **_NO_SHRINK)
    @given(file=jsonl_files(source, kind))
    def check(file: JsonlFile) -> None:
        examples.append(1)
        _check_one_file(tmp_path, source, kind, file)

    try:
        check()
    finally:
        record_property("importer_examples", (f"{source} (JSONL)", len(examples)))


# -- the columnar lane ----------------------------------------------------------------------


@pytest.fixture
def small_lane(monkeypatch) -> dict[str, int]:
    """Let test-sized files take the lane, in chunks of two orders; counts the chunks it
    stores (a file whose chunks all go the general way compares nothing)."""
    monkeypatch.setattr(scan, "MIN_BYTES", 0)
    monkeypatch.setattr(scan, "FIRST_CHUNK_ORDERS", 2)
    monkeypatch.setattr(scan, "CHUNK_ORDERS", 2)
    monkeypatch.setattr(scan, "CHUNK_ORDERS_POSTGRES", 2)
    used = {"chunks": 0}
    store_prepared = store.store_prepared

    def counting(*args, **kwargs):
        stored = store_prepared(*args, **kwargs)
        used["chunks"] += 1
        return stored

    monkeypatch.setattr(store, "store_prepared", counting)
    return used


def _outcome(path: Path, *, lane: bool) -> tuple:
    """Import ``path`` into an empty database one way: the counts, the rejects report and
    everything stored."""
    _wipe()
    result = _import(path, "generic", "orders", columnar=lane, batch_size=2)
    if result is None:
        return None, [], _state()
    counts = (result.accepted, result.duplicate, result.rejected)
    return counts, _report(result), _state()


# As a user runs an import: outside a transaction (the lane attaches a scratch SQLite file,
# which SQLite only allows outside one).
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("part", range(LANE_PARTS))
def test_the_columnar_lane_stores_what_the_general_path_stores(
    tmp_path, record_property, small_lane, part
):
    examples = []

    @settings(max_examples=_examples("lane"), **_NO_SHRINK)
    @given(file=files("generic", "orders", columns=scan.COLUMNS, grouped=True))
    # Classic Mac line ends and an LF in a quoted order id: the lane read it shifted.
    @example(file=File(["external_id", "occurred_at", "email", "quantity"],
                       [["\n-0", "2025-07-19T16:40:00Z", "lee@example.com", "\x0e"]],
                       [False], terminator="\r"))  # fmt: skip
    def check(file: File) -> None:
        examples.append(1)
        path = tmp_path / "orders.csv"
        path.write_bytes(file.data)
        general = _outcome(path, lane=False)
        before = small_lane["chunks"]
        assert _outcome(path, lane=True) == general
        event(f"chunks the lane stored: {min(small_lane['chunks'] - before, 2)}")
        # Importing it again through the lane stores nothing new.
        if general[0] is not None:
            again = Importer("orders", "generic", columnar=True, batch_size=2).run(path)
            assert (again.accepted, _report(again)) == (0, general[1])
            assert _state() == general[2]

    if settings().derandomize:  # each part draws files of its own
        check = seed(part)(check)
    try:
        check()
    finally:
        record_property("importer_examples", ("generic (both lanes)", len(examples)))
