"""From stored touchpoints to conversations and reply promises.

Connected to ``devotion.touchpoints.signals.stored`` (``FollowupConfig.ready``): each batch's
messages, reviews, social comments, survey answers and leads are filed into their
:class:`Conversation` (by thread), and what needs a reply opens promises; our own replies
(outbound touchpoints, whichever way they came in) fulfil them. Small batches (the API, a
reply sent here) are tracked at once; large ones (an import) by a task on the analysis queue.

Whether a message needs a reply and whether it is a complaint come from the voice app's
:class:`~devotion.voice.models.TextAnalysis` when one exists, else from the simple rules here.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from devotion.core import queues
from devotion.followup import promises
from devotion.followup.models import (
    Conversation,
    Priority,
    PromiseState,
    ReplyPromise,
    SlaPolicy,
    SupportTeam,
    Target,
)
from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint
from devotion.touchpoints.signals import StoredBatch

log = logging.getLogger(__name__)

# Kinds a customer can expect an answer to (calls are answered while they happen).
REPLY_KINDS = ("message", "email", "review", "social_comment", "survey_answer", "lead")
INLINE_LIMIT = 200  # more new touchpoints than this in a batch: tracked by a task
TASK_CHUNK = 2000

# Zendesk-style ticket statuses (Touchpoint.extra["status"]) -> conversation status.
SOURCE_STATUS = {
    "new": Conversation.Status.OPEN,
    "open": Conversation.Status.OPEN,
    "hold": Conversation.Status.OPEN,
    "on-hold": Conversation.Status.OPEN,
    "pending": Conversation.Status.WAITING,
    "solved": Conversation.Status.SOLVED,
    "closed": Conversation.Status.SOLVED,
}
# Words of a complaint, for when no text analysis exists yet.
_COMPLAINT = re.compile(
    r"\b(broken|damaged|faulty|defective|wrong|late|delayed|never (arrived|came|received)|"
    r"missing|refund|terrible|awful|horrible|disappointed|disappointing|unacceptable|angry|"
    r"furious|worst|complain\w*|rude|still waiting|charged twice|not working|doesn'?t work|"
    r"scam|useless|cancel my|stopped working|money back|second time|third time|"
    r"(has|have|had)(n'?t| not) (arrived|come|turned up)|not (arrived|received)|nobody|"
    r"no (reply|answer|response))\b",
    re.IGNORECASE,
)
# A message that only thanks or confirms needs no answer.
_THANKS_ONLY = re.compile(
    r"^\W*((many |thanks?( you)?( so much| a lot)?|thx|cheers|great|perfect|ok(ay)?|"
    r"got it|all good|brilliant|awesome|will do|sounds good)\W*)+"
    r"([a-z]+\W*)?$",
    re.IGNORECASE,
)
_FIELDS = (
    "id",
    "person_id",
    "kind",
    "channel",
    "direction",
    "occurred_at",
    "source",
    "thread",
    "subject",
    "text",
    "rating",
    "staff_id",
    "extra",
)


def on_stored(batch: StoredBatch, **_: Any) -> None:
    """File a committed batch's messages into conversations (now, or by a task if large)."""
    ids = batch.touchpoint_ids(*REPLY_KINDS)
    if not ids:
        return
    if len(ids) <= INLINE_LIMIT:
        track(ids)
        return
    for start in range(0, len(ids), TASK_CHUNK):
        track_task.enqueue(list(ids[start : start + TASK_CHUNK]))


@task(queue_name=queues.ANALYSIS)
def track_task(ids: list[int]) -> None:
    """:func:`track` in the worker, for a large batch."""
    track(ids)


def cancel_queued_tracking() -> int:
    """Drop the track tasks still waiting to run; how many.

    For a caller that has just filed every touchpoint itself (the demo): the waiting tasks
    would only file the same touchpoints again, ahead of everything else on the analysis
    queue. A task a worker already took is left alone (it is no longer waiting)."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return 0
    from django_tasks_db.models import DBTaskResult

    path = f"{track_task.func.__module__}.{track_task.func.__qualname__}"
    deleted, _ = DBTaskResult.objects.filter(task_path=path, status="READY").delete()
    return deleted


# ------------------------------------------------------------------------------------ rules


def analyses_of(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The voice app's analyses of these touchpoints, where it wrote one."""
    from devotion.voice.models import TextAnalysis

    rows = TextAnalysis.objects.filter(touchpoint_id__in=list(ids)).values(
        "touchpoint_id", "sentiment", "needs_reply", "topic", "emotions"
    )
    return {row["touchpoint_id"]: dict(row) for row in rows}


def is_negative(row: dict[str, Any], analysis: dict[str, Any] | None) -> bool:
    """A complaint: a low rating, negative feeling in the analysis, or complaint words."""
    rating = row.get("rating")
    survey = (row.get("extra") or {}).get("survey", "")
    if rating is not None:
        if survey == "nps":
            return rating <= 6
        if rating <= 2:
            return True
    if analysis is not None and analysis.get("sentiment") is not None:
        return bool(analysis["sentiment"] <= -0.25)
    return bool(_COMPLAINT.search(f"{row.get('subject', '')} {row.get('text', '')}"))


def needs_reply(row: dict[str, Any], analysis: dict[str, Any] | None) -> bool:
    """Whether this inbound item is owed an answer.

    Leads always; reviews and social comments with words (every comment counts) unless the
    review site shows a reply already; negative survey comments; messages unless the
    analysis says no, or (without one) they only say thanks.
    """
    kind, text = row["kind"], (row.get("text") or "").strip()
    extra = row.get("extra") or {}
    if row.get("direction") == "out":
        return False
    if kind == "lead":
        return True
    if kind == "review":
        return bool(text or (row.get("rating") or 5) <= 3) and not extra.get("reply")
    if kind == "social_comment":
        return bool(text)
    if kind == "survey_answer":
        return bool(text) and is_negative(row, analysis)
    if kind in ("message", "email"):
        if row.get("direction") != "in" or not (text or row.get("subject")):
            return False
        if analysis is not None:
            return bool(analysis.get("needs_reply"))
        return not (len(text) <= 80 and _THANKS_ONLY.match(text))
    return False


def conversation_key(row: dict[str, Any]) -> str:
    """A thread is one conversation; a survey answer or a review without one is its own."""
    if row["thread"] and row["kind"] != "survey_answer":
        return str(row["thread"])[:200]
    return f"tp-{row['id']}"


def team_for(teams: Sequence[SupportTeam], channel: str) -> SupportTeam | None:
    """The team that answers ``channel``: the first naming it, else the first naming none."""
    for team in teams:
        if channel in (team.channels or []):
            return team
    for team in teams:
        if not team.channels:
            return team
    return teams[0] if teams else None


# ---------------------------------------------------------------------------------- tracking


class _Context:
    """What one tracking run reads once: policies, teams, values, analyses, open promises."""

    def __init__(self, rows: list[dict[str, Any]], now: datetime) -> None:
        self.now = now
        self.horizon = now - timedelta(days=promises.HORIZON_DAYS)
        self.policies = list(SlaPolicy.objects.filter(is_active=True).order_by("position", "id"))
        self.teams = list(SupportTeam.objects.order_by("pk"))
        people = {row["person_id"] for row in rows}
        self.values: dict[int, Decimal] = dict(
            Person.objects.filter(pk__in=people).values_list("pk", "total_spent")
        )
        self.analyses = analyses_of(row["id"] for row in rows)

    def policy(self, conversation: Conversation, kind: str, target: str) -> SlaPolicy | None:
        return promises.choose_policy(
            self.policies,
            kind=kind,
            channel=conversation.channel,
            priority=conversation.priority,
            negative=conversation.negative,
            value=self.values.get(conversation.person_id, Decimal(0)),
            target=target,
        )


def track(ids: Sequence[int], *, now: datetime | None = None) -> int:
    """File touchpoints ``ids`` into conversations and promises; returns how many it filed.

    Safe to run twice on the same ids: promises are unique per (touchpoint, target) and a
    message older than what a conversation already knows changes nothing but its start.
    """
    now = now or timezone.now()
    rows = list(
        Touchpoint.objects.filter(pk__in=list(ids), kind__in=REPLY_KINDS)
        .order_by("occurred_at", "pk")
        .values(*_FIELDS)
    )
    if not rows:
        return 0
    context = _Context(rows, now)
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_key[conversation_key(row)].append(row)
    started = False
    with transaction.atomic():
        known = {
            c.key: c for c in Conversation.objects.select_for_update().filter(key__in=list(by_key))
        }
        active: dict[int, list[ReplyPromise]] = defaultdict(list)
        for promise in ReplyPromise.objects.filter(
            conversation__in=[c.pk for c in known.values()],
            state__in=[PromiseState.OPEN, PromiseState.PAUSED, PromiseState.BREACHED],
            met_at__isnull=True,
        ):
            active[promise.conversation_id or 0].append(promise)
        for key, group in by_key.items():
            conversation = known.get(key)
            mine = active[conversation.pk] if conversation is not None else []
            conversation, new = _file(context, key, conversation, group, mine)
            _broken_before_arrival(context, new)
            conversation.save()
            for promise in new:
                promise.conversation = conversation
            ReplyPromise.objects.bulk_create(new, ignore_conflicts=True)
            started = started or bool(new)
            for promise in mine:
                if promise.pk is not None:
                    promise.save()
    if started:
        # New timers: make sure a sweep is scheduled to watch them.
        from devotion.followup.timers import ensure_timer

        ensure_timer()
    return len(rows)


def _file(
    context: _Context,
    key: str,
    conversation: Conversation | None,
    rows: list[dict[str, Any]],
    active: list[ReplyPromise],
) -> tuple[Conversation, list[ReplyPromise]]:
    """Apply a conversation's new rows in time order; the new promises to create."""
    first = rows[0]
    if conversation is None:
        conversation = Conversation(
            key=key,
            person_id=first["person_id"],
            kind=first["kind"],
            channel=first["channel"] or "",
            source=first["source"],
            subject=(first["subject"] or first["text"] or "")[:120],
            opened_at=first["occurred_at"],
            team=team_for(context.teams, first["channel"] or ""),
        )
    new: list[ReplyPromise] = []
    live = list(active)  # this conversation's promises, the ones started here included
    for row in rows:
        conversation.opened_at = min(conversation.opened_at, row["occurred_at"])
        if conversation.last_message_at is not None and (
            row["occurred_at"],
            row["id"],
        ) <= (conversation.last_message_at, conversation.last_message_id):
            continue  # filed already, or older than what we know: it changes nothing now
        conversation.last_message_at, conversation.last_message_id = row["occurred_at"], row["id"]
        if row["direction"] == "out":
            _outbound(conversation, row, live)
        else:
            started = _inbound(context, conversation, row, live)
            new += started
            live += started
    return conversation, new


def _inbound(
    context: _Context,
    conversation: Conversation,
    row: dict[str, Any],
    active: list[ReplyPromise],
) -> list[ReplyPromise]:
    at: datetime = row["occurred_at"]
    extra = row.get("extra") or {}
    analysis = context.analyses.get(row["id"])
    conversation.last_inbound_at = at
    if not conversation.subject and (row["subject"] or row["text"]):
        conversation.subject = (row["subject"] or row["text"])[:120]
    if conversation.assignee_id is None and row["staff_id"]:
        conversation.assignee_id = row["staff_id"]
        # The queue's "mine" reads the assignee kept on each waiting promise.
        for promise in active:
            if promise.met_at is None:
                promise.assignee_id = conversation.assignee_id
    if is_negative(row, analysis):
        conversation.negative = True
    priority = str(extra.get("priority", "")).lower()
    if priority in Priority.values:
        conversation.priority = priority
    elif conversation.negative and conversation.priority == Priority.NORMAL:
        conversation.priority = Priority.HIGH
    # A review the site shows a reply to is answered already.
    if row["kind"] == "review" and extra.get("reply"):
        replied = _when(extra.get("replied_at")) or at
        conversation.first_reply_at = conversation.first_reply_at or replied
        conversation.last_outbound_at = replied
        conversation.awaiting_reply = False
        conversation.status = Conversation.Status.SOLVED
        conversation.solved_at = replied
        return []
    # The source's own status wins (a Zendesk export says pending, solved...).
    source_status = SOURCE_STATUS.get(str(extra.get("status", "")).lower())
    wants = needs_reply(row, analysis)
    status: str = source_status or (Conversation.Status.OPEN if wants else conversation.status)
    conversation.status = status
    if status == Conversation.Status.SOLVED:
        conversation.solved_at = _when(extra.get("solved_at")) or at
        conversation.awaiting_reply = False
        for promise in active:
            if promise.target == Target.RESOLUTION:
                promises.fulfil(promise, conversation.solved_at, by="solved")
            else:
                promises.cancel(promise, at, "solved")
        return []
    conversation.solved_at = None
    if status == Conversation.Status.WAITING:
        conversation.awaiting_reply = False
        for promise in active:
            promises.pause(promise, at)
        return []
    conversation.awaiting_reply = conversation.awaiting_reply or wants
    for promise in active:
        promises.resume(promise, at)
    if not wants or at < context.horizon:
        return []
    new = []
    waiting = [p for p in active if p.target != Target.RESOLUTION and p.is_waiting]
    if not waiting:
        target = Target.FIRST_REPLY if conversation.first_reply_at is None else Target.NEXT_REPLY
        reply_promise = _start(context, conversation, row, target)
        if reply_promise is not None:
            new.append(reply_promise)
    # Resolution: for tickets (a review or a lead is resolved by its reply).
    if conversation.kind in ("message", "email") and not any(
        p.target == Target.RESOLUTION for p in active
    ):
        resolution = _start(context, conversation, row, Target.RESOLUTION)
        if resolution is not None:
            new.append(resolution)
    return new


def _start(
    context: _Context, conversation: Conversation, row: dict[str, Any], target: str
) -> ReplyPromise | None:
    policy = context.policy(conversation, row["kind"], target)
    if policy is None:
        return None
    team = policy.team or conversation.team
    return promises.new_promise(conversation, row["id"], target, policy, team, row["occurred_at"])


def _broken_before_arrival(context: _Context, new: list[ReplyPromise]) -> None:
    """New promises still waiting after their batch (its replies applied) that broke long
    before they reached us (an import of last week's backlog): recorded as broken, and
    nobody is paged for them."""
    for promise in new:
        if (
            promise.state == PromiseState.OPEN
            and promise.met_at is None
            and promise.due_at < context.now - promises.ALERT_GRACE
        ):
            promise.state = PromiseState.BREACHED
            promise.breached_at = promise.due_at
            promise.warned_at = context.now
            promise.note("breached", context.now, before_it_reached_us=True)


def _outbound(conversation: Conversation, row: dict[str, Any], active: list[ReplyPromise]) -> None:
    at: datetime = row["occurred_at"]
    extra = row.get("extra") or {}
    conversation.last_outbound_at = at
    conversation.first_reply_at = conversation.first_reply_at or at
    conversation.awaiting_reply = False
    if conversation.assignee_id is None and row["staff_id"]:
        conversation.assignee_id = row["staff_id"]
    for promise in active:
        if promise.target != Target.RESOLUTION:
            promises.fulfil(promise, at, reply_id=row["id"])
            # Coverage counts an unassigned promise for whoever answered it.
            promise.assignee_id = promise.assignee_id or conversation.assignee_id
    status = SOURCE_STATUS.get(str(extra.get("status", "")).lower())
    if status is None:
        # Replies to a review, comment or lead close the item; a ticket waits on the customer.
        status = (
            Conversation.Status.WAITING
            if conversation.kind in ("message", "email")
            else Conversation.Status.SOLVED
        )
    set_status(conversation, status, at, active)


def set_status(
    conversation: Conversation, status: str, at: datetime, active: Iterable[ReplyPromise]
) -> None:
    """Move a conversation to ``status``: waiting pauses its clocks, solved ends them, open
    starts them again. The caller saves the conversation and the promises."""
    conversation.status = status
    for promise in active:
        if status == Conversation.Status.SOLVED:
            if promise.target == Target.RESOLUTION:
                promises.fulfil(promise, at, by="solved")
            else:
                promises.cancel(promise, at, "solved")
        elif status == Conversation.Status.WAITING:
            promises.pause(promise, at)
        else:
            promises.resume(promise, at)
    if status == Conversation.Status.SOLVED:
        conversation.solved_at = conversation.solved_at or at
        conversation.awaiting_reply = False
    else:
        conversation.solved_at = None
        if status == Conversation.Status.WAITING:
            conversation.awaiting_reply = False


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def on_merging(winner: Any, loser: Any, snapshot: dict[str, Any], **_: Any) -> None:
    """A merge, in its transaction: the loser's conversations and notes go with their
    touchpoints, and their owner too unless the winner has one; ``snapshot["followup"]``
    records which, for the undo."""
    from devotion.followup.models import Note, PersonOwner

    conversations = list(
        Conversation.objects.filter(person_id=loser.pk).values_list("pk", flat=True)
    )
    notes = list(Note.objects.filter(person_id=loser.pk).values_list("pk", flat=True))
    owner = None
    if not PersonOwner.objects.filter(person_id=winner.pk).exists():
        owner = PersonOwner.objects.filter(person_id=loser.pk).first()
    Conversation.objects.filter(pk__in=conversations).update(person_id=winner.pk)
    Note.objects.filter(pk__in=notes).update(person_id=winner.pk)
    if owner is not None:
        # The owner row's key is the person: move it by re-creating it under the winner.
        PersonOwner.objects.filter(person_id=loser.pk).delete()
        PersonOwner.objects.create(
            person_id=winner.pk, owner_id=owner.owner_id, set_by_id=owner.set_by_id,
            set_at=owner.set_at,
        )  # fmt: skip
    snapshot["followup"] = {
        "conversations": conversations,
        "notes": notes,
        "owner_moved": owner is not None,
    }


def on_unmerging(merge: Any, **_: Any) -> None:
    """An undo, in its transaction: exactly the conversations, notes and owner the merge
    moved go back to the person they came from."""
    from devotion.followup.models import Note, PersonOwner

    moved = merge.snapshot.get("followup") or {}
    Conversation.objects.filter(
        pk__in=moved.get("conversations", []), person_id=merge.winner_id
    ).update(person_id=merge.loser_id)
    Note.objects.filter(pk__in=moved.get("notes", []), person_id=merge.winner_id).update(
        person_id=merge.loser_id
    )
    if moved.get("owner_moved"):
        owner = PersonOwner.objects.filter(person_id=merge.winner_id).first()
        if owner is not None:
            PersonOwner.objects.filter(person_id=merge.winner_id).delete()
            PersonOwner.objects.update_or_create(
                person_id=merge.loser_id,
                defaults={
                    "owner_id": owner.owner_id,
                    "set_by_id": owner.set_by_id,
                    "set_at": owner.set_at,
                },
            )
