"""The fast lane for large, clean order files in Devotion's own CSV columns.

A million-row orders file through the general path costs ~45 µs a row to read, map and
validate in Python and as much again to store. Here DuckDB reads and checks the whole file
column by column first (about 1.5 µs a row, on every core). A helper process then reads
each clean chunk's lines again (plain Python: the check proved what they hold), prepares its
orders per customer (see :class:`Prepared`) while the importer stores the one before with a
handful of statements and a little Python per customer.

The lane is exact or it is not taken. It only handles what it can prove gives the same result
as :func:`~devotion.touchpoints.events.validate_event` and ``ingest``:

- the file: generic source, orders, CSV whose columns are all in :data:`COLUMNS`, UTF-8, one
  physical line per row (no blank lines, no line breaks inside quotes), readable by DuckDB as
  a strict CSV; and no webhook subscriber wants ``person.created`` or ``touchpoint.created``;
- a row: plain ASCII where Python and DuckDB could case or trim differently, no whitespace
  but spaces, values within their limits in bytes, dates in plain ISO 8601 form, money with
  at most two decimals (see :meth:`ColumnarFile._check`);
- a chunk: every row passes, no order is stored already or repeated, and no customer links
  two existing people (which would merge them).

Anything else — a chunk with one doubtful row, a re-import, a merge — goes through the general
path (the same mapping, validation, rejects report and ``ingest``), chunk by chunk in file
order, so the outcome is what the general path gives with the same transaction boundaries;
only the speed differs. ``tests/test_import_columnar.py`` checks this on messy files.
"""

# Column names in the SQL below are our own constants; every value from the file is data.
# ruff: noqa: S608

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import gc
import itertools
import operator
import re
import sqlite3
import tempfile
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction

from devotion.lib.normalize import normalize_phone
from devotion.people.models import Identity, Person, stage_for_order_count
from devotion.touchpoints import bulk, columnar_child
from devotion.touchpoints.events import CENT, FUTURE_SLACK, ZERO
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.touchpoints.reader import Record, Upcoming, delimiter_of, helper_messages
from devotion.webhooks.dispatch import wanted_events

SOURCE = "generic"
# The generic order columns the lane understands; a file with any other column takes the
# general path (facts, consent, extra, staff, text... are rare in order exports).
COLUMNS = (
    "external_id", "occurred_at", "email", "phone", "customer_id", "name", "first_name",
    "last_name", "country", "channel", "amount", "currency", "product_id", "product_name",
    "quantity", "unit_price", "discount",
)  # fmt: skip
# Orders per transaction (~150,000 rows). Fewer, larger chunks mean fewer updates of the same
# regular customers and fewer commits: 30,000 took 10% longer than 60,000, and 60,000 5%
# longer than 90,000. Memory grows with it: a 3M-row import peaked at 938 MiB for both
# processes with 90,000 (864 MiB with 60,000); run that benchmark again before raising it.
CHUNK_ORDERS = 90_000
# PostgreSQL's chunks carry their rows as COPY text through the pipe, ~100 MB more at 90,000
# (895 MiB for a 1M-row import); its server is the bottleneck, so larger chunks gain little.
CHUNK_ORDERS_POSTGRES = 60_000
FIRST_CHUNK_ORDERS = 5_000
MIN_BYTES = 4 * 1024 * 1024  # smaller files are quick enough the general way
# DuckDB's share of memory; beyond it, it spills to a temporary folder. With 512 MB a 3M-row
# file peaked at 983 MiB for the whole process; 256 MB keeps the import well under 1 GB for
# ~11% of the speed.
DUCKDB_MEMORY = "256MB"
# ... and once the file is loaded, while each chunk's rows are checked as the helper comes to
# them: at 256 MB DuckDB kept ~100 MB more of the file's blocks cached than the whole-file
# check had (1M rows: 498 against 402 MiB for the helper); at 128 MB it holds 392 MiB and
# the checks cost ~0.1 s more in all.
DUCKDB_MEMORY_CHUNKS = "128MB"

# Python whitespace other than the space: Python's strip() removes it, DuckDB's trim() does not.
_ODD_SPACE = (
    r"[\t\n\r\x0b\x0c\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
# The same, as UTF-8 bytes in a file (a carriage return is checked apart, see _scan), and the
# bytes that start them: a block with none of those has none of them.
_ODD_SPACE_UTF8 = re.compile(
    rb"[\t\x0b\x0c\x1c-\x1f]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]"
    rb"|\xe2\x81\x9f|\xe3\x80\x80"
)
_ODD_SPACE_BYTES = [bytes([b]) for b in b"\t\x0b\x0c\x1c\x1d\x1e\x1f\xc2\xe1\xe2\xe3"]
# Dates both Python's fromisoformat and DuckDB read the same way. DuckDB also takes hour 24 and
# offsets of +24:00, which Python rejects: those (and years outside 1900-2999) go the general way.
_ISO = (
    r"(19|2\d)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?"
)
_MONEY = r"-?\d{1,12}(\.\d{1,2})?"
_ASCII = r"[\x20-\x7e]*"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"


@dataclass(slots=True)
class Chunk:
    """Consecutive orders of the file: their first and last row (0-based), whether the
    fast lane may store them (set by :meth:`ColumnarFile.check`), and the rows in the whole
    file."""

    first_row: int
    last_row: int
    clean: bool
    rows: int
    spaced: bool = True  # whether any of its cells has spaces to trim


class Scan(NamedTuple):
    """What one pass over a file's bytes found (:meth:`ColumnarFile._scan`)."""

    lines: int  # physical lines
    # Whether it may hold whitespace other than spaces and line ends anywhere
    # (:data:`_ODD_SPACE`, as UTF-8). When it cannot, no row needs that per-row test, which
    # cost DuckDB more than every other check together.
    odd_space: bool
    spaced: bool  # whether any cell may have spaces around it (to trim)


def eligible(kind: str, source: str, fmt: str, path: Path) -> bool:
    """Whether a file may try the lane at all (its rows are checked later)."""
    if (kind, source, fmt) != ("orders", SOURCE, "csv"):
        return False
    try:
        if path.stat().st_size < MIN_BYTES:
            return False
        header = _header(path)
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    names = [name.strip().lower() for name in header]
    if len(set(names)) != len(names) or not set(names) <= set(COLUMNS):
        return False
    # The lane announces nothing: where a subscriber wants to hear of new people or
    # touchpoints, the general path (which does) imports the file.
    return not wanted_events() & {"person.created", "touchpoint.created"}


def _header(path: Path) -> list[str]:
    return _first_line(path)[0]


def _first_line(path: Path) -> tuple[list[str], str]:
    """The header's cells and the delimiter it uses."""
    with path.open(encoding="utf-8", newline="") as file:
        first = file.readline().removeprefix("\ufeff")
    delimiter = delimiter_of(first)
    return next(csv.reader([first], delimiter=delimiter), []), delimiter


class ColumnarFile:
    """One file loaded into DuckDB, checked, and handed out as chunks of orders."""

    def __init__(self, path: Path, *, now: datetime | None = None, spill: str = "") -> None:
        """``spill``: the folder where DuckDB writes what does not fit in its memory (the
        caller removes it); by default a temporary folder of this object's own."""
        import duckdb

        self.path = path
        self.now = now or datetime.now(UTC)
        self._tmp = None
        if not spill:
            self._tmp = tempfile.TemporaryDirectory(prefix="devotion-import-")
            spill = self._tmp.name
        self.spill = spill  # also where prepare stages chunks for SQLite
        self.phone_keys: dict[str, str | None] = {}  # each phone as written: its key
        self.db = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY})
        self.db.execute("SET GLOBAL TimeZone = 'UTC'")  # for the cursors of other threads too
        self.db.execute("SET temp_directory = ?", [spill])
        self.header, self.delimiter = _first_line(path)
        self.names = [name.strip().lower() for name in self.header]
        self.rows = 0
        self._file: Any = None  # the file as text, read a chunk at a time (see _cells)
        self._next = 0  # the data row it is at (0-based)
        self._money: dict[str, str] = {}  # money as written: as stored

    def close(self) -> None:
        self.db.close()
        if self._file is not None:
            self._file.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- loading -----------------------------------------------------------------------------

    def load(self) -> bool:
        """Read and check the file; False when it cannot take the lane at all."""
        import duckdb

        width = len(self.names)
        columns = {f"c{i}": "VARCHAR" for i in range(width)}
        # Python counts the file's lines in a thread while DuckDB reads it (DuckDB lets go of
        # the interpreter lock while it works).
        with ThreadPoolExecutor(1, thread_name_prefix="import-scan") as pool:
            scanned = pool.submit(self._scan)
            try:
                self.db.execute(
                    "CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true, columns = ?, "
                    "delim = ?, quote = '\"', escape = '\"', strict_mode = true, "
                    "auto_detect = false, null_padding = false, encoding = 'utf-8')",
                    [str(self.path), columns, self.delimiter],
                )
            except duckdb.Error:
                return False  # not UTF-8, ragged rows, stray quotes: the general path reports
            self.rows = self._count("raw")
            # Row i must be physical line i + 2, so rejects name the right line.
            scan = scanned.result()
        if not self.rows or scan.lines != self.rows + 1:
            return False
        self._check(scan.odd_space, scan.spaced)
        # From here on chunks are read one at a time while the importer works on the other
        # core: a second DuckDB thread cost more CPU than it saved (1M rows: 8.1 s of CPU for
        # 7.1 s of wall time with two, 6.5 s for 6.5 s with one).
        self.db.execute("SET threads = 1")
        self.db.execute(f"SET memory_limit = '{DUCKDB_MEMORY_CHUNKS}'")
        return True

    def _count(self, table: str) -> int:
        row = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def _scan(self) -> Scan:
        """Read the file's bytes once for what makes per-row tests unnecessary (see
        :class:`Scan`). Looking for single bytes or pairs is fast; the exact pattern only runs
        on a block that has one."""
        count, last, odd = 0, b"\n", False
        # A cell has spaces to trim only if one is next to a delimiter, a line end or a quote
        # (or ends the file). Other whitespace DuckDB's trim() removes (U+00A0, U+3000) is
        # odd space: a row with it is not clean. Each block is mapped to 0 for a space, 1 for
        # those bytes and 2 for the rest, then searched for a 0 beside a 1 (4x faster than
        # searching it for each pair).
        edge = {ord(self.delimiter), ord("\n"), ord("\r"), ord('"')}
        table = bytes(0 if byte == 32 else 1 if byte in edge else 2 for byte in range(256))
        spaced = False
        with self.path.open("rb") as file:
            while block := file.read(1 << 20):
                count += block.count(b"\n")
                joined = last + block
                if not odd:
                    # A carriage return is only a line end right before a line feed.
                    odd = joined.count(b"\r") != joined.count(b"\r\n") + joined.endswith(b"\r")
                    if not odd and any(byte in joined for byte in _ODD_SPACE_BYTES):
                        odd = _ODD_SPACE_UTF8.search(joined) is not None
                if not spaced:
                    mapped = joined.translate(table)
                    spaced = b"\x00\x01" in mapped or b"\x01\x00" in mapped
                last = block[-2:]
        return Scan(count + (last[-1:] != b"\n"), odd, spaced or last.endswith(b" "))

    def _column(self, name: str) -> str:
        """The SQL for one canonical column: the file's cell, or '' when it has no such column."""
        if name in self.names:
            return f"coalesce(c{self.names.index(name)}, '')"
        return "''"

    def _check(self, odd_space: bool = True, spaced: bool = True) -> None:
        """Build ``rows`` (each row's order number) and ``orders`` (each order's rows), and the
        view ``checked``: whether a row passes (``head_ok``; ``line_ok`` for the cells a later
        line of an order adds), read a chunk at a time by :meth:`check`. The conditions below
        are the whole contract. The values as ``ingest`` would store them stay a view
        (``typed``) the checks read once; :meth:`read` works out the same values for a clean
        chunk.
        Materialising a second wide copy of the file and carrying it through the window
        functions cost DuckDB more than everything else together."""
        col = {name: self._column(name) for name in COLUMNS}
        # Where no cell has spaces around it, a plain row's cells are their trimmed selves (the
        # other whitespace trim() removes fails ``plain``).
        trimmed = {name: f"trim({sql})" if spaced else sql for name, sql in col.items()}
        everything = " || chr(1) || ".join(col.values())
        plain = f"NOT regexp_matches({everything}, '{_ODD_SPACE}')" if odd_space else "TRUE"
        # Whether a cell has spaces around it: chunks without any are read without trimming.
        # Comparing every cell with its trimmed self cost half of the per-chunk checks; the
        # scan finds most files have no such cell at all.
        if spaced:
            spaced_sql = " OR ".join(f"{col[name]} <> {trimmed[name]}" for name in self.names)
        else:
            spaced_sql = "FALSE"
        limit = (self.now + FUTURE_SLACK).replace(tzinfo=None)
        self.db.execute(
            f"""
            CREATE VIEW typed AS
            WITH cells AS (
                SELECT rowid AS n,
                       {", ".join(f"{sql} AS {name}" for name, sql in trimmed.items())},
                       {plain} AS plain,
                       {spaced_sql} AS spaced
                FROM raw
            )
            SELECT *,
                   try_cast(occurred_at AS TIMESTAMPTZ) AS occurred,
                   lower(email) AS email_key,
                   CASE WHEN name <> '' THEN name
                        ELSE concat_ws(' ', nullif(first_name, ''), nullif(last_name, ''))
                   END AS full_name,
                   CASE WHEN quantity = '' THEN 1
                        WHEN regexp_full_match(quantity, '\\d{{1,7}}')
                        THEN CAST(quantity AS INTEGER) END AS qty
            FROM cells
            """
        )
        # A row that is not the first of its order only adds its line: its other cells are
        # ignored (as the general path does), so only its line cells decide (line_ok). A
        # view: each chunk's rows are checked when the helper comes to that chunk
        # (:meth:`check`), so the importer gets its first chunk without waiting for the
        # whole file's checks (~1 s of DuckDB at 1M rows), and the rest run while it stores.
        self.db.execute(
            f"""
            CREATE VIEW checked AS
            SELECT n, external_id, spaced,
                   plain
                   AND external_id <> '' AND strlen(external_id) <= 200
                   AND regexp_full_match(occurred_at, '{_ISO}')
                   AND occurred IS NOT NULL AND occurred <= TIMESTAMP '{limit:%Y-%m-%d %H:%M:%S}'
                   AND (email = '' OR (regexp_full_match(email, '{_ASCII}')
                        AND strlen(email) <= 320 AND regexp_full_match(email_key, '{_EMAIL}')))
                   AND strlen(phone) <= 64
                   AND strlen(customer_id) <= 200
                   AND (email <> '' OR phone <> '' OR customer_id <> '')
                   AND strlen(name) <= 300 AND strlen(first_name) <= 150
                   AND strlen(last_name) <= 150
                   AND regexp_full_match(country, '{_ASCII}') AND strlen(country) <= 2
                   AND regexp_full_match(channel, '{_ASCII}') AND strlen(channel) <= 16
                   AND regexp_full_match(currency, '{_ASCII}') AND strlen(currency) <= 3
                   AND (amount = '' OR regexp_full_match(amount, '{_MONEY}'))
                   AS head_ok,
                   plain AND strlen(product_id) <= 200 AND strlen(product_name) <= 500
                   AND qty IS NOT NULL AND qty BETWEEN 1 AND 1000000
                   AND (unit_price = '' OR regexp_full_match(unit_price, '{_MONEY}'))
                   AND (discount = '' OR regexp_full_match(discount, '{_MONEY}'))
                   AS line_ok
            FROM typed
            """
        )
        # A new order starts where the order id changes (or is empty).
        self.db.execute(
            """
            CREATE TABLE rows AS
            SELECT n, sum(CASE WHEN external_id <> '' AND external_id = previous_id
                               THEN 0 ELSE 1 END) OVER (ORDER BY n) AS o
            FROM (SELECT n, external_id, lag(external_id) OVER (ORDER BY n) AS previous_id
                  FROM typed)
            """
        )
        self.db.execute(
            "CREATE TABLE orders AS "
            "SELECT o, min(n) AS first_row, max(n) AS last_row FROM rows GROUP BY o"
        )

    # -- chunks ------------------------------------------------------------------------------

    def chunks(self, orders: int = 0) -> Iterator[Chunk]:
        """Consecutive orders, ``orders`` (:data:`CHUNK_ORDERS`) at a time, in file order.
        The first chunks are smaller (:data:`FIRST_CHUNK_ORDERS`, then twice as many each
        time): the importer waits for the first one while the file loads, then each chunk is
        prepared while the one before is stored, which takes longer."""
        size = int(orders or CHUNK_ORDERS)
        total = self._count("orders")
        bounds, start, step = [], 1, min(size, FIRST_CHUNK_ORDERS)
        while start <= total:
            bounds.append((start, start + step - 1))
            start, step = start + step, min(size, step * 2)
        result = self.db.execute(
            """
            SELECT b.c, min(first_row), max(last_row)
            FROM orders JOIN (SELECT unnest(?) AS lo, unnest(?) AS hi,
                                     generate_subscripts(?, 1) AS c) AS b
                 ON o BETWEEN b.lo AND b.hi
            GROUP BY b.c ORDER BY b.c
            """,
            [[lo for lo, _ in bounds], [hi for _, hi in bounds], [lo for lo, _ in bounds]],
        )
        for _, first, last in result.fetchall():
            yield Chunk(first, last, False, self.rows)

    def check(self, chunk: Chunk) -> None:
        """Set whether the chunk's rows all pass (``clean``: each order's first row passes
        ``head_ok`` and every row ``line_ok``) and whether any cell has spaces to trim."""
        row = self.db.execute(
            """
            SELECT coalesce(bool_and(CASE WHEN first THEN head_ok AND line_ok ELSE line_ok END),
                            false),
                   coalesce(bool_or(spaced), false)
            FROM (SELECT head_ok, line_ok, spaced,
                         external_id = ''
                         OR external_id IS DISTINCT FROM lag(external_id) OVER (ORDER BY n)
                         AS first
                  FROM checked WHERE n BETWEEN ? AND ?)
            """,
            [chunk.first_row, chunk.last_row],
        ).fetchone()
        assert row is not None
        chunk.clean, chunk.spaced = bool(row[0]), bool(row[1])

    def read(self, chunk: Chunk) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """A clean chunk's orders and lines, read from the file itself (in file order: chunks
        must be asked for in order).

        - Per order, the fields of its first row: (order number in the chunk, external id,
          time as stored, e-mail, its key where that differs from the e-mail (else None),
          phone, customer id, name, country, channel, amount, currency). The amount is the
          order's own, else its lines' total when it has lines (as validate_event), else None.
        - Per line: (order number, product id (else the name), name, quantity, unit price or
          None, discount).

        The values are what the ``typed`` view gives for these rows, worked out in Python:
        :meth:`_check` proved each row plain (no whitespace but spaces, so strip() trims as
        trim() does; ASCII where case matters), its time in plain ISO 8601 and its money in
        plain decimals. DuckDB handing the same values to Python cost the helper more than
        reading the lines again."""
        rows = self._cells(chunk)
        at = {name: self.names.index(name) for name in COLUMNS if name in self.names}
        width = len(self.names)
        ext = at.get("external_id", width)  # a missing column reads the '' added at the end
        head = operator.itemgetter(
            *(at.get(name, width) for name in (
                "occurred_at", "email", "phone", "customer_id", "name", "first_name",
                "last_name", "country", "channel", "amount", "currency",
            ))
        )  # fmt: skip
        line = operator.itemgetter(
            *(at.get(name, width)
              for name in ("product_id", "product_name", "quantity", "unit_price", "discount"))
        )  # fmt: skip
        money = self._money
        orders: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        unpriced: list[int] = []  # orders without an amount of their own: their lines add up
        previous_id, o = None, -1
        for cells in rows:
            external_id = cells[ext]
            if not external_id or external_id != previous_id:  # a new order starts
                o += 1
                when, mail, phone, customer, name, first, last, country, channel, amount, cur = (
                    head(cells)
                )
                key = mail.lower()
                if amount:
                    amount = money.get(amount) or self._cents_text(amount)
                else:
                    unpriced.append(o)
                orders.append(
                    (o, external_id, _stored_time(when), mail, key if key != mail else None,
                     phone, customer,
                     name or " ".join(part for part in (first, last) if part),
                     country.upper(), channel.lower(), amount or None, cur.upper())
                )  # fmt: skip
            previous_id = external_id
            pid, product, count, unit, cut = line(cells)
            if pid or product:
                lines.append(
                    (o, pid or product, product, int(count) if count else 1,
                     (money.get(unit) or self._cents_text(unit)) if unit else None,
                     (money.get(cut) or self._cents_text(cut)) if cut else "0.00")
                )  # fmt: skip
        if unpriced:
            _add_up(orders, lines, unpriced)
        return orders, lines

    def _cells(self, chunk: Chunk) -> list[list[str]]:
        """The chunk's rows as cells (trimmed), as csv reads them, with '' added at the end
        where the file lacks one of :data:`COLUMNS`."""
        if self._file is None:
            self._file = self.path.open(encoding="utf-8-sig", newline="")
            next(self._file)  # the header
        if chunk.first_row < self._next:
            raise ValueError("chunks must be read in file order")
        lines = list(
            itertools.islice(
                self._file, chunk.first_row - self._next, chunk.last_row + 1 - self._next
            )
        )
        self._next = chunk.last_row + 1
        if any('"' in line for line in lines):
            rows = list(csv.reader(lines, delimiter=self.delimiter))
        else:  # nothing quoted: each line is its cells between delimiters (3x faster)
            d = self.delimiter
            rows = [line.rstrip("\r\n").split(d) for line in lines]
        del lines
        if chunk.spaced:
            rows = [[cell.strip() for cell in cells] for cells in rows]
        if not set(COLUMNS) <= set(self.names):
            for cells in rows:
                cells.append("")
        return rows

    def _cents_text(self, text: str) -> str:
        """Plain money text (:data:`_MONEY`) as DuckDB's DECIMAL(14, 2) writes it; the
        answers are kept (prices repeat) up to a limit."""
        value = str(_cents(text))
        if len(self._money) < 100_000:
            self._money[text] = value
        return value


def _add_up(
    orders: list[tuple[Any, ...]], lines: list[tuple[Any, ...]], unpriced: list[int]
) -> None:
    """Give each order of ``unpriced`` that has lines their total as its amount."""
    totals: dict[int, Decimal] = {}
    wanted = set(unpriced)
    for o, _, _, count, unit, cut in lines:
        if o in wanted:
            total = totals.get(o, ZERO)
            if unit is not None:
                total += Decimal(unit) * count
            totals[o] = total - Decimal(cut)
    for o, total in totals.items():
        order = orders[o]
        orders[o] = (*order[:10], str(total if total else abs(total)), order[11])  # no -0.00


def _cents(text: str) -> Decimal:
    """Plain money text (:data:`_MONEY`) to cents, as DuckDB's DECIMAL(14, 2) reads it."""
    value = Decimal(text).quantize(CENT)
    return value if value else abs(value)  # DuckDB has no negative zero


def _stored_time(text: str) -> str:
    """Plain ISO 8601 text (:data:`_ISO`) as a time is stored: UTC, "YYYY-MM-DD HH:MM:SS"
    with ".ffffff" only when there are microseconds; a time without an offset is UTC."""
    if len(text) == 20 and text[19] == "Z":  # the common export form, quickly
        return f"{text[:10]} {text[11:19]}"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ")


# --- The helper process ------------------------------------------------------------------------


def prepared_in_helper(
    path: Path, now: datetime, upcoming: Upcoming | None = None
) -> Generator[tuple[Chunk, Prepared | None]]:
    """Load and check ``path`` in a helper process, then yield each chunk in file order with
    its :class:`Prepared` orders, or None for a chunk the general path must take. Yields
    nothing at all when the file cannot take the lane (nothing is stored then).

    DuckDB and the Python that prepares a chunk run there, on the other core, while this
    process writes the chunk before: in a thread they would share one interpreter lock with
    the writes. The helper runs at most one chunk ahead of what this process has received
    (on PostgreSQL, of the chunk after the one being stored), so memory stays flat. Raises
    :class:`~devotion.touchpoints.reader.ReaderCrashed` when the helper fails or dies.
    On PostgreSQL ``upcoming`` shows the chunk after the one yielded last, as it arrives (see
    :class:`Planner`).
    """
    # This process owns DuckDB's spill folder: it outlives a helper that is stopped or dies.
    postgres = bulk.on_postgres()
    orders = CHUNK_ORDERS_POSTGRES if postgres else CHUNK_ORDERS
    # PostgreSQL: a thread receives chunk N+1 while this one waits for the server to store N.
    # SQLite's chunks come as a staged file, quick to receive: receiving ahead there measured
    # the same (three alternating pairs, 2026-11-27) and peaked at 945 MiB at 3M rows.
    with (
        tempfile.TemporaryDirectory(prefix="devotion-import-") as spill,
        contextlib.closing(
            helper_messages(
                columnar_child.run,
                (str(path), now, orders, spill),
                path,
                ahead=postgres,
                upcoming=upcoming if postgres else None,
            )
        ) as messages,
    ):
        for kind, payload in messages:
            if kind in ("unfit", "done"):
                return
            yield payload
            payload = None  # not held while the next chunk is received


def serve_chunks(path: str, now: datetime, chunk_orders: int, spill: str, conn: Any) -> None:
    """Body of the helper process: "unfit", or each chunk then "done"."""
    # Everything made here lives for one chunk and is freed by reference counting: see
    # reader._child.
    gc.freeze()
    gc.disable()
    try:
        source = ColumnarFile(Path(path), now=now, spill=spill)
        try:
            if not source.load():
                conn.send(("unfit", None))
                return
            for chunk in list(source.chunks(chunk_orders)):
                prepared = None
                source.check(chunk)
                if chunk.clean:
                    with contextlib.suppress(NotFast):  # None: the general path takes it
                        prepared = prepare(source, chunk)
                conn.send(("chunk", (chunk, prepared)))
                del prepared
                gc.collect(0)
            conn.send(("done", None))
        finally:
            source.close()
    except BaseException as exc:  # every failure is reported to the importing process
        conn.send(("crashed", "".join(traceback.format_exception(exc)).strip()))
    finally:
        conn.close()


class FileRows:
    """The rows of a file that passed :meth:`ColumnarFile.load` (one physical line each),
    read again as the general path reads them, for the chunks it takes. Chunks are asked for
    in file order, so one pass over the file serves them all."""

    def __init__(self, path: Path) -> None:
        self.header, self.delimiter = _first_line(path)
        self.names = [name.strip().lower() for name in self.header]
        self._file = path.open(encoding="utf-8-sig", newline="")
        self._next = 0  # the data row the file is at (0-based)
        next(self._file)  # the header

    def close(self) -> None:
        self._file.close()

    def records(self, chunk: Chunk) -> list[Record]:
        """The chunk's rows: line number, row dict and cells."""
        if chunk.first_row < self._next:
            raise ValueError("chunks must be read in file order")
        lines = itertools.islice(
            self._file, chunk.first_row - self._next, chunk.last_row + 1 - self._next
        )
        self._next = chunk.last_row + 1
        keys = self.names
        return [
            Record([n + 2], [dict(zip(keys, cells, strict=True))], [cells])
            for n, cells in enumerate(
                csv.reader(lines, delimiter=self.delimiter), start=chunk.first_row
            )
        ]


# --- Storing a clean chunk ---------------------------------------------------------------------


class NotFast(Exception):
    """This chunk needs the general path (a stored order, a repeat, a merge)."""


class WrittenMeanwhile(NotFast):
    """Someone else wrote while the chunk relied on what earlier chunks stored: the general
    path stores it (PostgreSQL; see :class:`Memory`)."""


Key = tuple[str, str, str]  # an identity: (kind, source, value)
# The identity columns the lane writes (then the model's defaults).
_IDENTITY_FIELDS = ("person_id", "kind", "source", "value", "raw_value")
# Profile fields an order fills when they are empty, in Prepared.firsts order.
FILLS = ("display_name", "country", "primary_email", "primary_phone")


@dataclass(slots=True)
class Prepared:
    """One clean chunk read from the file and worked out as far as it can be without the
    database (in the helper process, while the previous chunk is being written).

    Orders that share an identity (directly or through others) are one customer *group*: one
    person, existing or new. What the importer needs to resolve and update people is kept per
    group, so it does no work per order; the orders and lines themselves go straight from the
    helper into the database:

    - SQLite: the helper writes them into a small database file of their own (``staged``),
      which the importer attaches and copies with two ``INSERT ... SELECT`` statements —
      about twice as fast as binding each row from Python, and nothing per row to unpickle.
    - PostgreSQL: as ``COPY`` text the helper renders (:class:`CopyText`), all but each
      row's first columns (ids and person), which only the importer knows.
    """

    first_order: int  # the chunk's first order number; its orders are numbered on from there
    orders: int
    # Per group, in order of their first order:
    keys: list[tuple[Key, ...]]  # its identities, each once, in file order
    # What its orders fill in an empty profile, per FILLS field: (index of the first order
    # with a value, or -1; that value).
    firsts: list[tuple[Any, ...]]  # (index, value, index, value, ...)
    seen: list[tuple[str, str]]  # its first and last order time, as stored
    counts: list[int]
    spent: list[str | None]  # its orders' amounts added up; None when none had one
    raw_of_key: dict[Key, str]  # each identity as first written in the file (see prepare)
    staged: str = ""  # SQLite: the file with tables ``tp`` and ``line``
    copy: CopyText | None = None  # PostgreSQL
    # SQLite inside a transaction (see _read_staged), per order: (group, *_FROM_ORDER); per
    # line: (order number, product id, name, quantity, unit price, discount)
    order_rows: list[tuple[Any, ...]] | None = None
    lines: list[tuple[Any, ...]] | None = None


@dataclass(slots=True)
class CopyText:
    """A chunk's rows as COPY text, each but its first columns, which only the importer
    knows. A few long strings and lists of small numbers: sending a chunk's 200,000 rows as
    that many objects cost more to pickle and unpickle than to render (~0.4 s a chunk)."""

    order_groups: list[int]  # per order: its group
    orders: str  # per order, one line: its touchpoint's columns after id and person
    line_orders: list[int]  # per order line: its order's index in the chunk
    lines: str  # per order line, one line: its columns after the touchpoint id
    identities: str  # per identity of raw_of_key, in order: its columns after the person

    @staticmethod
    def rows(text: str) -> list[str]:
        """The lines of one of the texts (no line ends)."""
        return text.split("\n") if text else []


def prepare(source: ColumnarFile, chunk: Chunk) -> Prepared:
    """Read a clean chunk's orders and lines and work out each order's identities, which
    orders are one customer, and what each customer's orders add to a profile. Raises
    :class:`NotFast` for a chunk the general path must take (a phone that is not one, an order
    id twice). Touches no Django database."""
    rows, lines = source.read(chunk)
    ids = [row[1] for row in rows]
    if len(set(ids)) != len(ids):
        raise NotFast  # repeats: the general path counts them as duplicates
    first_order = rows[0][0]
    if rows[-1][0] - first_order != len(rows) - 1:
        raise NotFast  # orders are numbered without gaps; anything else is not understood
    phone_keys = source.phone_keys
    if len(phone_keys) > Memory.LIMIT:
        phone_keys.clear()
    for raw in {row[5] for row in rows if row[5]}:
        if raw not in phone_keys:
            phone_keys[raw] = normalize_phone(raw)
        if phone_keys[raw] is None:
            raise NotFast  # a phone that is not one: the general path rejects the row

    one: dict[Any, Any] = {}  # each repeated value (or key) as one object
    # Each order's identities, in validate_event's order: e-mail, phone, source id.
    keys_of: list[list[Key]] = []
    raw_of_key: dict[Key, str] = {}
    amounts = [row[10] for row in rows]
    for row in rows:
        keys = []
        for key, raw in (
            (("email", "", row[4] or row[3]), row[3]),
            (("phone", "", phone_keys.get(row[5])), row[5]),
            (("external", SOURCE, row[6]), row[6]),
        ):
            if raw:
                key = one.setdefault(key, key)
                keys.append(key)
                raw_of_key.setdefault(key, raw)
        keys_of.append(keys)

    groups = bulk.group_by_keys(keys_of)
    group_of = [0] * len(rows)
    prepared = Prepared(
        first_order=first_order,
        orders=len(rows),
        keys=[],
        firsts=[],
        seen=[],
        counts=[],
        spent=[],
        raw_of_key=raw_of_key,
    )
    for g, members in enumerate(groups):  # members come in file order
        keys_seen: dict[Key, None] = {}
        firsts: list[Any] = [-1, "", -1, "", -1, "", -1, ""]
        spent = None
        first_seen = last_seen = rows[members[0]][2]
        for i in members:
            group_of[i] = g
            row = rows[i]
            for key in keys_of[i]:
                keys_seen[key] = None
                kind = key[0]
                if kind == "email" and firsts[4] < 0:
                    firsts[4], firsts[5] = i, key[2]
                elif kind == "phone" and firsts[6] < 0:
                    firsts[6], firsts[7] = i, key[2]
            if firsts[0] < 0 and row[7]:
                firsts[0], firsts[1] = i, row[7]
            if firsts[2] < 0 and row[8]:
                firsts[2], firsts[3] = i, row[8]
            # The stored time text orders as the times do (one format, UTC).
            first_seen, last_seen = min(first_seen, row[2]), max(last_seen, row[2])
            if (amount := amounts[i]) is not None:
                spent = Decimal(amount) if spent is None else spent + Decimal(amount)
        prepared.keys.append(tuple(keys_seen))
        prepared.firsts.append(tuple(firsts))
        prepared.seen.append((first_seen, last_seen))
        prepared.counts.append(len(members))
        prepared.spent.append(None if spent is None else str(spent))

    if bulk.on_postgres():
        # The columns after id and person (bulk.TOUCHPOINT_FIELDS, then the defaults).
        tp_rest = _copy_text(
            bulk.Table.of(Touchpoint, *bulk.TOUCHPOINT_FIELDS).defaults(source.now)
        )
        line_rest = _copy_text(bulk.Table.of(OrderLine, *bulk.LINE_FIELDS).defaults(source.now))
        identity_rest = _copy_text(bulk.Table.of(Identity, *_IDENTITY_FIELDS).defaults(source.now))
        prepared.copy = CopyText(
            order_groups=group_of,
            orders="\n".join(
                f"\torder\t{_copy_escape(row[9])}\t\t{row[2]}+00:00\t{SOURCE}\t"
                f"{_copy_escape(row[1])}\t\t\t\t{amounts[i] or NULL}\t{_copy_escape(row[11])}"
                f"\t{NULL}\t{NULL}\t{{}}{tp_rest}"
                for i, row in enumerate(rows)
            ),
            line_orders=[line[0] - first_order for line in lines],
            lines="\n".join(
                f"\t{_copy_escape(pid)}\t{_copy_escape(name)}\t{qty}\t{price or NULL}\t{cut}"
                f"{line_rest}"
                for _, pid, name, qty, price, cut in lines
            ),
            identities="\n".join(
                f"\t{key[0]}\t{key[1]}\t{_copy_escape(key[2])}\t{_copy_escape(raw[:320])}"
                f"{identity_rest}"
                for key, raw in raw_of_key.items()
            ),
        )  # fmt: skip
    else:
        prepared.staged = str(Path(source.spill) / f"chunk-{chunk.first_row}.sqlite3")
        _stage(
            prepared.staged,
            # o, g, then _FROM_ORDER
            ((row[0], group_of[i], row[1], row[2], row[9], amounts[i], row[11])
             for i, row in enumerate(rows)),
            lines,
        )  # fmt: skip
    return prepared


NULL = "\\N"  # COPY's text format: a missing value


def _copy_escape(value: str) -> str:
    """A text value in COPY's text format. Tabs and line breaks never reach here (a row with
    one is not clean), so only the backslash needs escaping."""
    return value.replace("\\", "\\\\") if "\\" in value else value


def _copy_text(values: tuple[Any, ...]) -> str:
    """Column defaults as the tail of a COPY line: each after a tab."""
    out = []
    for value in values:
        if value is None:
            out.append(NULL)
        elif isinstance(value, bool):
            out.append("t" if value else "f")
        else:
            out.append(_copy_escape(str(value)))
    return "".join(f"\t{text}" for text in out)


def _stage(path: str, orders: Iterable[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> None:
    """Write a chunk's orders and lines into a new SQLite file for :func:`_insert_staged`.
    Columns have no declared type, so values keep the type they were written with."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to recover
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        db.execute(f"CREATE TABLE tp (o INTEGER PRIMARY KEY, g, {', '.join(_FROM_ORDER)})")
        db.executemany("INSERT INTO tp VALUES (?, ?, ?, ?, ?, ?, ?)", orders)
        db.execute(
            "CREATE TABLE line (o, product_id, product_name, quantity, unit_price, discount)"
        )
        db.executemany("INSERT INTO line VALUES (?, ?, ?, ?, ?, ?)", lines)
        db.execute("COMMIT")


class Memory:
    """What an import's earlier chunks stored: who owns each identity, and each person's
    profile as written. Good only while nobody else has written since:

    - SQLite: ``PRAGMA data_version``, read once the chunk's transaction holds the write
      lock, changes when another connection has committed.
    - PostgreSQL: transaction ids are handed out in order, so when this chunk's id is the
      previous chunk's plus two (that chunk, then the import's progress record) and no other
      transaction is running or ended since, nobody else has written. The chunk checks again
      after its writes: if another transaction ended meanwhile, a chunk that relied on what
      was remembered (and took no row locks for it) gives up (:class:`NotFast`) and the
      general path stores it.

    Anything doubtful only means looking everything up again, as the first chunk does.
    """

    # Identities remembered at most (with their people, ~100 MB); then it starts again. A
    # 3M-row import went past 1 GB for both processes together at 500,000.
    LIMIT = 300_000

    def __init__(self) -> None:
        self.owner: dict[tuple[str, str, str], int] = {}
        self.profiles: dict[int, bulk.Profile] = {}
        self._version: int | None = None  # SQLite's data_version, PostgreSQL's last chunk id
        self._xid = 0  # PostgreSQL: this chunk's transaction id
        self._alone = False  # PostgreSQL: no other transaction ran when this chunk began
        self._relied = False  # this chunk uses what is remembered
        self.planner: Planner | None = None  # PostgreSQL: works out the next chunk ahead

    def clear(self) -> None:
        """Forget everything (after the general path wrote, or a chunk failed)."""
        if self.planner is not None:
            self.planner.drop()  # it read what is forgotten now
        self.owner.clear()
        self.profiles.clear()
        self._version = None

    def check(self) -> bool:
        """First thing in the chunk's transaction: whether what is remembered is still so."""
        if bulk.on_postgres():
            (xid, others), *_ = bulk.pg_rows(_PG_XID, [])
            self._xid, self._alone = xid, not others
            still = self._alone and self._version is not None and xid == self._version + 2
        else:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA data_version")  # changes when another connection commits
                (version,) = cursor.fetchone()
            still = version == self._version
            self._version = version
        if not still:
            self.owner.clear()
            self.profiles.clear()
        self._relied = bool(self.owner)
        return self._relied

    def finish(self) -> bool:
        """Last thing before the chunk commits: whether what it stored may be remembered.
        Raises :class:`NotFast` when the chunk relied on memory and someone else wrote."""
        if not bulk.on_postgres():
            return True
        (xmax, others), *_ = bulk.pg_rows(_PG_ENDED, [])
        alone = self._alone and xmax == self._xid and not others
        if self._relied and not alone:
            raise WrittenMeanwhile
        return alone

    def remember(
        self, owner: dict[tuple[str, str, str], int], profiles: dict[int, bulk.Profile]
    ) -> None:
        if self.planner is not None:
            self.planner.settle()  # it reads ``owner``
        if bulk.on_postgres():
            self._version = self._xid
        self.owner.update(owner)
        self.profiles.update(profiles)
        if len(self.owner) > self.LIMIT:
            self.clear()


# This transaction's id (handing it one now), and whether any other is running.
_PG_XID = (
    "SELECT txid_current(), EXISTS (SELECT FROM pg_snapshot_xip(pg_current_snapshot()) AS x "
    "WHERE x::text::bigint <> txid_current())"
)
# The id after the last ended transaction (this one's own if none ended since it began), and
# whether any other is running.
_PG_ENDED = (
    "SELECT pg_snapshot_xmax(s)::text::bigint, EXISTS (SELECT FROM pg_snapshot_xip(s) AS x "
    "WHERE x::text::bigint <> txid_current()) FROM pg_current_snapshot() AS s"
)


class Planner:
    """PostgreSQL: works out who the next chunk's customers are (:func:`_resolve`: its
    identity look-ups, each customer's person, the new people's profiles and their COPY
    text) in a thread while the importer stores the chunk before, which otherwise left the
    server idle while the importer did it, and the importer idle while the server stored.

    The thread looks identities up on a connection of its own, outside the importer's
    transaction: what it finds is what others committed, and what the chunk being stored
    adds comes from the importer (``recent``). The importer uses the result only when
    :meth:`Memory.check` shows that nobody else has written since that chunk began, which
    is exactly when those look-ups still hold; otherwise it works the chunk out again
    itself. The thread draws no ids (drawing one gives a connection a transaction id, which
    that check would count as someone else writing): new people are numbered until the
    importer draws them."""

    def __init__(self, upcoming: Upcoming, now: datetime) -> None:
        self._upcoming = upcoming
        self._now = now
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="import-planner")
        self._plan: Future[Resolved | None] | None = None

    def start(self, known: dict[Key, int], recent: dict[Key, int]) -> None:
        """Begin on the chunk after the one being stored. ``known`` is read, never changed,
        until :meth:`settle`."""
        self.drop()
        message = self._upcoming.next_message()
        if message is not None:
            self._plan = self._pool.submit(self._work, message, known, recent)

    def _work(
        self, message: Future[tuple[str, Any]], known: dict[Key, int], recent: dict[Key, int]
    ) -> Resolved | None:
        kind, payload = message.result()
        if kind != "chunk" or payload[1] is None or payload[1].copy is None:
            return None
        try:
            resolved = _resolve(payload[1], known, recent)
        except NotFast:
            return None  # the importer finds that out again itself
        resolved.people_text = _people_tails(resolved.profiles, self._now)
        return resolved

    def take(self, chunk: Prepared) -> Resolved | None:
        """What was worked out for ``chunk`` (waiting for it), or None."""
        plan, self._plan = self._plan, None
        if plan is None:
            return None
        try:
            resolved = plan.result()
        except Exception:  # e.g. the helper died: the importer hears of it itself
            return None
        return resolved if resolved is not None and resolved.prepared is chunk else None

    def settle(self) -> None:
        """Wait until the thread no longer reads what it was given (before memory changes)."""
        if self._plan is not None:
            concurrent.futures.wait([self._plan])

    def drop(self) -> None:
        self.settle()
        self._plan = None

    def close(self) -> None:
        self.drop()
        # The thread's own connection (looked up there: ``connection`` is per thread).
        self._pool.submit(lambda: connection.close()).result()
        self._pool.shutdown()


def store_prepared(chunk: Prepared, now: datetime, memory: Memory | None = None) -> int:
    """Store one prepared chunk in one transaction; returns the orders stored. ``memory``
    carries what earlier chunks of the same import stored.

    Raises :class:`NotFast` (having stored nothing) when the chunk needs the general path.
    """
    memory = memory or Memory()
    if chunk.staged and connection.in_atomic_block:
        _read_staged(chunk)  # SQLite cannot attach a file inside a transaction
    try:
        with _attached(chunk.staged), transaction.atomic():
            stored, owner, profiles = _store(chunk, now, memory)
            keep = memory.finish()
    except IntegrityError:
        # An order of the chunk is stored already (a re-import), or a concurrent writer
        # stored one of its customers first. Nothing was kept; the general path sorts it out.
        memory.clear()
        raise NotFast from None
    except BaseException:
        memory.clear()  # remembered profiles may have been changed for nothing
        raise
    if keep:
        memory.remember(owner, profiles)
    else:
        memory.clear()
    return stored


@contextlib.contextmanager
def _attached(path: str) -> Iterator[None]:
    """SQLite: the chunk's staged file as schema ``staged`` (outside any transaction, as
    SQLite requires); the file is removed afterwards."""
    if not path:
        yield
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("ATTACH DATABASE %s AS staged", [path])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DETACH DATABASE staged")
    finally:
        Path(path).unlink(missing_ok=True)


def _read_staged(chunk: Prepared) -> None:
    """Turn a staged chunk into one of rows, for :func:`_insert_rows` (slower: each row is
    bound from Python). For an import run inside the caller's transaction."""
    with contextlib.closing(sqlite3.connect(chunk.staged)) as db:
        chunk.order_rows = db.execute(
            f"SELECT g, {', '.join(_FROM_ORDER)} FROM tp ORDER BY o"
        ).fetchall()
        chunk.lines = db.execute("SELECT * FROM line ORDER BY rowid").fetchall()
    Path(chunk.staged).unlink()
    chunk.staged = ""


def _store(
    chunk: Prepared, now: datetime, memory: Memory
) -> tuple[int, dict[Key, int], dict[int, bulk.Profile]]:
    raw_of_key = chunk.raw_of_key

    # 1. Who owns the identities; a group is one person, new or existing. Worked out ahead
    #    while the chunk before was stored (see Planner) when memory is still good, else here.
    known = memory.owner if memory.check() else {}
    resolved = memory.planner.take(chunk) if memory.planner else None
    if resolved is None or not known:
        resolved = _resolve(chunk, known, {})
    found, person_of, new_groups = resolved.found, resolved.person_of, resolved.new_groups
    new_people, tp_ids = bulk.new_id_pairs(len(new_groups), chunk.orders)
    new_owner = resolved.numbered(new_people)
    created = set(new_people)
    recent = found | new_owner  # what memory will hold besides what it holds now
    if memory.planner:
        memory.planner.start(known, recent)  # the next chunk, while this one is stored
    # 2. Profiles: the first name, country, e-mail and phone in file order fill empty
    #    fields (a person may have several groups: the earliest order wins); every order
    #    counts. New people's profiles are written first; existing people's are worked out
    #    while the server stores the chunk's orders (see _copy's ``meanwhile``).
    profiles = {profile.pk: profile for profile in resolved.profiles}
    existing = set(person_of) - created
    remembered = memory.profiles if known else {}
    for pk in existing & remembered.keys():
        profile = profiles[pk] = remembered[pk]
        profile.changed = profile.counted = False
    loaded = bulk.load_people(existing - remembered.keys())
    profiles.update(loaded)
    updates: list[Callable[[], None]] = []

    def count_existing() -> None:
        old_groups = [g for g, pk in enumerate(person_of) if pk not in created]
        _add_groups(chunk, old_groups, person_of, profiles)

    def make_updates() -> None:
        touched = [profiles[pk] for pk in sorted(existing)]  # locked in id order
        changed = [p for p in touched if p.changed]
        updates.append(bulk.people_update(changed, now, counts_only=False))
        counted = [p for p in touched if not p.changed]
        updates.append(bulk.people_update(counted, now, counts_only=True))

    # 3. Write: people, identities, touchpoints (an order stored already fails the unique
    #    key here, see store_prepared), lines, then the people who were there. On PostgreSQL
    #    the server lags behind each COPY: the next COPY's text and the people updates are
    #    worked out while it catches up (see _copy's ``meanwhile``), so the two overlap.
    new_profiles = resolved.profiles
    identity_table = bulk.Table.of(Identity, *_IDENTITY_FIELDS)
    if chunk.copy is not None:
        copy = chunk.copy
        identity_lines: list[str] = []
        order_lines: list[str] = []
        line_lines: list[str] = []

        def render_identities() -> None:
            # psycopg's write_row took ~4 s of this process for 1M rows' identities.
            texts = CopyText.rows(copy.identities)
            for key, text in zip(raw_of_key, texts, strict=True):
                if pk := new_owner.get(key):
                    identity_lines.append(f"{pk}{text}\n")

        def render_orders_and_count() -> None:
            people = map(person_of.__getitem__, copy.order_groups)
            order_lines.extend(map("{}\t{}{}\n".format, tp_ids, people, CopyText.rows(copy.orders)))
            count_existing()

        def render_lines_and_updates() -> None:
            line_orders = map(tp_ids.__getitem__, copy.line_orders)
            line_lines.extend(map("{}{}\n".format, line_orders, CopyText.rows(copy.lines)))
            make_updates()

        # Each COPY's ``meanwhile`` prepares the next statements; sized so that each roughly
        # fits the time the server still needs (py-spy, 1M rows).
        _copy_people(new_profiles, now, render_identities, resolved.people_text)
        _copy(identity_table, identity_lines, meanwhile=render_orders_and_count)
        touchpoint_table = bulk.Table.of(Touchpoint, *bulk.TOUCHPOINT_FIELDS)
        _copy(touchpoint_table, order_lines, meanwhile=render_lines_and_updates)
        _copy(bulk.Table.of(OrderLine, *bulk.LINE_FIELDS), line_lines)
    else:
        # People and identities are written from here: staging them in the helper was 5%
        # slower, and the helper is the busier process on SQLite (12th set).
        bulk.insert_people(new_profiles, now)
        rest = identity_table.defaults(now)
        identity_table.insert(
            [(pk, *key, raw_of_key[key][:320], *rest) for key, pk in new_owner.items()]
        )
        if chunk.staged:
            _insert_staged(chunk, person_of, tp_ids, now)
        else:
            _insert_rows(chunk, person_of, tp_ids, now)
        count_existing()
        make_updates()
    for update in updates:
        update()
    # What memory did not hold: the identities looked up or added, the people loaded or added.
    return chunk.orders, recent, {pk: profiles[pk] for pk in (*new_people, *loaded)}


@dataclass(slots=True)
class Resolved:
    """Who a chunk's customers are (step 1 of :func:`_store`), worked out before its writes.
    New people are numbered -1, -2, ... (in the order of ``new_groups``) until ids are
    drawn for them (:meth:`numbered`); existing ones have their ids."""

    prepared: Prepared
    found: dict[Key, int]  # the identities looked up: their person
    person_of: list[int]  # per group: its person
    new_groups: list[int]  # the groups that are new people
    new_owner: dict[Key, int]  # each new identity: its person
    profiles: list[bulk.Profile]  # the new people's, in order of new_groups
    people_text: list[str] | None = None  # PostgreSQL: their COPY lines after the id

    def numbered(self, ids: Sequence[int]) -> dict[Key, int]:
        """Give the new people their ids; returns ``new_owner`` with them."""
        person_of = self.person_of
        for pk, g, profile in zip(ids, self.new_groups, self.profiles, strict=True):
            person_of[g] = profile.pk = pk
        # A new identity may belong to an existing person (a new phone of a known e-mail).
        self.new_owner = {key: ids[-1 - pk] if pk < 0 else pk for key, pk in self.new_owner.items()}
        return self.new_owner


def _resolve(chunk: Prepared, known: dict[Key, int], recent: dict[Key, int]) -> Resolved:
    """Step 1 of :func:`_store`: look up the identities neither ``known`` (memory) nor
    ``recent`` (what the chunk being stored adds to it) holds, and find each group's person,
    and the new people's profiles. Raises :class:`NotFast` for a group that names two
    people. Touches the database only to look up (on the calling thread's connection)."""
    raw_of_key = chunk.raw_of_key
    # Only keys nobody remembers are looked up (in file order), and read through the dicts
    # rather than copied into one; memory is then told only what it did not hold.
    if known or recent:
        missing = [k for k in raw_of_key if k not in known and k not in recent]
    else:
        missing = list(raw_of_key)
    found = bulk.lookup_identities(missing)
    known_get, recent_get, found_get = known.get, recent.get, found.get
    person_of: list[int] = []  # per group
    new_groups: list[int] = []
    for g, keys in enumerate(chunk.keys):
        owners = {o for k in keys if (o := known_get(k) or recent_get(k) or found_get(k))}
        if len(owners) > 1:
            raise NotFast  # one customer links two people: a merge, done carefully elsewhere
        if owners:
            person_of.append(owners.pop())
        else:
            new_groups.append(g)
            person_of.append(-len(new_groups))
    new_owner = {
        key: person_of[g]
        for g, keys in enumerate(chunk.keys)
        for key in keys
        if key not in known and key not in recent and key not in found
    }
    profiles = {-1 - n: bulk.Profile(-1 - n) for n in range(len(new_groups))}
    _add_groups(chunk, new_groups, person_of, profiles)
    return Resolved(chunk, found, person_of, new_groups, new_owner, list(profiles.values()))


def _add_groups(
    chunk: Prepared, groups: list[int], person_of: list[int], profiles: dict[int, bulk.Profile]
) -> None:
    """Add these groups' orders to their people's profiles (see _store, step 2)."""
    fills: dict[tuple[int, int], tuple[int, str]] = {}
    for g in groups:
        pk = person_of[g]
        profile = profiles[pk]
        firsts = chunk.firsts[g]
        for f in range(len(FILLS)):
            at = firsts[2 * f]
            if at >= 0 and at < fills.get((pk, f), (chunk.orders,))[0]:
                fills[pk, f] = (at, firsts[2 * f + 1])
        first_seen, last_seen = chunk.seen[g]
        when = _when(last_seen)
        if profile.last_activity_at is None or when > profile.last_activity_at:
            profile.last_activity_at = when
        when = _when(first_seen)
        if profile.first_seen_at is None or when < profile.first_seen_at:
            profile.first_seen_at = when
        profile.order_count += chunk.counts[g]
        if (spent := chunk.spent[g]) is not None:
            profile.total_spent += Decimal(spent)
        profile.counted = True
    for (pk, f), (_, value) in fills.items():
        profile = profiles[pk]
        if not getattr(profile, FILLS[f]):
            setattr(profile, FILLS[f], value)
            profile.changed = True
    for pk in {person_of[g] for g in groups}:
        profile = profiles[pk]
        profile.stage = stage_for_order_count(profile.order_count, profile.stage)


# The order touchpoint's columns that come from the order (the staged ``tp`` table's, after
# ``o`` and ``g``), and the others besides id and person.
_FROM_ORDER = ("external_id", "occurred_at", "channel", "amount", "currency")
_ORDER_CONSTANTS = {
    "kind": "order", "direction": "", "source": SOURCE, "thread": "", "subject": "", "text": "",
    "rating": None, "staff_id": None, "extra": "{}",
}  # fmt: skip


def _insert_staged(
    chunk: Prepared, person_of: list[int], tp_ids: Sequence[int], now: datetime
) -> None:
    """SQLite: copy the staged orders and lines in, each order with its group's person."""
    first_id = tp_ids[0]
    if tp_ids[-1] - first_id != len(tp_ids) - 1:
        raise NotFast  # SQLite hands out a run of ids (the write lock is held): never here
    tp_table = bulk.Table.of(Touchpoint, *bulk.TOUCHPOINT_FIELDS)
    line_table = bulk.Table.of(OrderLine, *bulk.LINE_FIELDS)
    values: list[str] = ["%s + t.o", "m.person_id"]
    params: list[Any] = [first_id - chunk.first_order]
    for name in bulk.TOUCHPOINT_FIELDS[2:]:
        if name in _FROM_ORDER:
            values.append(f"t.{name}")
        else:
            values.append("%s")
            params.append(_ORDER_CONSTANTS[name])
    rest = tp_table.defaults(now)
    values += ["%s"] * len(rest)
    line_rest = line_table.defaults(now)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_group "
            "(g INTEGER PRIMARY KEY, person_id INTEGER NOT NULL)"
        )
        cursor.execute("DELETE FROM temp.import_group")
        cursor.executemany(
            "INSERT INTO temp.import_group VALUES (%s, %s)", list(enumerate(person_of))
        )
        cursor.execute(
            f"INSERT INTO {tp_table.name} ({tp_table.columns}) SELECT {', '.join(values)} "
            "FROM staged.tp AS t JOIN temp.import_group AS m ON m.g = t.g ORDER BY t.o",
            [*params, *rest],
        )
        cursor.execute(
            f"INSERT INTO {line_table.name} ({line_table.columns}) "
            f"SELECT %s + l.o, l.product_id, l.product_name, l.quantity, l.unit_price, "
            f"l.discount{', %s' * len(line_rest)} FROM staged.line AS l ORDER BY l.rowid",
            [first_id - chunk.first_order, *line_rest],
        )


def _copy_people(
    profiles: list[bulk.Profile],
    now: datetime,
    meanwhile: Callable[[], None] | None = None,
    tails: list[str] | None = None,
) -> None:
    """PostgreSQL: new people as COPY text, as bulk.insert_people writes them. psycopg's
    write_row took 2.3 s of this process's CPU for 115,000 people (2.9-3.4 s in all), this
    1.3 s (2.2-2.7 s). ``tails``: their lines after the id, rendered ahead (see Planner)."""
    table = bulk.Table.of(Person, "id", *bulk.Profile.ROW)
    if tails is None:
        tails = _people_tails(profiles, now)
    _copy(table, map("{}{}".format, (p.pk for p in profiles), tails), meanwhile)


def _people_tails(profiles: list[bulk.Profile], now: datetime) -> list[str]:
    """New people's COPY lines after the id. Their text comes from clean rows: no tabs or
    line breaks, only backslashes to escape."""
    rest = _copy_text(bulk.Table.of(Person, "id", *bulk.Profile.ROW).defaults(now))
    lines = []
    for p in profiles:
        name_key, name_key_rev = Person.name_keys(p.display_name)
        lines.append(
            f"\t{_copy_escape(p.display_name)}\t{_copy_escape(name_key)}\t"
            f"{_copy_escape(name_key_rev)}\t{_copy_escape(p.primary_email)}\t"
            f"{_copy_escape(p.primary_phone)}\t{_copy_escape(p.country)}\t"
            f"{_copy_bool(p.consent_email)}\t{_copy_bool(p.consent_sms)}\t"
            f"{_copy_bool(p.consent_profiling)}\t{_copy_time(p.first_seen_at)}\t"
            f"{_copy_time(p.last_activity_at)}\t{p.order_count}\t{p.total_spent}\t"
            f"{p.stage}\t{_copy_time(p.consent_email_at)}\t{_copy_escape(p.consent_email_source)}"
            f"\t{_copy_time(p.consent_sms_at)}\t{_copy_escape(p.consent_sms_source)}"
            f"\t{_copy_time(p.consent_profiling_at)}\t{_copy_escape(p.consent_profiling_source)}"
            f"{rest}\n"
        )
    return lines


def _copy_bool(value: bool | None) -> str:
    return NULL if value is None else ("t" if value else "f")


def _copy_time(value: datetime | None) -> str:
    return NULL if value is None else value.isoformat(sep=" ")


def _copy(
    table: bulk.Table, rows: Iterable[str], meanwhile: Callable[[], None] | None = None
) -> None:
    """PostgreSQL: rows (each a line of COPY text) into ``table`` (its columns in order).
    They are sent a few thousand at a time, as they are made: the server stores each batch
    while the next one is rendered here (rendering all of them first, 115,000 people took
    2.9-3.7 s instead of 2.2-2.7).

    The server lags behind: when the last batch is sent, megabytes of them still wait in the
    socket's buffers. ``meanwhile`` (work that needs no database) runs then, before waiting
    for the server to finish, so the two overlap."""
    sql = f"COPY {table.name} ({table.columns}) FROM STDIN"
    rows = iter(rows)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        while batch := "".join(itertools.islice(rows, COPY_BATCH)):
            copy.write(batch)
        if meanwhile is not None:
            meanwhile()


COPY_BATCH = 5_000  # rows per write


def _insert_rows(
    chunk: Prepared, person_of: list[int], tp_ids: Sequence[int], now: datetime
) -> None:
    """SQLite: the orders and lines as rows (see _read_staged)."""
    assert chunk.order_rows is not None and chunk.lines is not None
    tp_table = bulk.Table.of(Touchpoint, *bulk.TOUCHPOINT_FIELDS)
    tp_rest = tp_table.defaults(now)
    rows = []
    for i, (g, *from_order) in enumerate(chunk.order_rows):
        order = dict(zip(_FROM_ORDER, from_order, strict=True))
        values = [
            order[name] if name in order else _ORDER_CONSTANTS[name]
            for name in bulk.TOUCHPOINT_FIELDS[2:]
        ]
        rows.append((tp_ids[i], person_of[g], *values, *tp_rest))
    tp_table.insert(rows)
    line_table = bulk.Table.of(OrderLine, *bulk.LINE_FIELDS)
    line_rest = line_table.defaults(now)
    base = chunk.first_order
    line_table.insert([(tp_ids[o - base], *line, *line_rest) for o, *line in chunk.lines])


def _when(text: str) -> datetime:
    """A stored time (UTC text) as an aware datetime; parsing the offset is cheaper than
    replacing the naive result's zone."""
    return datetime.fromisoformat(text + "+00:00")


__all__ = [
    "COLUMNS",
    "Chunk",
    "ColumnarFile",
    "CopyText",
    "FileRows",
    "Memory",
    "NotFast",
    "Planner",
    "Prepared",
    "WrittenMeanwhile",
    "eligible",
    "prepare",
    "prepared_in_helper",
    "serve_chunks",
    "store_prepared",
]
