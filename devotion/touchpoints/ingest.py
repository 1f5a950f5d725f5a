"""Storing events: resolve each to one person, upsert its touchpoint, update the person.

Every way in (file import, REST API, demo) ends here. One call stores one batch in one
transaction, so a crash loses at most the batch in flight, and a re-run finds what was stored:
touchpoints are unique on ``(source, external_id)`` and identities on their normalised value,
so sending the same batch twice creates nothing the second time.

Bulk by construction: a batch costs a fixed handful of queries (look up identities, look up
touchpoints, insert people, identities, touchpoints, lines and facts, update people), never one
per row. The rows are written with plain SQL (``executemany`` on SQLite, ``COPY`` and
``unnest`` on PostgreSQL) because the ORM's per-object work would cost more than the database
does: this is the path a million-row import takes. New ids are handed out before the inserts,
so nothing needs ``RETURNING``. Merges of existing people (rare) take the slow, careful path in
``people.merging``.
"""

# Table and column names in the SQL below come from model metadata, never from input; every
# value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import gc
import hashlib
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    models,
    transaction,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from devotion.people.merging import merge_people
from devotion.people.models import Identity, Person, PersonalFact, Stage, stage_for_order_count
from devotion.team.models import StaffMember
from devotion.touchpoints.events import Event, Reject, validate_event
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.webhooks.models import Subscription

CREATED, UPDATED, DUPLICATE, REJECTED = "created", "updated", "duplicate", "rejected"
MAX_ATTEMPTS = 4
CHUNK = 900  # values per IN (...) list: under SQLite's oldest bound-parameter limit
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(slots=True)
class Outcome:
    """What happened to one event: created, updated (a profile record that added something),
    duplicate (already stored: nothing changed) or rejected (with the reason)."""

    status: str
    person_id: int | None = None
    touchpoint_id: int | None = None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.status in (CREATED, UPDATED)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        if self.person_id is not None:
            data["person_id"] = self.person_id
        if self.touchpoint_id is not None:
            data["touchpoint_id"] = self.touchpoint_id
        if self.reason:
            data["reason"] = self.reason
        return data


class _Retry(Exception):
    """A concurrent writer stored something this batch was about to; run the batch again."""


def ingest(
    raws: Sequence[Mapping[str, Any] | Event], *, now: datetime | None = None
) -> list[Outcome]:
    """Validate and store a batch of raw events; one outcome per event, in order.

    Items that are :class:`Event` s already are stored as they are.

    Bad events become ``rejected`` outcomes; the good ones in the same batch are stored.
    """
    with _collector_paused():
        return _ingest(raws, now)


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_paused_by_us = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a batch runs.

    A batch allocates tens of thousands of small objects that all stay alive until it ends,
    so the collector would run over and over and find nothing: a quarter of the CPU time of
    a bulk import. Reference counting still frees everything; collection resumes after the
    batch. Counted, so overlapping batches in threads resume it only when the last ends.
    """
    global _gc_depth, _gc_paused_by_us
    with _gc_lock:
        if _gc_depth == 0 and gc.isenabled():
            gc.disable()
            _gc_paused_by_us = True
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_paused_by_us:
                _gc_paused_by_us = False
                gc.enable()


def _ingest(raws: Sequence[Mapping[str, Any] | Event], now: datetime | None) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(raws)
    valid: list[tuple[int, Event]] = []
    now = now or timezone.now()
    for index, raw in enumerate(raws):
        if isinstance(raw, Event):  # validated already (the file importer validates as it reads)
            valid.append((index, raw))
            continue
        try:
            valid.append((index, validate_event(raw, now=now)))
        except Reject as exc:
            outcomes[index] = Outcome(REJECTED, reason=str(exc))
    if valid:
        stored = store([event for _, event in valid], now=now)
        for (index, _), outcome in zip(valid, stored, strict=True):
            outcomes[index] = outcome
    return [o for o in outcomes if o is not None]


def store(events: Sequence[Event], *, now: datetime | None = None) -> list[Outcome]:
    """Store validated events in one transaction, retrying when a concurrent writer races us."""
    now = now or timezone.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _store(events, now)
        except (_Retry, IntegrityError, OperationalError):
            # IntegrityError: another writer inserted the same identity or touchpoint between
            # our look-up and insert. OperationalError: SQLite "database is locked" or a
            # PostgreSQL deadlock. Both are safe to retry: the whole batch rolled back.
            _STAFF.clear()  # a cached staff member may have been deleted meanwhile
            if attempt == MAX_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


# --- Plain SQL for the bulk path -------------------------------------------------------------


@cache
def _pg() -> bool:
    # The backend never changes within a process; asking the connection proxy each time costs.
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def _db_datetime(value: datetime | None) -> Any:
    """A datetime as the driver wants it: aware on PostgreSQL, naive UTC text on SQLite
    (exactly what the ORM writes, so ordering and range filters keep working)."""
    if value is None or _pg():
        return value
    if value.tzinfo is UTC:  # the common case: cut "+00:00" rather than copy the datetime
        return value.isoformat(" ")[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _from_db_datetime(value: Any) -> datetime | None:
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


def _from_db_decimal(value: Any) -> Decimal:
    # SQLite keeps decimals with numeric affinity: they come back as int or float.
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value or 0)).quantize(CENT)


class _Table:
    """Insert rows into one model's table: the caller gives values for ``fields`` (in that
    order) and every other column gets its model default, so a column added later still gets
    a value. Rows are plain tuples: ``(*values, *defaults)``."""

    _cache: dict[tuple[type[models.Model], tuple[str, ...]], _Table] = {}
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
    def of(cls, model: type[models.Model], *fields: str) -> _Table:
        key = (model, fields)
        if key not in cls._cache:
            cls._cache[key] = cls(model, fields)
        return cls._cache[key]

    def defaults(self, now: datetime) -> tuple[Any, ...]:
        """The values of the other columns, with the auto-now ones set to ``now``."""
        values = list(self._defaults)
        for i in self._now_positions:
            values[i] = _db_datetime(now)
        return tuple(values)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if _pg() and connection.connection.pgconn.pipeline_status:
            # Inside _pg_pipelined (a small batch): plain INSERTs ride the pipeline.
            import psycopg

            sql = f"INSERT INTO {self.name} ({self.columns}) VALUES ({self.marks})"
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
                cur.executemany(sql, rows)
            return
        with connection.cursor() as cursor:
            if _pg():
                # COPY is PostgreSQL's fast path for many rows; errors still map to Django's.
                sql = f"COPY {self.name} ({self.columns}) FROM STDIN"
                with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                sql = f"INSERT INTO {self.name} ({self.columns}) VALUES ({self.marks})"
                cursor.executemany(sql, rows)


def _new_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` fresh primary keys, never reusing one (an erased person's id stays
    retired, as with the ORM)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if _pg():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: the batch holds the write lock (BEGIN IMMEDIATE), so nobody else can take
        # these ids before we insert them; sqlite_sequence remembers ids of deleted rows.
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0))",
            [table],
        )
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def _new_id_pairs(people: int, touchpoints: int) -> tuple[list[int], list[int]]:
    """Fresh ids for ``people`` people and ``touchpoints`` touchpoints (one query on
    PostgreSQL)."""
    if not _pg() or not (people and touchpoints):
        return _new_ids(Person, people), _new_ids(Touchpoint, touchpoints)
    rows = _pg_rows(
        "SELECT 0, nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) "
        "UNION ALL "
        "SELECT 1, nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [Person._meta.db_table, people, Touchpoint._meta.db_table, touchpoints],
    )
    return sorted(pk for which, pk in rows if which == 0), sorted(
        pk for which, pk in rows if which == 1
    )


def _pg_rows(sql: str, params: Sequence[Any], *, fetch: bool = True) -> list[tuple[Any, ...]]:
    """Run one statement on PostgreSQL with its parameters sent in binary.

    Django's cursor binds on the client, spelling each array out as an SQL literal and
    quoting it element by element in Python: for the 2,000-element arrays of a batch that
    costs more than the query. Every array passed here is non-empty and has no None.
    """
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql.replace("%s", "%b"), params)
        # fetch: in pipeline mode (_pg_pipelined) the rows are not there until asked for.
        return cursor.fetchall() if fetch else []


def _pg_together(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Run several statements on PostgreSQL in one round trip (psycopg's pipeline mode), in
    order, each with its own snapshot, as :func:`_pg_rows` runs one; returns their rows."""
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


@contextmanager
def _pg_pipelined(active: bool) -> Iterator[None]:
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


def _select_in(sql: str, params: list[Any], values: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Run ``sql`` whose last condition is ``column IN {}`` for all ``values``, in chunks."""
    if _pg():
        if values:
            yield from _pg_rows(sql.format("= ANY(%s)"), [*params, list(values)])
        return
    with connection.cursor() as cursor:
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            cursor.execute(sql.format(f"IN ({', '.join(['%s'] * len(chunk))})"), [*params, *chunk])
            yield from cursor.fetchall()


# --- Resolving people ------------------------------------------------------------------------


def _lookup_identities(keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    keys = list(keys)
    found: dict[tuple[str, str, str], int] = {}
    table = Identity._meta.db_table
    if _pg():
        if not keys:
            return {}
        return _owners(_pg_rows(*_identity_query(keys)))
    by_group: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kind, source, value in keys:
        by_group[(kind, source)].append(value)
    for (kind, source), values in by_group.items():
        sql = f"SELECT value, person_id FROM {table} WHERE kind = %s AND source = %s AND value {{}}"
        for value, person_id in _select_in(sql, [kind, source], values):
            found[(kind, source, value)] = person_id
    return found


def _identity_query(keys: list[tuple[str, str, str]]) -> tuple[str, list[Any]]:
    # One index probe per key, whatever the planner's statistics say: with "kind = %s AND
    # source = %s AND value = ANY(%s)" and stale statistics PostgreSQL scans every e-mail
    # identity and filters on the value, and a plain join may become a hash join over the
    # whole table, so each batch would get slower as the table grows. LIMIT 1 keeps the
    # lateral subquery a nested loop.
    return (
        f"SELECT k.kind, k.source, k.value, i.person_id "
        f"FROM unnest(%s::text[], %s::text[], %s::text[]) AS k(kind, source, value) "
        f"CROSS JOIN LATERAL (SELECT person_id FROM {Identity._meta.db_table} "
        f"WHERE kind = k.kind AND source = k.source AND value = k.value LIMIT 1) AS i",
        [list(column) for column in zip(*keys, strict=True)],
    )


def _owners(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str, str], int]:
    return {(kind, source, value): pk for kind, source, value, pk in rows}


def _group_events(events: Sequence[Event]) -> list[list[int]]:
    """Indexes of events that share an identity, directly or through others: one per person."""
    return group_by_keys([event.identities for event in events])


def group_by_keys(keys_of: Sequence[Sequence[tuple[str, str, str]]]) -> list[list[int]]:
    """Indexes of items whose identity keys overlap, directly or through others, grouped (a
    union-find); groups come in order of their first item."""
    parent = list(range(len(keys_of)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str, str], int] = {}
    for index, keys in enumerate(keys_of):
        for key in keys:
            other = first_with.setdefault(key, index)
            if other != index:
                a, b = find(other), find(index)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(keys_of)):
        groups[find(index)].append(index)
    return list(groups.values())


_STAFF: dict[str, int] = {}


def _staff_ids(names: set[str]) -> dict[str, int]:
    """Staff member id for each name customers or sources use; unknown names become members.

    Names are cached per process. One small query per batch checks the cached members still
    exist (a deleted one would break the batch at commit); a miss reloads before creating.
    """
    if not names:
        return {}
    cached = {_STAFF.get(name.lower(), 0) for name in names}
    if 0 in cached or StaffMember.objects.filter(pk__in=cached).count() != len(cached):
        _STAFF.clear()
        for member in StaffMember.objects.order_by("-pk").only("pk", "display_name", "aliases"):
            for name in member.names:
                _STAFF[name.strip().lower()] = member.pk
    result = {}
    for name in names:
        key = name.lower()
        if key not in _STAFF:
            _STAFF[key] = StaffMember.objects.create(display_name=name).pk
        result[name] = _STAFF[key]
    return result


class _Profile:
    """The columns of one person this module writes, as plain attributes (no ORM object)."""

    __slots__ = (  # noqa: RUF023 - COLUMNS below relies on this order
        "pk",
        "display_name",
        "primary_email",
        "primary_phone",
        "country",
        "consent_email",
        "consent_sms",
        "consent_profiling",
        "first_seen_at",
        "last_activity_at",
        "order_count",
        "total_spent",
        "stage",
        "changed",
        "counted",
    )
    COLUMNS = __slots__[1:-2]
    ROW = (
        "display_name",
        "name_key",
        "name_key_rev",
        *COLUMNS[1:],
    )

    def __init__(self, pk: int, *values: Any) -> None:
        self.pk = pk
        self.display_name: str
        self.primary_email: str
        self.primary_phone: str
        self.country: str
        self.first_seen_at: datetime | None
        self.last_activity_at: datetime | None
        self.order_count: int
        self.total_spent: Decimal
        self.stage: str
        if values:  # a row of COLUMNS as the database returned it
            (
                self.display_name,
                self.primary_email,
                self.primary_phone,
                self.country,
                consent_email,
                consent_sms,
                consent_profiling,
                first_seen_at,
                last_activity_at,
                self.order_count,
                total_spent,
                self.stage,
            ) = values
            self.consent_email = bool(consent_email)
            self.consent_sms = bool(consent_sms)
            self.consent_profiling = bool(consent_profiling)
            self.first_seen_at = _from_db_datetime(first_seen_at)
            self.last_activity_at = _from_db_datetime(last_activity_at)
            self.total_spent = _from_db_decimal(total_spent)
        else:
            self.display_name = self.primary_email = self.primary_phone = self.country = ""
            self.consent_email = self.consent_sms = False
            self.consent_profiling = True
            self.first_seen_at = self.last_activity_at = None
            self.order_count = 0
            self.total_spent = ZERO
            self.stage = Stage.PROSPECT.value
        self.changed = False  # profile fields (name, e-mail, consent...) changed
        self.counted = False  # only the aggregates changed

    def row(self) -> dict[str, Any]:
        name_key, name_key_rev = Person.name_keys(self.display_name)
        return {
            "display_name": self.display_name,
            "name_key": name_key,
            "name_key_rev": name_key_rev,
            "primary_email": self.primary_email,
            "primary_phone": self.primary_phone,
            "country": self.country,
            "consent_email": self.consent_email,
            "consent_sms": self.consent_sms,
            "consent_profiling": self.consent_profiling,
            "first_seen_at": _db_datetime(self.first_seen_at),
            "last_activity_at": _db_datetime(self.last_activity_at),
            "order_count": self.order_count,
            "total_spent": self.total_spent,
            "stage": self.stage,
        }

    def counts_row(self) -> dict[str, Any]:
        return {
            "first_seen_at": _db_datetime(self.first_seen_at),
            "last_activity_at": _db_datetime(self.last_activity_at),
            "order_count": self.order_count,
            "total_spent": self.total_spent,
            "stage": self.stage,
        }


# Advisory locks on PostgreSQL: every key hashes to one of LOCK_SLOTS locks in our own lock
# class. Bounded, because each lock held takes a slot of the server's shared lock table (64 per
# connection by default): a 10,000-record import batch locking every key failed with "out of
# shared memory". Two batches that share a slot but no key just wait for each other.
LOCK_CLASS = 0x44564E  # "DVN"
LOCK_SLOTS = 256


def _lock_query(events: Sequence[Event]) -> tuple[str, list[Any]] | None:
    """On PostgreSQL, the statement that locks every identity and touchpoint key of the batch.

    Two writers sending the same new customer at once would otherwise both miss the identity
    in their look-up, and the second would fail on the unique index and retry, again and again
    under load (seen with two API workers posting 1,000-event batches). Holding the key's lock
    until commit makes the second writer wait for the first and then find its rows. Locks are
    taken in sorted order, so two batches cannot deadlock on each other. SQLite needs none of
    this: its write lock already serialises batches.
    """
    slots = set()
    for event in events:
        parts = [f"{kind}\x1f{source}\x1f{value}" for kind, source, value in event.identities]
        if event.kind != "customer":
            parts.append(f"tp\x1f{event.source}\x1f{event.external_id}")
        for part in parts:
            digest = hashlib.blake2b(part.encode(), digest_size=4).digest()
            slots.add(int.from_bytes(digest) % LOCK_SLOTS)
    if not slots:
        return None
    return (
        "SELECT count(pg_advisory_xact_lock(%s::int, k)) FROM unnest(%s::int[]) AS k",
        [LOCK_CLASS, sorted(slots)],
    )


def _pg_first_reads(
    events: Sequence[Event], keys: list[tuple[str, str, str]]
) -> tuple[dict[tuple[str, str, str], int], dict[tuple[str, str], tuple[int, int]], set[str]]:
    """PostgreSQL, in one round trip: lock the batch's keys, then read who owns its identities,
    which of its touchpoints are stored already and which webhook events anyone wants."""
    statements = []
    lock = _lock_query(events)
    if lock is not None:
        statements.append(lock)
    tp_keys = [(e.source, e.external_id) for e in events if e.is_touchpoint]
    if keys:
        statements.append(_identity_query(keys))
    if tp_keys:
        statements.append(_touchpoint_query(tp_keys))
    subscriptions = Subscription._meta.db_table
    statements.append((f"SELECT events FROM {subscriptions} WHERE is_active", []))
    results = iter(_pg_together(statements))
    if lock is not None:
        next(results)
    owner = _owners(next(results)) if keys else {}
    existing = _stored_touchpoints(next(results)) if tp_keys else {}
    # Django has psycopg hand jsonb over as text (it decodes JSON fields itself).
    wanted = {
        name
        for (names,) in next(results)
        for name in (json.loads(names) if isinstance(names, str) else names)
    }
    return owner, existing, wanted


def _store(events: Sequence[Event], now: datetime) -> list[Outcome]:
    # 1. Which people already own the identities in this batch (and, on PostgreSQL, in the
    #    same round trip after locking the batch's keys: which touchpoints are stored already).
    keys = sorted({key for event in events for key in event.identities})
    existing_tp: dict[tuple[str, str], tuple[int, int]] | None = None
    wanted: set[str] | None = None
    if _pg():
        owner, existing_tp, wanted = _pg_first_reads(events, keys)
    else:
        owner = _lookup_identities(keys)

    # 2. Group events that share any identity: each group is one person.
    groups = _group_events(events)
    person_of_event = [0] * len(events)
    new_groups: list[list[int]] = []
    for indexes in groups:
        group_keys = {key for i in indexes for key in events[i].identities}
        owners = sorted({owner[key] for key in group_keys if key in owner})
        if not owners:
            new_groups.append(indexes)
            continue
        if len(owners) == 1:
            winner_id = owners[0]
        else:
            winner_id = _merge_owners(owners, group_keys, owner)
            existing_tp = None  # the merge moved touchpoints: look them up again
        for i in indexes:
            person_of_event[i] = winner_id

    # 3. Touchpoints: skip the ones already stored (and repeats inside this batch).
    if existing_tp is None:
        existing_tp = _lookup_touchpoints(events)
    new_tp_events: list[int] = []
    seen: set[tuple[str, str]] = set()
    for index, event in enumerate(events):
        if event.is_touchpoint:
            key = (event.source, event.external_id)
            if key not in existing_tp and key not in seen:
                seen.add(key)
                new_tp_events.append(index)

    # 4. Ids for the people no identity pointed to and for the new touchpoints (the rows are
    #    written in step 6).
    new_ids, tp_ids = _new_id_pairs(len(new_groups), len(new_tp_events))
    for person_id, indexes in zip(new_ids, new_groups, strict=True):
        for i in indexes:
            person_of_event[i] = person_id
    created_people = set(new_ids)
    outcomes: list[Outcome] = []
    new_tp = dict(zip(new_tp_events, tp_ids, strict=True))
    for index, event in enumerate(events):
        person_id = person_of_event[index]
        if not event.is_touchpoint:
            outcomes.append(Outcome(UPDATED, person_id))
        elif index in new_tp:
            outcomes.append(Outcome(CREATED, person_id, new_tp[index]))
        elif (stored := existing_tp.get((event.source, event.external_id))) is not None:
            outcomes.append(Outcome(DUPLICATE, stored[1], stored[0]))
        else:  # a repeat inside this batch
            outcomes.append(Outcome(DUPLICATE, person_id))

    # 5. Bring each person's profile, aggregates and stage up to date (new people start empty).
    profiles = {pk: _Profile(pk) for pk in new_ids}
    profiles.update(_load_people({person_of_event[i] for i in range(len(events))} - created_people))
    for index, event in enumerate(events):
        profile = profiles[person_of_event[index]]
        if outcomes[index].status == DUPLICATE:
            if profile.pk in created_people:
                _fill_profile(profile, event)  # a repeat still names a brand-new person
            continue
        profile.changed |= _fill_profile(profile, event)
        if event.is_touchpoint and event.occurred_at is not None:
            _count_touchpoint(profile, event)
    for profile in profiles.values():
        profile.stage = stage_for_order_count(profile.order_count, profile.stage)

    # 6. Write people, identities, touchpoints, lines and facts (on PostgreSQL a small
    #    batch sends them all at once; a large one uses COPY, which cannot be pipelined).
    staff = _staff_ids({e.staff for e in events if e.staff})
    touched = [
        p for p in profiles.values() if (p.changed or p.counted) and p.pk not in created_people
    ]
    with _pg_pipelined(_pg() and len(events) <= _Table.SMALL):
        _insert_people([profiles[pk] for pk in new_ids], now)
        new_identities = _insert_identities(events, person_of_event, owner, now)
        _insert_touchpoints(events, new_tp_events, outcomes, staff, now)
        fact_changes = _store_facts(events, person_of_event, outcomes, now)
        _update_people([p for p in touched if p.changed], now, counts_only=False)
        _update_people([p for p in touched if not p.changed], now, counts_only=True)

    # 7. Say what changed: customer records that added nothing are duplicates.
    touched_ids = {p.pk for p in touched}
    for index, event in enumerate(events):
        if event.is_touchpoint:
            continue
        person_id = person_of_event[index]
        if person_id in created_people:
            outcomes[index].status = CREATED
        elif not (
            any(key in new_identities for key in event.identities)
            or index in fact_changes
            or person_id in touched_ids
        ):
            outcomes[index].status = DUPLICATE

    _announce([profiles[pk] for pk in new_ids], events, new_tp_events, outcomes, wanted)
    return outcomes


def _merge_owners(
    owners: list[int], keys: set[tuple[str, str, str]], owner: dict[tuple[str, str, str], int]
) -> int:
    """Existing people share identities with one incoming record: merge them, oldest wins."""
    people = {p.pk: p for p in Person.objects.filter(pk__in=owners)}
    winner = people[owners[0]]
    for loser_id in owners[1:]:
        loser = people[loser_id]
        shared = sorted(
            f"{kind} {value}" for kind, _, value in keys if owner.get((kind, _, value)) == loser_id
        )
        merge_people(
            winner,
            loser,
            reason=f"same person as #{winner.pk}: shares {', '.join(shared)}",
            automatic=True,
        )
    for key in list(owner):
        if owner[key] in people:
            owner[key] = winner.pk
    return winner.pk


def _fill_profile(person: _Profile, event: Event) -> bool:
    """Fill empty profile fields from an event; True when something changed."""
    changed = False
    if event.name and not person.display_name:
        person.display_name = event.name.strip()
        changed = True
    for kind, _, value in event.identities:
        if kind == "email" and not person.primary_email:
            person.primary_email, changed = value, True
        elif kind == "phone" and not person.primary_phone:
            person.primary_phone, changed = value, True
    if event.country and not person.country:
        person.country, changed = event.country, True
    if event.consent:
        for key, field in (
            ("email", "consent_email"),
            ("sms", "consent_sms"),
            ("profiling", "consent_profiling"),
        ):
            if key in event.consent and getattr(person, field) != event.consent[key]:
                setattr(person, field, event.consent[key])
                changed = True
    signed_up = event.occurred_at if event.kind == "customer" else None
    if signed_up is not None and (person.first_seen_at is None or signed_up < person.first_seen_at):
        person.first_seen_at, changed = signed_up, True
    return changed


def _count_touchpoint(person: _Profile, event: Event) -> None:
    when = event.occurred_at
    assert when is not None
    if person.last_activity_at is None or when > person.last_activity_at:
        person.last_activity_at = when
    if person.first_seen_at is None or when < person.first_seen_at:
        person.first_seen_at = when
    if event.kind == "order":
        person.order_count += 1
        person.total_spent += _order_amount(event) or ZERO
    person.counted = True


def _load_people(ids: set[int]) -> dict[int, _Profile]:
    """The current profile of existing people, locked for this transaction."""
    if not ids:
        return {}
    table = Person._meta.db_table
    # Lock in id order so concurrent batches on PostgreSQL cannot deadlock on each other
    # (SQLite needs no row locks: the batch holds the database's write lock).
    lock = " ORDER BY id FOR UPDATE" if _pg() else ""
    columns = ", ".join(_Profile.COLUMNS)
    if not _pg():
        # Read SQLite's datetime text as is: the driver's converter for the declared type
        # parses with a regex, several times slower than fromisoformat below.
        for name in ("first_seen_at", "last_activity_at"):
            columns = columns.replace(name, f"CAST({name} AS TEXT)")
    sql = f"SELECT id, {columns} FROM {table} WHERE id {{}}{lock}"
    if _pg():
        # One index probe per id, locking in id order. An index scan (unlike the bitmap scan
        # "id = ANY(...)" gets) marks the dead versions left by earlier batches' updates as it
        # passes them, so later batches do not walk them again before autovacuum runs.
        sql = (
            f"SELECT p.* FROM unnest(%s::bigint[]) WITH ORDINALITY AS k(id, n) "
            f"CROSS JOIN LATERAL (SELECT id, {columns} FROM {table} WHERE id = k.id "
            f"FOR UPDATE) AS p ORDER BY k.n"
        )
        rows = _pg_rows(sql, [sorted(ids)])
    else:
        rows = list(_select_in(sql, [], sorted(ids)))
    return {row[0]: _Profile(*row) for row in rows}


def _insert_people(profiles: list[_Profile], now: datetime) -> None:
    table = _Table.of(Person, "id", *_Profile.ROW)
    rest = table.defaults(now)
    table.insert([(profile.pk, *profile.row().values(), *rest) for profile in profiles])


def _update_people(profiles: list[_Profile], now: datetime, *, counts_only: bool) -> None:
    """Write changed people back: all profile columns, or only the aggregates (cheaper: fewer
    values to send and fewer indexes to touch)."""
    if not profiles:
        return
    table = Person._meta.db_table
    rows = [profile.counts_row() if counts_only else profile.row() for profile in profiles]
    columns = list(rows[0])
    stamp = _db_datetime(now)
    if _pg():
        # One statement for the batch: arrays of new values joined on id.
        types = {
            "consent_email": "boolean",
            "consent_sms": "boolean",
            "consent_profiling": "boolean",
            "first_seen_at": "timestamptz",
            "last_activity_at": "timestamptz",
            "order_count": "integer",
            "total_spent": "numeric",
        }
        unnest = ", ".join(f"%s::{types.get(c, 'text')}[]" for c in columns)
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        sql = (
            f"UPDATE {table} AS p SET {sets}, updated_at = %s "
            f"FROM unnest(%s::bigint[], {unnest}) AS v(id, {', '.join(columns)}) "
            "WHERE p.id = v.id"
        )
        params = [stamp, [p.pk for p in profiles], *([row[c] for row in rows] for c in columns)]
        if counts_only:  # never None here: counted people have first and last activity
            _pg_rows(sql, params, fetch=False)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
    else:
        with connection.cursor() as cursor:
            sets = ", ".join(f"{c} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets}, updated_at = %s WHERE id = %s",
                [[*row.values(), stamp, p.pk] for row, p in zip(rows, profiles, strict=True)],
            )


def _insert_identities(
    events: Sequence[Event],
    person_of_event: list[int],
    owner: dict[tuple[str, str, str], int],
    now: datetime,
) -> set[tuple[str, str, str]]:
    """Store identities not seen before; a concurrent writer's copy makes the batch retry."""
    table = _Table.of(Identity, "person_id", "kind", "source", "value", "raw_value")
    rest = table.defaults(now)
    rows: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for index, event in enumerate(events):
        for key in event.identities:
            if key not in owner and key not in rows:
                raw = event.raw_identities.get(key, key[2])[:320]
                rows[key] = (person_of_event[index], *key, raw, *rest)
    # In key order, so two writers inserting overlapping keys wait rather than deadlock.
    table.insert([rows[key] for key in sorted(rows)])
    return set(rows)


def _lookup_touchpoints(events: Sequence[Event]) -> dict[tuple[str, str], tuple[int, int]]:
    return _lookup_touchpoint_keys([(e.source, e.external_id) for e in events if e.is_touchpoint])


def _lookup_touchpoint_keys(
    keys: list[tuple[str, str]],
) -> dict[tuple[str, str], tuple[int, int]]:
    """Stored touchpoints among ``(source, external_id)`` keys: key -> (id, person id)."""
    found = {}
    table = Touchpoint._meta.db_table
    if _pg():
        if not keys:
            return {}
        return _stored_touchpoints(_pg_rows(*_touchpoint_query(keys)))
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in keys:
        by_source[source].append(external_id)
    for source, ids in by_source.items():
        sql = (
            f"SELECT external_id, id, person_id FROM {table} WHERE source = %s AND external_id {{}}"
        )
        for external_id, pk, person_id in _select_in(sql, [source], ids):
            found[(source, external_id)] = (pk, person_id)
    return found


def _touchpoint_query(keys: list[tuple[str, str]]) -> tuple[str, list[Any]]:
    return (  # one index probe per key, as for identities
        f"SELECT k.source, k.external_id, t.id, t.person_id "
        f"FROM unnest(%s::text[], %s::text[]) AS k(source, external_id) "
        f"CROSS JOIN LATERAL (SELECT id, person_id FROM {Touchpoint._meta.db_table} "
        f"WHERE source = k.source AND external_id = k.external_id LIMIT 1) AS t",
        [list(column) for column in zip(*keys, strict=True)],
    )


def _stored_touchpoints(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], tuple[int, int]]:
    return {(source, ext): (pk, person) for source, ext, pk, person in rows}


_TOUCHPOINT_FIELDS = (
    "id", "person_id", "kind", "channel", "direction", "occurred_at", "source", "external_id",
    "thread", "subject", "text", "amount", "currency", "rating", "staff_id", "extra",
)  # fmt: skip
_LINE_FIELDS = ("touchpoint_id", "product_id", "product_name", "quantity", "unit_price", "discount")


def _insert_touchpoints(
    events: Sequence[Event],
    indexes: list[int],
    outcomes: list[Outcome],
    staff: dict[str, int],
    now: datetime,
) -> None:
    table = _Table.of(Touchpoint, *_TOUCHPOINT_FIELDS)
    rest = table.defaults(now)
    lines_table = _Table.of(OrderLine, *_LINE_FIELDS)
    line_rest = lines_table.defaults(now)
    rows, line_rows = [], []
    for index in indexes:
        event, outcome = events[index], outcomes[index]
        amount = event.amount
        if amount is None and event.kind == "order" and event.lines:
            amount = _order_amount(event)
        rows.append(
            (
                outcome.touchpoint_id,
                outcome.person_id,
                event.kind,
                event.channel,
                event.direction,
                _db_datetime(event.occurred_at),
                event.source,
                event.external_id,
                event.thread,
                event.subject,
                event.text,
                amount,
                event.currency,
                event.rating,
                staff.get(event.staff) if event.staff else None,
                json.dumps(event.extra) if event.extra else "{}",
                *rest,
            )
        )
        for line in event.lines:
            line_rows.append(
                (
                    outcome.touchpoint_id,
                    line.product_id,
                    line.product_name,
                    line.quantity,
                    line.unit_price,
                    line.discount,
                    *line_rest,
                )
            )
    table.insert(rows)
    lines_table.insert(line_rows)


def _store_facts(
    events: Sequence[Event], person_of_event: list[int], outcomes: list[Outcome], now: datetime
) -> set[int]:
    """Insert facts not already known; returns the indexes of events that added one."""
    wanted = [
        (index, key, value)
        for index, event in enumerate(events)
        if event.facts
        for key, value in event.facts.items()
    ]
    if not wanted:
        return set()
    people = sorted({person_of_event[index] for index, _, _ in wanted})
    sql = f"SELECT person_id, key, value FROM {PersonalFact._meta.db_table} WHERE person_id {{}}"
    known = set(_select_in(sql, [], people))
    table = _Table.of(
        PersonalFact, "person_id", "key", "value", "learned_from_id", "source_note", "learned_at"
    )
    rest = table.defaults(now)
    rows, changed = [], set()
    for index, key, value in wanted:
        person_id = person_of_event[index]
        if (person_id, key, value) in known:
            continue
        known.add((person_id, key, value))
        event = events[index]
        rows.append(
            (
                person_id,
                key,
                value,
                outcomes[index].touchpoint_id,
                f"{event.source} {event.kind.replace('_', ' ')}",
                _db_datetime(event.occurred_at or now),
                *rest,
            )
        )
        changed.add(index)
    table.insert(rows)
    return changed


def _order_amount(event: Event) -> Decimal:
    if event.amount is not None:
        return event.amount
    return sum(
        ((line.unit_price or ZERO) * line.quantity - line.discount for line in event.lines),
        ZERO,
    )


def _announce(
    new_people: list[_Profile],
    events: Sequence[Event],
    new_tps: list[int],
    outcomes: list[Outcome],
    wanted: set[str] | None,
) -> None:
    """Queue webhooks for what this batch created; nothing at all when nobody subscribed.

    ``wanted``: the events active subscriptions want, when the caller has read them already.
    """
    from devotion.webhooks.dispatch import emit

    if not new_people and not new_tps:
        return
    if wanted is None:
        wanted = {
            name
            for events_of_subscription in Subscription.objects.filter(is_active=True).values_list(
                "events", flat=True
            )
            for name in events_of_subscription
        }
    if "person.created" in wanted:
        emit(
            "person.created",
            [
                {"person_id": p.pk, "display_name": p.display_name, "stage": p.stage}
                for p in new_people
            ],
            person_ids=[p.pk for p in new_people],
        )
    if "touchpoint.created" in wanted:
        payloads = []
        for index in new_tps:
            event, outcome = events[index], outcomes[index]
            assert event.occurred_at is not None
            payloads.append(
                {
                    "touchpoint_id": outcome.touchpoint_id,
                    "person_id": outcome.person_id,
                    "kind": event.kind,
                    "source": event.source,
                    "external_id": event.external_id,
                    "occurred_at": event.occurred_at.isoformat(),
                }
            )
        emit(
            "touchpoint.created",
            payloads,
            person_ids=[outcomes[index].person_id for index in new_tps],
        )


__all__ = ["CREATED", "DUPLICATE", "REJECTED", "UPDATED", "Outcome", "ingest", "store"]
