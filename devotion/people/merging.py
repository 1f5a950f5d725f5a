"""Merging two people into one, and undoing it.

A merge moves the loser's identities, touchpoints and facts to the winner and marks the loser
``merged_into`` the winner; the :class:`~devotion.people.models.Merge` row keeps the ids of
everything that moved so :func:`undo_merge` can put each back. Other apps move their own
rows of the loser (conversations, notes, an owner) in the same transaction through the
``merging`` signal, recording them in the snapshot, and put them back on ``unmerging``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count as DjCount
from django.db.models import Max, Min, Q
from django.utils import timezone

from devotion.people import signals
from devotion.people.models import (
    Identity,
    Merge,
    Person,
    PersonalFact,
    Stage,
    stage_for_order_count,
)
from devotion.people.spend import spend_totals


class MergeError(ValueError):
    """A merge or undo that cannot be done, with the reason."""


def refresh_aggregates(
    person_ids: list[int], known_first: dict[int, datetime | None] | None = None
) -> None:
    """Recompute order count, spend (in the reporting currency, see spend.py), first/last
    activity and the order stage from touchpoints.

    ``known_first``: per person, when they were first seen apart from their touchpoints (a
    sign-up date from a customers import leaves no touchpoint); first seen is the earlier of
    that and their first touchpoint."""
    from devotion.touchpoints.models import Touchpoint

    known_first = known_first or {}
    rows = (
        Touchpoint.objects.filter(person_id__in=person_ids)
        .values("person_id")
        .annotate(
            orders=DjCount("id", filter=Q(kind="order")),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
    )
    by_person: dict[int, dict[str, Any]] = {row["person_id"]: dict(row) for row in rows}
    spent = spend_totals(person_ids)
    for person in Person.objects.filter(pk__in=person_ids):
        row: dict[str, Any] = by_person.get(person.pk, {})
        person.order_count = row.get("orders") or 0
        person.total_spent, person.spend_incomplete = spent[person.pk]
        firsts = [when for when in (row.get("first"), known_first.get(person.pk)) if when]
        person.first_seen_at = min(firsts) if firsts else None
        person.last_activity_at = row.get("last")
        if person.order_count == 0 and person.stage in (Stage.NEW, Stage.ACTIVE):
            person.stage = Stage.PROSPECT
        elif person.order_count == 1 and person.stage == Stage.ACTIVE:
            person.stage = Stage.NEW
        person.stage = stage_for_order_count(person.order_count, person.stage)
        person.save(
            update_fields=[
                "order_count",
                "total_spent",
                "spend_incomplete",
                "first_seen_at",
                "last_activity_at",
                "stage",
                "updated_at",
            ]
        )


def _first_seen(*people: Person) -> dict[int, datetime | None]:
    """When each was first seen, as stored now."""
    return dict(
        Person.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "first_seen_at")
    )


def _snapshot(loser: Person) -> dict[str, Any]:
    from devotion.touchpoints.models import Touchpoint

    return {
        "identities": list(Identity.objects.filter(person=loser).values_list("pk", flat=True)),
        "touchpoints": list(Touchpoint.objects.filter(person=loser).values_list("pk", flat=True)),
        "facts": list(PersonalFact.objects.filter(person=loser).values_list("pk", flat=True)),
        "merged_people": list(
            Person.objects.filter(merged_into=loser).values_list("pk", flat=True)
        ),
        "loser": {
            "display_name": loser.display_name,
            "primary_email": loser.primary_email,
            "primary_phone": loser.primary_phone,
            "stage": loser.stage,
        },
    }


@transaction.atomic
def merge_people(
    winner: Person,
    loser: Person,
    *,
    reason: str,
    automatic: bool = False,
    user: Any = None,
) -> Merge:
    """Merge ``loser`` into ``winner``; returns the Merge record (which can be undone)."""
    from devotion.touchpoints.models import Touchpoint

    if winner.pk == loser.pk:
        raise MergeError("cannot merge a person into themselves")
    if loser.merged_into_id is not None or winner.merged_into_id is not None:
        raise MergeError("one of these people has already been merged into someone else")
    snapshot = _snapshot(loser)
    # First seen before the merge, which may be earlier than any touchpoint (a sign-up date):
    # the winner keeps the earlier of both, and an undo gives each their own back.
    first_seen = _first_seen(winner, loser)
    snapshot["first_seen"] = {
        role: when.isoformat() if (when := first_seen.get(person.pk)) else None
        for role, person in (("winner", winner), ("loser", loser))
    }
    Identity.objects.filter(pk__in=snapshot["identities"]).update(person=winner)
    Touchpoint.objects.filter(pk__in=snapshot["touchpoints"]).update(person=winner)
    # A fact the winner already has (same key and value) stays with the loser, so no duplicate.
    existing = set(PersonalFact.objects.filter(person=winner).values_list("key", "value"))
    movable = [
        pk
        for pk, key, value in PersonalFact.objects.filter(pk__in=snapshot["facts"]).values_list(
            "pk", "key", "value"
        )
        if (key, value) not in existing
    ]
    snapshot["facts"] = movable
    PersonalFact.objects.filter(pk__in=movable).update(person=winner)
    Person.objects.filter(pk__in=snapshot["merged_people"]).update(merged_into=winner)

    for field in ("display_name", "primary_email", "primary_phone", "country", "preferred_channel"):
        if not getattr(winner, field) and getattr(loser, field):
            setattr(winner, field, getattr(loser, field))
    winner.set_name(winner.display_name)
    winner.is_advocate = winner.is_advocate or loser.is_advocate
    winner.save()
    loser.merged_into = winner
    loser.save(update_fields=["merged_into", "updated_at"])
    earliest = [when for when in first_seen.values() if when]
    refresh_aggregates([winner.pk, loser.pk], {winner.pk: min(earliest) if earliest else None})
    # Other apps move the loser's rows of theirs, recording them in the snapshot.
    signals.merging.send(sender=Merge, winner=winner, loser=loser, snapshot=snapshot)

    merge = Merge.objects.create(
        winner=winner,
        loser=loser,
        reason=reason,
        automatic=automatic,
        merged_by=user if getattr(user, "is_authenticated", False) else None,
        snapshot=snapshot,
    )
    _announce_merge(merge)
    return merge


@transaction.atomic
def undo_merge(merge: Merge, *, user: Any = None) -> None:
    """Put back everything a merge moved and make the loser a person of their own again."""
    from devotion.touchpoints.models import Touchpoint

    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeError("this merge has already been undone")
    loser, winner = merge.loser, merge.winner
    if loser.merged_into_id != winner.pk:
        raise MergeError("the merged person has since been merged elsewhere; undo that first")
    snap = merge.snapshot
    # Other apps first put back what they recorded (before the loser is a person again).
    signals.unmerging.send(sender=Merge, merge=merge)
    Identity.objects.filter(pk__in=snap.get("identities", [])).update(person=loser)
    Touchpoint.objects.filter(pk__in=snap.get("touchpoints", [])).update(person=loser)
    PersonalFact.objects.filter(pk__in=snap.get("facts", [])).update(person=loser)
    Person.objects.filter(pk__in=snap.get("merged_people", [])).update(merged_into=loser)
    for field, value in snap.get("loser", {}).items():
        setattr(loser, field, value)
    loser.set_name(loser.display_name)
    loser.merged_into = None
    loser.save()
    before = snap.get("first_seen", {})  # merges recorded before this was kept have none
    refresh_aggregates(
        [winner.pk, loser.pk],
        {
            person.pk: _when(before.get(role))
            for role, person in (("winner", winner), ("loser", loser))
        },
    )
    merge.undone_at = timezone.now()
    merge.undone_by = user if getattr(user, "is_authenticated", False) else None
    merge.save(update_fields=["undone_at", "undone_by"])


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _announce_merge(merge: Merge) -> None:
    """Send ``merged`` once the merge commits (webhooks and others listen)."""
    transaction.on_commit(lambda: signals.merged.send(sender=Merge, merge=merge))
