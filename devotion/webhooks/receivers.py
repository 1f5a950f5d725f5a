"""Webhooks hear what storage stored (the ``stored`` signal) and queue deliveries for it.

Connected in :meth:`WebhooksConfig.ready`. Storage never imports this app: it announces each
committed batch, and this module reads what a subscriber's payload needs from the database.
"""

from __future__ import annotations

from typing import Any

from devotion.people.models import Merge
from devotion.touchpoints.signals import StoredBatch
from devotion.webhooks.dispatch import emit, wanted_events

# The events the columnar import lane cannot announce row by row (see signals.wants_details).
PER_ROW_EVENTS = frozenset({"person.created", "touchpoint.created"})


def needs_details() -> bool:
    """Whether an active subscription wants to hear of each new person or touchpoint."""
    return bool(wanted_events() & PER_ROW_EVENTS)


def on_stored(batch: StoredBatch, **_: Any) -> None:
    """Queue ``person.created``, ``touchpoint.created`` and ``touchpoint.updated`` deliveries
    for a stored batch (one small query when nobody subscribed)."""
    from devotion.people.models import Person

    wanted = wanted_events()
    if "person.created" in wanted and batch.people_created:
        people = Person.objects.filter(pk__in=list(batch.people_created)).order_by("pk")
        rows = list(people.values_list("pk", "display_name", "stage"))
        emit(
            "person.created",
            [{"person_id": pk, "display_name": name, "stage": stage} for pk, name, stage in rows],
            person_ids=[pk for pk, _, _ in rows],
        )
    for event, ids in (
        ("touchpoint.created", batch.touchpoint_ids()),
        ("touchpoint.updated", batch.changed_ids()),
    ):
        if event in wanted and ids:
            _emit_touchpoints(event, ids)


def _emit_touchpoints(event: str, ids: list[int]) -> None:
    from devotion.touchpoints.models import Touchpoint

    touchpoints = Touchpoint.objects.filter(pk__in=ids).order_by("pk")
    found = list(
        touchpoints.values_list("pk", "person_id", "kind", "source", "external_id", "occurred_at")
    )
    emit(
        event,
        [
            {
                "touchpoint_id": pk,
                "person_id": person_id,
                "kind": kind,
                "source": source,
                "external_id": external_id,
                "occurred_at": occurred_at.isoformat(),
            }
            for pk, person_id, kind, source, external_id, occurred_at in found
        ],
        person_ids=[row[1] for row in found],
    )


def on_merged(merge: Merge, **_: Any) -> None:
    """Queue ``people.merged`` deliveries for a committed merge."""
    emit(
        "people.merged",
        [
            {
                "winner_id": merge.winner_id,
                "loser_id": merge.loser_id,
                "reason": merge.reason,
                "automatic": merge.automatic,
                "merged_at": merge.created_at.isoformat(),
            }
        ],
        person_ids=[merge.winner_id],
    )
