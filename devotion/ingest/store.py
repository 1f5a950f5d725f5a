"""Storing events: resolve each to one person, upsert its touchpoint, update the person.

Every way in (file import, REST API, demo) ends here. One call stores one batch in one
transaction, so a crash loses at most the batch in flight, and a re-run finds what was stored:
touchpoints are unique on ``(source, external_id)`` and identities on their normalised value,
so sending the same batch twice creates nothing the second time.

Bulk by construction: a batch costs a fixed handful of queries (look up identities, look up
touchpoints, insert people, identities, touchpoints, lines and facts, update people), never one
per row, written through the plain-SQL helpers of :mod:`devotion.ingest.bulk`. Merges of
existing people (rare) take the slow, careful path in ``people.merging``.
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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import (
    IntegrityError,
    OperationalError,
    transaction,
)
from django.utils import timezone

from devotion.ingest.bulk import (
    LINE_FIELDS,
    TOUCHPOINT_FIELDS,
    ZERO,
    Profile,
    Table,
    db_datetime,
    group_by_keys,
    identity_query,
    insert_people,
    load_people,
    lookup_identities,
    lookup_touchpoint_keys,
    new_id_pairs,
    on_postgres,
    owners_of,
    pg_pipelined,
    pg_together,
    select_in,
    stored_touchpoints,
    touchpoint_query,
    update_people,
)
from devotion.ingest.events import Event, Reject, validate_event
from devotion.people.merging import merge_people
from devotion.people.models import Identity, Person, PersonalFact, stage_for_order_count
from devotion.people.spend import Rates
from devotion.team.models import StaffMember
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.touchpoints.signals import StoredBatch, send_stored

CREATED, UPDATED, DUPLICATE, REJECTED = "created", "updated", "duplicate", "rejected"
MAX_ATTEMPTS = 4


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


# --- Resolving people ------------------------------------------------------------------------


def _group_events(events: Sequence[Event]) -> list[list[int]]:
    """Indexes of events that share an identity, directly or through others: one per person."""
    return group_by_keys([event.identities for event in events])


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
) -> tuple[dict[tuple[str, str, str], int], dict[tuple[str, str], tuple[int, int]]]:
    """PostgreSQL, in one round trip: lock the batch's keys, then read who owns its identities
    and which of its touchpoints are stored already."""
    statements = []
    lock = _lock_query(events)
    if lock is not None:
        statements.append(lock)
    tp_keys = [(e.source, e.external_id) for e in events if e.is_touchpoint]
    if keys:
        statements.append(identity_query(keys))
    if tp_keys:
        statements.append(touchpoint_query(tp_keys))
    if not statements:
        return {}, {}
    results = iter(pg_together(statements))
    if lock is not None:
        next(results)
    owner = owners_of(next(results)) if keys else {}
    existing = stored_touchpoints(next(results)) if tp_keys else {}
    return owner, existing


def _store(events: Sequence[Event], now: datetime) -> list[Outcome]:
    # 1. Which people already own the identities in this batch (and, on PostgreSQL, in the
    #    same round trip after locking the batch's keys: which touchpoints are stored already).
    keys = sorted({key for event in events for key in event.identities})
    existing_tp: dict[tuple[str, str], tuple[int, int]] | None = None
    if on_postgres():
        owner, existing_tp = _pg_first_reads(events, keys)
    else:
        owner = lookup_identities(keys)

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
    new_ids, tp_ids = new_id_pairs(len(new_groups), len(new_tp_events))
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
    profiles = {pk: Profile(pk) for pk in new_ids}
    profiles.update(load_people({person_of_event[i] for i in range(len(events))} - created_people))
    rates = Rates.current()
    for index, event in enumerate(events):
        profile = profiles[person_of_event[index]]
        if outcomes[index].status == DUPLICATE:
            if profile.pk in created_people:
                _fill_profile(profile, event)  # a repeat still names a brand-new person
            continue
        profile.changed |= _fill_profile(profile, event)
        if event.is_touchpoint and event.occurred_at is not None:
            _count_touchpoint(profile, event, rates)
    for profile in profiles.values():
        profile.stage = stage_for_order_count(profile.order_count, profile.stage)

    # 6. Write people, identities, touchpoints, lines and facts (on PostgreSQL a small
    #    batch sends them all at once; a large one uses COPY, which cannot be pipelined).
    staff = _staff_ids({e.staff for e in events if e.staff})
    touched = [
        p for p in profiles.values() if (p.changed or p.counted) and p.pk not in created_people
    ]
    with pg_pipelined(on_postgres() and len(events) <= Table.SMALL):
        insert_people([profiles[pk] for pk in new_ids], now)
        new_identities = _insert_identities(events, person_of_event, owner, now)
        _insert_touchpoints(events, new_tp_events, outcomes, staff, now)
        fact_changes = _store_facts(events, person_of_event, outcomes, now)
        update_people([p for p in touched if p.changed], now, counts_only=False)
        update_people([p for p in touched if not p.changed], now, counts_only=True)

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

    _announce(list(new_ids), sorted(touched_ids), events, new_tp_events, outcomes)
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


def _fill_profile(person: Profile, event: Event) -> bool:
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
                # Where and when it was given or refused: the event's source and time.
                setattr(person, f"{field}_at", event.occurred_at or timezone.now())
                setattr(person, f"{field}_source", event.source[:100])
                changed = True
    signed_up = event.occurred_at if event.kind == "customer" else None
    if signed_up is not None and (person.first_seen_at is None or signed_up < person.first_seen_at):
        person.first_seen_at, changed = signed_up, True
    return changed


def _count_touchpoint(person: Profile, event: Event, rates: Rates) -> None:
    when = event.occurred_at
    assert when is not None
    if person.last_activity_at is None or when > person.last_activity_at:
        person.last_activity_at = when
    if person.first_seen_at is None or when < person.first_seen_at:
        person.first_seen_at = when
    if event.kind == "order":
        person.order_count += 1
        # Spend in the reporting currency, as devotion.people.spend counts it from the
        # stored order: its own amount, else its lines' total, converted.
        if (amount := _stored_amount(event)) is not None:
            value = rates.value(amount, event.currency)
            if value is None:
                person.spend_incomplete = True
            else:
                person.total_spent += value
    person.counted = True


def _insert_identities(
    events: Sequence[Event],
    person_of_event: list[int],
    owner: dict[tuple[str, str, str], int],
    now: datetime,
) -> set[tuple[str, str, str]]:
    """Store identities not seen before; a concurrent writer's copy makes the batch retry."""
    table = Table.of(Identity, "person_id", "kind", "source", "value", "raw_value")
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
    return lookup_touchpoint_keys([(e.source, e.external_id) for e in events if e.is_touchpoint])


def _insert_touchpoints(
    events: Sequence[Event],
    indexes: list[int],
    outcomes: list[Outcome],
    staff: dict[str, int],
    now: datetime,
) -> None:
    table = Table.of(Touchpoint, *TOUCHPOINT_FIELDS)
    rest = table.defaults(now)
    lines_table = Table.of(OrderLine, *LINE_FIELDS)
    line_rest = lines_table.defaults(now)
    rows, line_rows = [], []
    for index in indexes:
        event, outcome = events[index], outcomes[index]
        amount = _stored_amount(event)
        rows.append(
            (
                outcome.touchpoint_id,
                outcome.person_id,
                event.kind,
                event.channel,
                event.direction,
                db_datetime(event.occurred_at),
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
    known = set(select_in(sql, [], people))
    table = Table.of(
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
                db_datetime(event.occurred_at or now),
                *rest,
            )
        )
        changed.add(index)
    table.insert(rows)
    return changed


def _stored_amount(event: Event) -> Decimal | None:
    """The amount stored on the event's touchpoint: its own, else an order's lines' total
    (None for an order with neither)."""
    if event.amount is None and event.kind == "order" and event.lines:
        return _order_amount(event)
    return event.amount


def _order_amount(event: Event) -> Decimal:
    if event.amount is not None:
        return event.amount
    return sum(
        ((line.unit_price or ZERO) * line.quantity - line.discount for line in event.lines),
        ZERO,
    )


def _announce(
    new_people: list[int],
    touched: list[int],
    events: Sequence[Event],
    new_tps: list[int],
    outcomes: list[Outcome],
) -> None:
    """Tell the rest of Devotion what this batch stored, once it commits (see
    :mod:`devotion.touchpoints.signals`)."""
    by_kind: dict[str, list[int]] = {}
    for index in new_tps:
        touchpoint_id = outcomes[index].touchpoint_id
        assert touchpoint_id is not None
        by_kind.setdefault(events[index].kind, []).append(touchpoint_id)
    send_stored(StoredBatch(people_created=new_people, people_changed=touched, touchpoints=by_kind))


__all__ = ["CREATED", "DUPLICATE", "REJECTED", "UPDATED", "Outcome", "ingest", "store"]
