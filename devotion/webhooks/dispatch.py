"""Emitting events to webhook subscribers: rows now, HTTP later in a background task."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction


def wanted_events() -> set[str]:
    """The events at least one active subscription wants (one small query)."""
    from devotion.webhooks.models import Subscription

    return {
        name
        for names in Subscription.objects.filter(is_active=True).values_list("events", flat=True)
        for name in names
    }


def emit(
    event: str, payloads: list[dict[str, Any]], person_ids: list[int | None] | None = None
) -> None:
    """Queue one delivery per payload for every active subscription to ``event``.

    Runs after the surrounding transaction commits, so a rolled-back import sends nothing, and
    never does HTTP itself: the ``deliver`` task does, in the worker.
    """
    if not payloads:
        return
    owners: list[int | None] = (
        list(person_ids) if person_ids is not None else [None] * len(payloads)
    )
    transaction.on_commit(lambda: _queue(event, payloads, owners))


def queue_now(
    event: str, payloads: list[dict[str, Any]], person_ids: list[int | None] | None = None
) -> int:
    """Queue deliveries in the current transaction (not after it): for senders that record
    elsewhere, in the same transaction, that the event was announced. Returns how many
    subscriptions want it."""
    owners: list[int | None] = (
        list(person_ids) if person_ids is not None else [None] * len(payloads)
    )
    return _queue(event, payloads, owners)


def _queue(event: str, payloads: list[dict[str, Any]], owners: list[int | None]) -> int:
    from devotion.webhooks.models import Delivery, Subscription
    from devotion.webhooks.tasks import deliver_many

    subscriptions = [s for s in Subscription.objects.filter(is_active=True) if event in s.events]
    if not subscriptions:
        return 0
    rows = []
    for subscription in subscriptions:
        for payload, person_id in zip(payloads, owners, strict=True):
            rows.append(
                Delivery(
                    subscription=subscription,
                    event=event,
                    event_id=uuid.uuid4().hex,
                    payload=payload,
                    person_id=person_id,
                )
            )
    created = Delivery.objects.bulk_create(rows, batch_size=500)
    ids = [d.pk for d in created]
    for start in range(0, len(ids), 100):
        deliver_many.enqueue(ids[start : start + 100])
    return len(subscriptions)
