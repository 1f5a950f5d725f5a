"""The live queue: every item awaiting a reply, the most urgent first.

One query for the rows (the ``promise_waiting`` partial index, in ``due_at`` order, joined
to the conversation, person and assignee) and one for their text analyses: the same cost
with 100 or 100,000 items waiting. The page and ``GET /api/v1/queue`` both read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from devotion.followup.models import Conversation, PromiseState, ReplyPromise, Target
from devotion.followup.tracking import analyses_of
from devotion.lib import money
from devotion.people.models import Person
from devotion.touchpoints.kinds import CHANNELS

LIMIT = 100
COUNT_CAP = 1000


@dataclass(frozen=True)
class QueueFilters:
    """Which part of the queue: ``mine`` (assigned to ``staff_id``), a team, a channel."""

    mine: bool = False
    staff_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    channel: str = ""


@dataclass
class QueueItem:
    """One row of the queue."""

    promise: ReplyPromise
    feeling: str  # negative | neutral | positive | "" (unknown)
    sentiment: float | None
    topic: str
    time_left: timedelta

    @property
    def conversation(self) -> Conversation:
        # waiting() reads only promises filed in a conversation (the queue's are).
        assert self.promise.conversation is not None
        return self.promise.conversation

    @property
    def breached(self) -> bool:
        return self.time_left.total_seconds() <= 0

    @property
    def warned(self) -> bool:
        return self.promise.warned_at is not None

    @property
    def value(self) -> dict[str, Any]:
        """The customer's value: amount, currency, as written, incomplete (see value_of)."""
        return value_of(self.conversation.person)


def value_of(person: Person) -> dict[str, Any]:
    """What a customer has spent, as the queue shows it: ``value`` (in the reporting currency,
    with its decimals), ``currency``, ``value_text`` as the locale writes it ("$1,234.50"),
    and ``value_incomplete`` when orders in a currency without a rate are left out."""
    currency = settings.REPORTING_CURRENCY
    amount = money.rounded(Decimal(person.total_spent or 0), currency)
    return {
        "value": amount,
        "currency": currency,
        "value_text": money.format_money(amount, currency, settings.MONEY_LOCALE),
        "value_incomplete": person.spend_incomplete,
    }


def waiting(filters: QueueFilters) -> QuerySet[ReplyPromise]:
    """Reply promises still waiting, the filters applied, most urgent first."""
    found = ReplyPromise.objects.filter(
        met_at__isnull=True,
        conversation__isnull=False,
        state__in=[PromiseState.OPEN, PromiseState.BREACHED],
        target__in=[Target.FIRST_REPLY, Target.NEXT_REPLY],
    )
    # Each waiting promise keeps its conversation's assignee (assigning updates both), so
    # "mine" walks the promise_waiting_assignee index in due order and stops at a page.
    if filters.mine:
        found = found.filter(assignee_id=filters.staff_id)
    elif filters.unassigned:
        found = found.filter(assignee__isnull=True)
    if filters.team_id:
        found = found.filter(conversation__team_id=filters.team_id)
    if filters.channel in CHANNELS:
        found = found.filter(channel=filters.channel)
    return found.order_by("due_at", "pk")


# The columns the page and the API show: a row reads these and no more (the person row is
# wide, and each column costs a conversion per row).
COLUMNS = (
    "touchpoint_id",
    "conversation_id",
    "target",
    "state",
    "due_at",
    "warned_at",
    "conversation__kind",
    "conversation__channel",
    "conversation__subject",
    "conversation__status",
    "conversation__priority",
    "conversation__negative",
    "conversation__team",
    "conversation__person",
    "conversation__assignee",
    "conversation__person__display_name",
    "conversation__person__primary_email",
    "conversation__person__total_spent",
    "conversation__person__spend_incomplete",
    "conversation__assignee__display_name",
)


def queryset(filters: QueueFilters) -> QuerySet[ReplyPromise]:
    """:func:`waiting` with what a queue row shows, in one query."""
    return (
        waiting(filters)
        .select_related("conversation__person", "conversation__assignee")
        .only(*COLUMNS)
    )


def count(filters: QueueFilters) -> int:
    """How many wait, counted up to :data:`COUNT_CAP` (then that): the page says "1000+",
    so a refresh never counts the whole queue (100,000 rows, a join per row when filtered)."""
    return waiting(filters).order_by()[:COUNT_CAP].count()


def items(
    filters: QueueFilters, *, limit: int = LIMIT, now: datetime | None = None
) -> list[QueueItem]:
    """The most urgent ``limit`` rows with their feeling and topic."""
    now = now or timezone.now()
    promises = list(queryset(filters)[:limit])
    analyses = analyses_of(p.touchpoint_id for p in promises)
    rows = []
    for promise in promises:
        analysis = analyses.get(promise.touchpoint_id) or {}
        sentiment = analysis.get("sentiment")
        negative = promise.conversation.negative if promise.conversation else False
        rows.append(
            QueueItem(
                promise=promise,
                feeling=_feeling(sentiment, negative),
                sentiment=sentiment,
                topic=str(analysis.get("topic") or ""),
                time_left=promise.due_at - now,
            )
        )
    return rows


def _feeling(sentiment: float | None, negative: bool) -> str:
    if sentiment is None:
        return "negative" if negative else ""
    if sentiment <= -0.25:
        return "negative"
    return "positive" if sentiment >= 0.25 else "neutral"


def describe_left(left: timedelta) -> str:
    """Time left as people say it: "in 42 min", "3 h 5 min late".

    >>> describe_left(timedelta(minutes=42, seconds=10))
    '42 min'
    >>> describe_left(timedelta(hours=-3, minutes=-5))
    '3 h 5 min late'
    >>> describe_left(timedelta(days=2, hours=1))
    '2 d 1 h'
    """
    seconds = int(left.total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days} d {hours} h" if hours else f"{days} d"
    elif hours:
        text = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    else:
        text = f"{minutes} min"
    return f"{text} late" if late else text
