"""``stored``: what storage tells the rest of Devotion after each committed batch.

Storage (the importers, the API, the demo) imports nobody downstream of it. It sends this
signal once per batch it commits, naming the people it created or changed and the touchpoints
it added, by id and kind; code that changes a stored touchpoint in place (a survey answered
again) sends it too, naming that touchpoint in ``touchpoints_changed``. Whoever reacts
(webhooks, text analysis, reply promises) connects in its ``AppConfig.ready()`` and reads
what it needs from the database.

A rolled-back batch sends nothing: the signal goes out from ``transaction.on_commit``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

stored = Signal()
"""Sent with ``batch``: a :class:`StoredBatch`, after the batch committed."""


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What one committed batch stored.

    ``touchpoints`` maps a touchpoint kind (``order``, ``message`` ...) to the ids of the new
    touchpoints of that kind (a ``range`` when the ids were drawn as one run);
    ``touchpoints_changed`` likewise names stored touchpoints whose content changed (a survey
    answered again: its rating and text). A receiver that only cares about new touchpoints
    reads :meth:`touchpoint_ids`, which never includes the changed ones.

    >>> batch = StoredBatch(people_created=[1], touchpoints={"order": range(10, 13)})
    >>> batch.touchpoint_ids()
    [10, 11, 12]
    >>> bool(StoredBatch())
    False
    >>> changed = StoredBatch(touchpoints_changed={"survey_answer": [7]})
    >>> bool(changed), changed.touchpoint_ids(), changed.changed_ids("survey_answer")
    (True, [], [7])
    """

    people_created: Sequence[int] = ()
    people_changed: Sequence[int] = ()
    touchpoints: Mapping[str, Sequence[int]] = field(default_factory=dict)
    touchpoints_changed: Mapping[str, Sequence[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.people_created
            or self.people_changed
            or any(len(ids) for ids in self.touchpoints.values())
            or any(len(ids) for ids in self.touchpoints_changed.values())
        )

    def touchpoint_ids(self, *kinds: str) -> list[int]:
        """The new touchpoints' ids, of the given kinds (all kinds when none is given)."""
        return [
            pk for kind, ids in self.touchpoints.items() if not kinds or kind in kinds for pk in ids
        ]

    def changed_ids(self, *kinds: str) -> list[int]:
        """The changed touchpoints' ids, of the given kinds (all kinds when none is given)."""
        return [
            pk
            for kind, ids in self.touchpoints_changed.items()
            if not kinds or kind in kinds
            for pk in ids
        ]


def send_stored(batch: StoredBatch) -> None:
    """Send ``stored`` once the current transaction commits (at once outside one).

    A receiver that fails is logged and does not stop the others: the batch is stored.
    """
    if not batch:
        return

    def send() -> None:
        for receiver, result in stored.send_robust(sender=StoredBatch, batch=batch):
            if isinstance(result, Exception):
                log.error(
                    "a receiver of 'stored' failed: %s",
                    getattr(receiver, "__qualname__", receiver),
                    exc_info=result,
                )

    transaction.on_commit(send)


# Receivers that must hear of every new person and touchpoint one by one register a check
# here. The columnar import lane names its orders only as a run of ids, and no new person's
# details: while any check says True, large order files take the general path instead.
_detail_checks: list[Callable[[], bool]] = []


def wants_details(check: Callable[[], bool]) -> Callable[[], bool]:
    """Register ``check`` (a receiver's "do I need per-row details now?"); returns it."""
    if check not in _detail_checks:
        _detail_checks.append(check)
    return check


def details_wanted() -> bool:
    """Whether any receiver needs per-row details of the next batches."""
    return any(check() for check in _detail_checks)


__all__ = ["StoredBatch", "details_wanted", "send_stored", "stored", "wants_details"]
