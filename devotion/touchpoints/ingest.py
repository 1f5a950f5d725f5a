"""Storing events: resolve each to one person, upsert its touchpoint, update the person.

Every way in (file import, REST API, demo) ends here. One call stores one batch in one
transaction, so a crash loses at most the batch in flight, and a re-run finds what was stored:
touchpoints are unique on ``(source, external_id)`` and identities on their normalised value,
so sending the same batch twice creates nothing the second time.

Bulk by construction: a batch costs a fixed handful of queries (look up identities, look up
touchpoints, insert people, identities, touchpoints, lines and facts, update people), never one
per row. Merges of existing people (rare) take the slow, careful path in ``people.merging``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from devotion.people.merging import merge_people
from devotion.people.models import Identity, Person, PersonalFact, Stage, stage_for_order_count
from devotion.team.models import StaffMember
from devotion.touchpoints.events import Event, Reject, validate_event
from devotion.touchpoints.models import OrderLine, Touchpoint

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


def ingest(raws: Sequence[Mapping[str, Any]], *, now: datetime | None = None) -> list[Outcome]:
    """Validate and store a batch of raw events; one outcome per event, in order.

    Bad events become ``rejected`` outcomes; the good ones in the same batch are stored.
    """
    outcomes: list[Outcome | None] = [None] * len(raws)
    valid: list[tuple[int, Event]] = []
    now = now or timezone.now()
    for index, raw in enumerate(raws):
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
            if attempt == MAX_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, item: Any) -> Any:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            parent = self.parent[item] = self.find(parent)
        return parent

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _lookup_identities(keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    by_group: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kind, source, value in keys:
        by_group[(kind, source)].append(value)
    found: dict[tuple[str, str, str], int] = {}
    for (kind, source), values in by_group.items():
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            rows = Identity.objects.filter(kind=kind, source=source, value__in=chunk).values_list(
                "value", "person_id"
            )
            for value, person_id in rows:
                found[(kind, source, value)] = person_id
    return found


def _staff_ids(names: set[str]) -> dict[str, int]:
    """Staff member id for each name customers or sources use; unknown names become members."""
    if not names:
        return {}
    known: dict[str, int] = {}
    for member in StaffMember.objects.all().only("pk", "display_name", "aliases"):
        for name in member.names:
            known.setdefault(name.strip().lower(), member.pk)
    result = {}
    for name in names:
        key = name.lower()
        if key not in known:
            known[key] = StaffMember.objects.create(display_name=name).pk
        result[name] = known[key]
    return result


def _store(events: Sequence[Event], now: datetime) -> list[Outcome]:
    # 1. Which people already own the identities in this batch.
    all_keys = {key for event in events for key in event.identities}
    owner = _lookup_identities(all_keys)

    # 2. Group events that share any identity: each group is one person.
    groups = _UnionFind()
    for index, event in enumerate(events):
        for key in event.identities:
            groups.union(("e", index), ("k", key))
    members: dict[Any, list[int]] = defaultdict(list)
    for index in range(len(events)):
        members[groups.find(("e", index))].append(index)

    person_of_group: dict[Any, int] = {}
    new_groups: list[Any] = []
    for root, indexes in members.items():
        keys = {key for i in indexes for key in events[i].identities}
        owners = sorted({owner[key] for key in keys if key in owner})
        if not owners:
            new_groups.append(root)
            continue
        winner_id = owners[0]
        if len(owners) > 1:
            winner_id = _merge_owners(owners, keys, owner)
        person_of_group[root] = winner_id

    # 3. Create the people no identity pointed to.
    new_people = []
    for root in new_groups:
        person = Person(stage=Stage.PROSPECT)
        for i in members[root]:
            _fill_profile(person, events[i])
        person.set_name(person.display_name)
        new_people.append(person)
    Person.objects.bulk_create(new_people, batch_size=500)
    created_person_ids = set()
    for root, person in zip(new_groups, new_people, strict=True):
        person_of_group[root] = person.pk
        created_person_ids.add(person.pk)

    person_of_event = [person_of_group[groups.find(("e", i))] for i in range(len(events))]

    # 4. Store identities we have not seen.
    new_identities = {}
    for index, event in enumerate(events):
        for key in event.identities:
            if key not in owner and key not in new_identities:
                new_identities[key] = Identity(
                    person_id=person_of_event[index],
                    kind=key[0],
                    source=key[1],
                    value=key[2],
                    raw_value=event.raw_identities.get(key, key[2])[:320],
                )
    if new_identities:
        Identity.objects.bulk_create(new_identities.values(), ignore_conflicts=True, batch_size=500)
        # Someone else may have taken a key between look-up and insert: start over if so.
        stored = _lookup_identities(new_identities)
        if any(stored.get(key) != row.person_id for key, row in new_identities.items()):
            raise _Retry()

    # 5. Touchpoints: skip the ones already stored (and repeats inside this batch).
    existing_tp = _lookup_touchpoints(events)
    staff = _staff_ids({e.staff for e in events if e.staff})
    outcomes: list[Outcome] = []
    new_tps: list[Touchpoint] = []
    new_tp_events: list[int] = []
    seen: set[tuple[str, str]] = set()
    for index, event in enumerate(events):
        person_id = person_of_event[index]
        if not event.is_touchpoint:
            outcomes.append(Outcome(UPDATED, person_id))
            continue
        key = (event.source, event.external_id)
        if key in existing_tp:
            outcomes.append(Outcome(DUPLICATE, existing_tp[key][1], existing_tp[key][0]))
            continue
        if key in seen:
            outcomes.append(Outcome(DUPLICATE, person_id))
            continue
        seen.add(key)
        new_tps.append(_touchpoint(event, person_id, staff))
        new_tp_events.append(index)
        outcomes.append(Outcome(CREATED, person_id))
    Touchpoint.objects.bulk_create(new_tps, batch_size=500)
    for tp, index in zip(new_tps, new_tp_events, strict=True):
        outcomes[index].touchpoint_id = tp.pk

    lines = [
        OrderLine(
            touchpoint_id=tp.pk,
            product_id=line.product_id,
            product_name=line.product_name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
        )
        for tp, index in zip(new_tps, new_tp_events, strict=True)
        for line in events[index].lines
    ]
    OrderLine.objects.bulk_create(lines, batch_size=500)

    # 6. Personal facts, each with where it was learned.
    fact_changes = _store_facts(events, person_of_event, outcomes, now)

    # 7. Bring each touched person's aggregates, stage and profile up to date.
    touched = _update_people(events, person_of_event, outcomes, created_person_ids)

    # 8. Say what changed: customer records that added nothing are duplicates.
    for index, event in enumerate(events):
        if event.is_touchpoint:
            continue
        person_id = person_of_event[index]
        if person_id in created_person_ids:
            outcomes[index].status = CREATED
        elif not (
            any(key in new_identities for key in event.identities)
            or index in fact_changes
            or person_id in touched
        ):
            outcomes[index].status = DUPLICATE

    _announce(new_people, new_tps)
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


def _fill_profile(person: Person, event: Event) -> bool:
    """Fill empty profile fields from an event; True when something changed."""
    changed = False
    if event.name and not person.display_name:
        person.display_name = event.name
        changed = True
    for kind, _, value in event.identities:
        if kind == "email" and not person.primary_email:
            person.primary_email, changed = value, True
        elif kind == "phone" and not person.primary_phone:
            person.primary_phone, changed = value, True
    if event.country and not person.country:
        person.country, changed = event.country, True
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


def _lookup_touchpoints(events: Sequence[Event]) -> dict[tuple[str, str], tuple[int, int]]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event.is_touchpoint:
            by_source[event.source].append(event.external_id)
    found = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), 900):
            rows = Touchpoint.objects.filter(
                source=source, external_id__in=ids[start : start + 900]
            ).values_list("external_id", "pk", "person_id")
            for external_id, pk, person_id in rows:
                found[(source, external_id)] = (pk, person_id)
    return found


def _touchpoint(event: Event, person_id: int, staff: dict[str, int]) -> Touchpoint:
    amount = event.amount
    if amount is None and event.kind == "order" and event.lines:
        amount = sum(
            (
                (line.unit_price or Decimal(0)) * line.quantity - line.discount
                for line in event.lines
            ),
            Decimal(0),
        )
    return Touchpoint(
        person_id=person_id,
        kind=event.kind,
        channel=event.channel,
        direction=event.direction,
        occurred_at=event.occurred_at,
        source=event.source,
        external_id=event.external_id,
        thread=event.thread,
        subject=event.subject,
        text=event.text,
        amount=amount,
        currency=event.currency,
        rating=event.rating,
        staff_id=staff.get(event.staff) if event.staff else None,
        extra=event.extra,
    )


def _store_facts(
    events: Sequence[Event], person_of_event: list[int], outcomes: list[Outcome], now: datetime
) -> set[int]:
    """Insert facts not already known; returns the indexes of events that added one."""
    wanted = [
        (index, key, value)
        for index, event in enumerate(events)
        for key, value in event.facts.items()
    ]
    if not wanted:
        return set()
    people = {person_of_event[index] for index, _, _ in wanted}
    known = set(
        PersonalFact.objects.filter(person_id__in=people).values_list("person_id", "key", "value")
    )
    rows, changed = [], set()
    for index, key, value in wanted:
        person_id = person_of_event[index]
        if (person_id, key, value) in known:
            continue
        known.add((person_id, key, value))
        event = events[index]
        rows.append(
            PersonalFact(
                person_id=person_id,
                key=key,
                value=value,
                learned_from_id=outcomes[index].touchpoint_id,
                source_note=f"{event.source} {event.kind.replace('_', ' ')}",
                learned_at=event.occurred_at or now,
            )
        )
        changed.add(index)
    PersonalFact.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return changed


_PERSON_FIELDS = [
    "display_name",
    "name_key",
    "name_key_rev",
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
]


def _update_people(
    events: Sequence[Event],
    person_of_event: list[int],
    outcomes: list[Outcome],
    created: set[int],
) -> set[int]:
    """Apply new touchpoints and profile data to people; returns ids of existing people changed."""
    by_person: dict[int, list[int]] = defaultdict(list)
    for index, person_id in enumerate(person_of_event):
        outcome = outcomes[index]
        if outcome.status == CREATED or not events[index].is_touchpoint:
            by_person[person_id].append(index)
    if not by_person:
        return set()
    # Lock in id order so concurrent batches on PostgreSQL cannot deadlock on each other.
    people = Person.objects.select_for_update().filter(pk__in=by_person).order_by("pk")
    changed_people, touched_existing = [], set()
    for person in people.only("pk", *_PERSON_FIELDS):
        changed = False
        for index in by_person[person.pk]:
            event = events[index]
            changed |= _fill_profile(person, event)
            if not event.is_touchpoint or event.occurred_at is None:
                continue
            when = event.occurred_at
            if person.last_activity_at is None or when > person.last_activity_at:
                person.last_activity_at = when
            if person.first_seen_at is None or when < person.first_seen_at:
                person.first_seen_at = when
            if event.kind == "order":
                person.order_count += 1
                amount = outcomes[index].touchpoint_id and _order_amount(event)
                person.total_spent = Decimal(person.total_spent) + (amount or Decimal(0))
            changed = True
        person.stage = stage_for_order_count(person.order_count, person.stage)
        person.set_name(person.display_name)
        if changed or person.pk in created:
            changed_people.append(person)
            if person.pk not in created:
                touched_existing.add(person.pk)
    Person.objects.bulk_update(changed_people, _PERSON_FIELDS, batch_size=250)
    return touched_existing


def _order_amount(event: Event) -> Decimal:
    if event.amount is not None:
        return event.amount
    return sum(
        ((line.unit_price or Decimal(0)) * line.quantity - line.discount for line in event.lines),
        Decimal(0),
    )


def _announce(new_people: list[Person], new_tps: list[Touchpoint]) -> None:
    from devotion.webhooks.dispatch import emit

    emit(
        "person.created",
        [{"person_id": p.pk, "display_name": p.display_name, "stage": p.stage} for p in new_people],
        person_ids=[p.pk for p in new_people],
    )
    emit(
        "touchpoint.created",
        [
            {
                "touchpoint_id": tp.pk,
                "person_id": tp.person_id,
                "kind": tp.kind,
                "source": tp.source,
                "external_id": tp.external_id,
                "occurred_at": tp.occurred_at.isoformat(),
            }
            for tp in new_tps
        ],
        person_ids=[tp.person_id for tp in new_tps],
    )


__all__ = ["CREATED", "DUPLICATE", "REJECTED", "UPDATED", "Outcome", "ingest", "store"]
