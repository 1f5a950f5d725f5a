"""Database plumbing for bulk writes: which database, values as its driver wants them, tables
and their id sequences, PostgreSQL round trips (pipelines, asynchronous commits), SQLite
checkpoints, and ``IN`` look-ups in chunks."""

# Table and column names in the SQL below come from model metadata, never from input; every
# value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils.dateparse import parse_datetime

from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint

CHUNK = 900  # values per IN (...) list: under SQLite's oldest bound-parameter limit


ZERO = Decimal(0)


CENT = Decimal("0.01")


@cache
def on_postgres() -> bool:
    # The backend never changes within a process; asking the connection proxy each time costs.
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def db_datetime(value: datetime | None) -> Any:
    """A datetime as the driver wants it: aware on PostgreSQL, naive UTC text on SQLite
    (exactly what the ORM writes, so ordering and range filters keep working)."""
    if value is None or on_postgres():
        return value
    if value.tzinfo is UTC:  # the common case: cut "+00:00" rather than copy the datetime
        return value.isoformat(" ")[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def from_db_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def from_db_decimal(value: Any) -> Decimal:
    # SQLite keeps decimals with numeric affinity: they come back as int or float.
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value or 0)).quantize(CENT)


class Table:
    """Insert rows into one model's table: the caller gives values for ``fields`` (in that
    order) and every other column gets its model default, so a column added later still gets
    a value. Rows are plain tuples: ``(*values, *defaults)``."""

    _cache: dict[tuple[type[models.Model], tuple[str, ...]], Table] = {}
    SMALL = 50  # events: up to this many, PostgreSQL gets the writes in one pipeline

    def __init__(self, model: type[models.Model], fields: tuple[str, ...]) -> None:
        self.name = model._meta.db_table
        by_name = {f.attname: f for f in model._meta.concrete_fields}
        rest = [f for f in model._meta.concrete_fields if f.attname not in fields]
        self.columns = ", ".join(str(by_name[name].column) for name in fields) + "".join(
            f", {f.column}" for f in rest if not f.primary_key
        )
        self.marks = ", ".join(["%s"] * (len(fields) + sum(not f.primary_key for f in rest)))
        self._defaults: list[Any] = []
        self._now_positions = []
        for f in rest:
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self._now_positions.append(len(self._defaults))
            default = f.get_default()
            if isinstance(f, models.JSONField) and default is not None:
                default = json.dumps(default)
            self._defaults.append(default)

    @classmethod
    def of(cls, model: type[models.Model], *fields: str) -> Table:
        key = (model, fields)
        if key not in cls._cache:
            cls._cache[key] = cls(model, fields)
        return cls._cache[key]

    def defaults(self, now: datetime) -> tuple[Any, ...]:
        """The values of the other columns, with the auto-now ones set to ``now``."""
        values = list(self._defaults)
        for i in self._now_positions:
            values[i] = db_datetime(now)
        return tuple(values)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if on_postgres() and connection.connection.pgconn.pipeline_status:
            # Inside pg_pipelined (a small batch): plain INSERTs ride the pipeline.
            import psycopg

            sql = f"INSERT INTO {self.name} ({self.columns}) VALUES ({self.marks})"
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
                cur.executemany(sql, rows)
            return
        with connection.cursor() as cursor:
            if on_postgres():
                # COPY is PostgreSQL's fast path for many rows; errors still map to Django's.
                sql = f"COPY {self.name} ({self.columns}) FROM STDIN"
                with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                sql = f"INSERT INTO {self.name} ({self.columns}) VALUES ({self.marks})"
                cursor.executemany(sql, rows)


# The next value of a table's id sequence. The sequence is looked up once per statement (an
# uncorrelated subquery): called per row, pg_get_serial_sequence cost 2.4 s of the server's
# time for 600,000 ids, five times what the ids themselves cost. The cast to regclass is
# inside the subquery for the same reason: outside, the name was looked up again per row.
_NEXT_ID = "nextval((SELECT pg_get_serial_sequence(%s, 'id')::regclass))"


def new_ids(model: type[models.Model], count: int) -> Sequence[int]:
    """Reserve ``count`` fresh primary keys in ascending order, never reusing one (an erased
    person's id stays retired, as with the ORM): a ``range`` when they are consecutive, as
    they are unless another writer took ids at the same moment."""
    if count == 0:
        return []
    table = model._meta.db_table
    if on_postgres():
        (_, first, ids), *_ = pg_rows(_pg_new_ids(1), [table, count])
        return range(first, first + count) if ids is None else ids
    with connection.cursor() as cursor:
        # SQLite: the batch holds the write lock (BEGIN IMMEDIATE), so nobody else can take
        # these ids before we insert them; sqlite_sequence remembers ids of deleted rows.
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0))",
            [table],
        )
        start = cursor.fetchone()[0] + 1
    return range(start, start + count)


def new_id_pairs(people: int, touchpoints: int) -> tuple[Sequence[int], Sequence[int]]:
    """Fresh ids for ``people`` people and ``touchpoints`` touchpoints, as :func:`new_ids`
    (one query on PostgreSQL)."""
    if not on_postgres() or not (people and touchpoints):
        return new_ids(Person, people), new_ids(Touchpoint, touchpoints)
    rows = pg_rows(
        _pg_new_ids(2),
        [Person._meta.db_table, people, Touchpoint._meta.db_table, touchpoints],
    )
    (_, first_person, person_ids), (_, first_tp, tp_ids) = sorted(rows)
    return (
        range(first_person, first_person + people) if person_ids is None else person_ids,
        range(first_tp, first_tp + touchpoints) if tp_ids is None else tp_ids,
    )


def _pg_new_ids(tables: int) -> str:
    """PostgreSQL: per table (parameters: its name and how many ids), its first new id, and
    all of them sorted only when they are not consecutive. Fetching 700,000 ids and sorting
    them cost ~0.6 s of the importer's time per 1M-row import; the run is what it gets."""
    series = " UNION ALL ".join(
        f"SELECT {n} AS t, {_NEXT_ID} AS id FROM generate_series(1, %s)" for n in range(tables)
    )
    return (
        "SELECT t, min(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL "
        f"ELSE array_agg(id ORDER BY id) END FROM ({series}) AS s GROUP BY t"
    )


def pg_rows(sql: str, params: Sequence[Any], *, fetch: bool = True) -> list[tuple[Any, ...]]:
    """Run one statement on PostgreSQL with its parameters sent in binary.

    Django's cursor binds on the client, spelling each array out as an SQL literal and
    quoting it element by element in Python: for the 2,000-element arrays of a batch that
    costs more than the query. Every array passed here is non-empty and has no None.
    """
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql.replace("%s", "%b"), params)
        # fetch: in pipeline mode (pg_pipelined) the rows are not there until asked for.
        return cursor.fetchall() if fetch else []


def pg_together(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Run several statements on PostgreSQL in one round trip (psycopg's pipeline mode), in
    order, each with its own snapshot, as :func:`pg_rows` runs one; returns their rows."""
    import psycopg

    connection.ensure_connection()
    cursors = []
    with connection.wrap_database_errors:
        with connection.connection.pipeline():
            for sql, params in statements:
                cursor = psycopg.Cursor(connection.connection)
                cursor.execute(sql.replace("%s", "%b"), params)
                cursors.append(cursor)
        results = [cursor.fetchall() if cursor.description else [] for cursor in cursors]
    for cursor in cursors:
        cursor.close()
    return results


class Checkpointer:
    """SQLite: copy the write-ahead log into the database in a thread beside a long run of
    large transactions, instead of in each commit.

    By default the connection that commits past 1,000 log pages (4 MB) checkpoints right
    then, so every commit of a bulk import waited for its pages to be copied and synced
    again. Inside this block the writer does not; after each :meth:`committed` a thread with
    its own connection does (SQLite lets a checkpoint run beside a writer, and the driver
    releases the interpreter lock while it works). A log that keeps growing (the writer is
    always busy, so the log never starts over) is folded in and emptied by the writer once it
    passes :data:`LOG_LIMIT`. Nothing is at risk: committed pages are in the log either way.
    On PostgreSQL, which checkpoints by itself, and in-memory databases this does nothing.

    The 1M-row import benchmark went from 38 s to 32 s with it.
    """

    LOG_LIMIT = 128 * 1024 * 1024

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._busy = threading.Lock()  # held while a checkpoint runs
        self._stop = False
        self._thread: threading.Thread | None = None
        self._log = ""

    def __enter__(self) -> Checkpointer:
        if on_postgres():
            return self
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0] != "wal":
                return self  # an in-memory database (tests) has no log to fold in
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
        name = str(connection.settings_dict["NAME"])
        self._log = name + "-wal"
        self._thread = threading.Thread(
            target=self._run, args=(name,), name="sqlite-checkpoint", daemon=True
        )
        self._thread.start()
        return self

    def committed(self) -> None:
        """Call after each commit of the block."""
        if self._thread is None:
            return
        try:
            size = os.stat(self._log).st_size
        except OSError:
            size = 0
        if size <= self.LOG_LIMIT:
            self._wanted.set()
            return
        with self._busy, connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        self._stop = True
        self._wanted.set()
        self._thread.join()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint = 1000")  # SQLite's default
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _run(self, name: str) -> None:
        import sqlite3

        with contextlib.closing(sqlite3.connect(name, timeout=30)) as db:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stop:
                    return
                with self._busy:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")


@contextlib.contextmanager
def pg_commits_not_awaited() -> Iterator[None]:
    """PostgreSQL: inside the block, a commit returns before its log is on disk; the server
    flushes it a moment later, while this process prepares the next chunk. A bulk import's
    commit otherwise waited for tens of megabytes of log to be synced (8 of its 52 s).

    Nothing is left half done: the log is written in order, so a server crash keeps a prefix
    of the commits (each whole), at most the last fraction of a second of them lost, and the
    import's progress record with them; the import is idempotent, so running it again adds
    exactly what is missing. The first commit after the block waits for everything before it.
    Does nothing on SQLite (see :class:`Checkpointer`).
    """
    if not on_postgres():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


@contextlib.contextmanager
def pg_pipelined(active: bool) -> Iterator[None]:
    """Send the statements of the block to PostgreSQL without waiting for each answer.

    Writes need no answer, so a small batch's inserts and updates cost one round trip
    instead of one or two each (most of a single API event's time on PostgreSQL). Reading a
    result inside the block still works: it waits for everything sent before it.
    """
    if not active:
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def select_in(sql: str, params: list[Any], values: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Run ``sql`` whose last condition is ``column IN {}`` for all ``values``, in chunks."""
    if on_postgres():
        if values:
            yield from pg_rows(sql.format("= ANY(%s)"), [*params, list(values)])
        return
    with connection.cursor() as cursor:
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            cursor.execute(sql.format(f"IN ({', '.join(['%s'] * len(chunk))})"), [*params, *chunk])
            yield from cursor.fetchall()


def pg_write(sql: str, params: Sequence[Any]) -> None:
    pg_rows(sql, params, fetch=False)


def execute(sql: str, params: Sequence[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
