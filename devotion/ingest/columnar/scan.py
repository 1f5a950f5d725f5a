"""SCAN"""

# Column names in the SQL below are our own constants; every value from the file is data.
# ruff: noqa: S608

from __future__ import annotations

import csv
import itertools
import operator
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from devotion.ingest.detect import delimiter_of
from devotion.ingest.events import CENT, FUTURE_SLACK, MIN_DATE, ZERO
from devotion.ingest.lines import cr_line_ends
from devotion.lib.money import decimals
from devotion.lib.normalize import EMAIL_PATTERN_ASCII
from devotion.touchpoints.kinds import CHANNEL_NAMES, PLATFORM_CHANNELS
from devotion.touchpoints.signals import details_wanted

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

# Python whitespace other than the space: Python's strip() removes it, DuckDB's trim() does
# not; and the control characters validate_event rejects (C0 but tab and line ends, DEL, C1).
# A row with any of them is not plain: the general path trims, keeps or rejects it.
_ODD_SPACE = (
    r"[\x00-\x1f\x7f-\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
# What Python's str.strip() removes (DuckDB's trim() removes only spaces unless told).
_PYTHON_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
# The same, as UTF-8 bytes in a file (a carriage return is checked apart, see _scan), and the
# bytes that start them: a block with none of those has none of them.
_ODD_SPACE_UTF8 = re.compile(
    rb"[\x00-\x09\x0b-\x0c\x0e-\x1f\x7f]|\xc2[\x80-\xa0]|\xe1\x9a\x80"
    rb"|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80"
)
_ODD_SPACE_BYTES = [
    bytes([b]) for b in (*range(0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xC2, 0xE1, 0xE2, 0xE3)
]
# Dates both Python's fromisoformat and DuckDB read the same way. DuckDB also takes hour 24 and
# offsets of +24:00, which Python rejects: those (and years outside 1900-2999) go the general way.
_ISO = (
    r"(19|2\d)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?"
)
_MONEY = r"-?\d{1,12}(\.\d{1,2})?"
_LINES_TOTAL_MAX = 0.99e12  # an order's lines add up to less than an amount can hold
_ASCII = r"[\x20-\x7e]*"
# validate_event's own pattern (lib/normalize.py) for the ASCII addresses the lane takes.
_EMAIL = EMAIL_PATTERN_ASCII.replace("'", "''")
# Every way a channel may be written (lower-cased), as SQL; CHANNEL_NAMES says what each is.
# A platform's name ("instagram" for social) is kept in extra by validate_event, which the
# lane does not write: such rows take the general path.
_CHANNELS = ", ".join(
    "'" + name.replace("'", "''") + "'"
    for name, channel in CHANNEL_NAMES.items()
    if name == channel or channel not in PLATFORM_CHANNELS
)


def _cent_currencies() -> str:
    """The ISO 4217 currencies with cents (at least two decimals), as SQL: orders in others
    (JPY, or a code that is none) go the general way, which checks their amounts' decimals
    or rejects the code."""
    from babel.numbers import list_currencies

    return ", ".join(f"'{code}'" for code in sorted(list_currencies()) if decimals(code) >= 2)


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
    # The lane counts and reads lines at LF: a file with classic Mac line ends (CR alone)
    # goes the general way, which splits it at its CRs. (An LF inside a quoted cell once made
    # such a file's line count match DuckDB's rows, and the lane read it shifted.) A header
    # line ends within its columns' names: no LF there, no lane.
    with path.open("rb") as file:
        first = file.readline(64 * 1024)
    if not first.endswith(b"\n") or cr_line_ends(first):
        return False
    # The lane announces each chunk's orders as a run of ids: where a listener wants to hear
    # of each new person or touchpoint (a webhook subscriber), the general path imports it.
    return not details_wanted()


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
        # The importer's devotion.people.spend.Rates (see prepare); None: the settings'.
        self.rates: Any = None

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
        everything = " || ' ' || ".join(col.values())
        plain = f"NOT regexp_matches({everything}, '{_ODD_SPACE}')" if odd_space else "TRUE"
        # Whether a cell has spaces around it: chunks without any are read without trimming.
        # Comparing every cell with its trimmed self cost half of the per-chunk checks; the
        # scan finds most files have no such cell at all.
        if spaced:
            spaced_sql = " OR ".join(f"{col[name]} <> {trimmed[name]}" for name in self.names)
        else:
            spaced_sql = "FALSE"
        limit = (self.now + FUTURE_SLACK).replace(tzinfo=None)
        earliest = MIN_DATE.replace(tzinfo=None)
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
                   AND occurred >= TIMESTAMP '{earliest:%Y-%m-%d %H:%M:%S}'
                   AND (email = '' OR (regexp_full_match(email, '{_ASCII}')
                        AND strlen(email) <= 254 AND strpos(email, '@') <= 65
                        AND regexp_full_match(email_key, '{_EMAIL}')))
                   AND strlen(phone) <= 64
                   AND strlen(customer_id) <= 200
                   AND (email <> '' OR phone <> '' OR customer_id <> '')
                   AND strlen(name) <= 300 AND strlen(first_name) <= 150
                   AND strlen(last_name) <= 150
                   AND regexp_full_match(country, '{_ASCII}') AND strlen(country) <= 2
                   AND (channel = '' OR (regexp_full_match(channel, '{_ASCII}')
                        AND lower(channel) IN ({_CHANNELS})))
                   AND regexp_full_match(currency, '{_ASCII}') AND strlen(currency) <= 3
                   AND (currency = '' OR upper(currency) IN ({_cent_currencies()}))
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
        # A new order starts where the order id changes (or is empty), compared as the
        # general path groups rows: stripped of all that Python calls whitespace (" -2" and
        # "\r-2" are one order there; a chunk must not end between them).
        self.db.execute(
            f"""
            CREATE TABLE rows AS
            SELECT n, sum(CASE WHEN order_id <> '' AND order_id = previous_id
                               THEN 0 ELSE 1 END) OVER (ORDER BY n) AS o
            FROM (SELECT n, order_id, lag(order_id) OVER (ORDER BY n) AS previous_id
                  FROM (SELECT n, trim(external_id, '{_PYTHON_SPACE}') AS order_id FROM typed))
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
        if chunk.clean:
            # validate_event rejects an order whose lines add up beyond what an amount can
            # hold: a chunk with an order anywhere near that goes the general way.
            biggest = self.db.execute(
                """
                SELECT coalesce(max(total), 0) FROM (
                    SELECT sum(coalesce(qty, 1) * abs(coalesce(try_cast(unit_price AS DOUBLE), 0))
                               + abs(coalesce(try_cast(discount AS DOUBLE), 0))) AS total
                    FROM typed JOIN rows USING (n) WHERE n BETWEEN ? AND ? GROUP BY o)
                """,
                [chunk.first_row, chunk.last_row],
            ).fetchone()
            chunk.clean = biggest is not None and biggest[0] < _LINES_TOTAL_MAX

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
                     country.upper(), CHANNEL_NAMES[channel.lower()] if channel else "",
                     amount or None, cur.upper())
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
            # Lines end at LF only, as _scan counted them (see helper.FileRows).
            self._file = self.path.open(encoding="utf-8-sig", newline="\n")
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
