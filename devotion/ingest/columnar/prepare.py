"""PREPARE"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from devotion.ingest import bulk
from devotion.ingest.columnar.scan import SOURCE, Chunk, ColumnarFile
from devotion.lib.normalize import normalize_phone
from devotion.people.models import Identity
from devotion.people.spend import Rates
from devotion.touchpoints.models import OrderLine, Touchpoint


class NotFast(Exception):
    """This chunk needs the general path (a stored order, a repeat, a merge)."""


class WrittenMeanwhile(NotFast):
    """Someone else wrote while the chunk relied on what earlier chunks stored: the general
    path stores it (PostgreSQL; see :class:`Memory`)."""


# The order touchpoint's columns that come from the order (the staged ``tp`` table's, after
# ``o`` and ``g``).
_FROM_ORDER = ("external_id", "occurred_at", "channel", "amount", "currency")
# An order's value when its currency has no rate (see prepare).
_NO_RATE = Decimal(-1)
# Identities remembered between chunks at most (see store.Memory).
MEMORY_LIMIT = 300_000

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
    # Its orders' amounts in the reporting currency added up (devotion.people.spend); None
    # when none had one.
    spent: list[str | None]
    # Whether it has an order in a currency without a rate (left out of ``spent``).
    incomplete: list[bool]
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
    if len(phone_keys) > MEMORY_LIMIT:
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

    # Spend in the reporting currency, per order (as the general path counts it): orders in
    # it or in none count as written, others converted with the importer's rates, and an
    # order whose currency has no rate counts nothing and marks its group (see Prepared).
    rates = source.rates or Rates.current()
    home = ("", rates.reporting)
    values: list[Decimal | None] = [
        None if amount is None else Decimal(amount) if row[11] in home else (
            rates.value(Decimal(amount), row[11]) if row[11] in rates.rates else _NO_RATE
        )
        for row, amount in zip(rows, amounts, strict=True)
    ]  # fmt: skip

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
        incomplete=[],
        raw_of_key=raw_of_key,
    )
    for g, members in enumerate(groups):  # members come in file order
        keys_seen: dict[Key, None] = {}
        firsts: list[Any] = [-1, "", -1, "", -1, "", -1, ""]
        spent = None
        incomplete = False
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
            if (value := values[i]) is _NO_RATE:
                incomplete = True
            elif value is not None:
                spent = value if spent is None else spent + value
        prepared.keys.append(tuple(keys_seen))
        prepared.firsts.append(tuple(firsts))
        prepared.seen.append((first_seen, last_seen))
        prepared.counts.append(len(members))
        prepared.spent.append(None if spent is None else str(spent))
        prepared.incomplete.append(incomplete)

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
