"""Storing a clean chunk: resolving its customers and writing people, identities, orders
and lines in one transaction, set-wise (the importer's side of the lane)."""

# ruff: noqa: S608

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from devotion.ingest import bulk
from devotion.ingest.columnar import child, scan
from devotion.ingest.columnar.prepare import (
    _FROM_ORDER,
    _IDENTITY_FIELDS,
    FILLS,
    MEMORY_LIMIT,
    NULL,
    CopyText,
    Key,
    NotFast,
    Prepared,
    WrittenMeanwhile,
    _copy_escape,
    _copy_text,
)
from devotion.ingest.columnar.scan import SOURCE, Chunk
from devotion.ingest.helper_process import Upcoming, helper_messages, scratch_folder
from devotion.people.models import Identity, Person, stage_for_order_count
from devotion.people.spend import Rates
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.touchpoints.signals import StoredBatch, send_stored


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
    LIMIT = MEMORY_LIMIT

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
    send_stored(
        StoredBatch(
            people_created=new_people,
            people_changed=sorted({pk for pk in person_of if pk not in created}),
            touchpoints={"order": tp_ids},
        )
    )
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
    incomplete = chunk.incomplete
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
        if incomplete[g]:
            profile.spend_incomplete = True
        profile.counted = True
    for (pk, f), (_, value) in fills.items():
        profile = profiles[pk]
        if not getattr(profile, FILLS[f]):
            setattr(profile, FILLS[f], value)
            profile.changed = True
    for pk in {person_of[g] for g in groups}:
        profile = profiles[pk]
        profile.stage = stage_for_order_count(profile.order_count, profile.stage)


# The order touchpoint's columns besides id, person and those from the order (_FROM_ORDER).
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
            f"{_copy_bool(p.spend_incomplete)}\t{p.stage}\t{_copy_time(p.consent_email_at)}\t{_copy_escape(p.consent_email_source)}"
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


def scratch_root() -> Path:
    """Where imports keep their temporary files: under DEVOTION_HOME, private to Devotion's
    user and swept of what a killed import left (see :func:`.helper_process.sweep_scratch`)."""
    return Path(settings.HOME) / "tmp"


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
    :class:`~devotion.ingest.helper_process.ReaderCrashed` when the helper fails or dies.
    On PostgreSQL ``upcoming`` shows the chunk after the one yielded last, as it arrives (see
    :class:`Planner`).
    """
    # This process owns DuckDB's spill folder: it outlives a helper that is stopped or dies.
    postgres = bulk.on_postgres()
    orders = scan.CHUNK_ORDERS_POSTGRES if postgres else scan.CHUNK_ORDERS
    # PostgreSQL: a thread receives chunk N+1 while this one waits for the server to store N.
    # SQLite's chunks come as a staged file, quick to receive: receiving ahead there measured
    # the same (three alternating pairs, 2026-11-27) and peaked at 945 MiB at 3M rows.
    with (
        scratch_folder(scratch_root()) as spill,
        contextlib.closing(
            helper_messages(
                child.run,
                (str(path), now, orders, spill, Rates.current()),
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


def _when(text: str) -> datetime:
    """A stored time (UTC text) as an aware datetime; parsing the offset is cheaper than
    replacing the naive result's zone."""
    return datetime.fromisoformat(text + "+00:00")


__all__ = ["Memory", "Planner", "prepared_in_helper", "scratch_root", "store_prepared"]
