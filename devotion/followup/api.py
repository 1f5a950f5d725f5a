"""``/api/v1/queue`` (what waits for a reply, most urgent first) and ``/api/v1/coach`` (the
reply coach on a draft)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from devotion.api.auth import ApiKeyAuth
from devotion.api.errors import ApiError
from devotion.api.people import decode_cursor, encode_cursor
from devotion.api.schemas import ErrorOut
from devotion.followup import coverage, queue
from devotion.followup.replies import context_for
from devotion.followup.tracking import analyses_of
from devotion.nlp import coach
from devotion.people.models import Person
from devotion.touchpoints.kinds import CHANNELS
from devotion.touchpoints.models import Touchpoint

router = Router(tags=["follow-up"])

_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
Channel = Literal[tuple(CHANNELS)]  # type: ignore[valid-type]


# ------------------------------------------------------------------------------------ queue


class QueueQuery(Schema):
    assignee_id: int | None = Field(
        None, ge=1, le=2**53, description="Only items assigned to this staff member."
    )
    unassigned: bool = Field(False, description="Only items nobody is assigned to.")
    team_id: int | None = Field(None, ge=1, le=2**53, description="Only this team's items.")
    channel: Channel | None = Field(  # type: ignore[valid-type]
        None, description="Only items on this channel."
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(
        None, max_length=500, description="next_cursor of the previous page."
    )


class QueueItemOut(Schema):
    promise_id: int
    conversation_id: int
    touchpoint_id: int
    target: Literal["first_reply", "next_reply"]
    state: Literal["open", "breached"]
    due_at: datetime
    seconds_left: int = Field(description="Negative once the promise is broken.")
    warned: bool
    person_id: int
    customer: str
    channel: str
    kind: str
    subject: str
    priority: Literal["low", "normal", "high", "urgent"]
    status: Literal["open", "waiting", "solved"]
    value: Decimal = Field(
        description="What the customer has spent, in `currency` (the reporting currency), with "
        "that currency's decimals: each order converted with the business's rates."
    )
    currency: str = Field(description="The currency of `value` (ISO 4217), e.g. USD.")
    value_text: str = Field(
        description='`value` as the business\'s locale writes it, e.g. "$1,234.50".'
    )
    value_incomplete: bool = Field(
        description="True when orders in a currency without a rate are left out of `value`."
    )
    feeling: Literal["negative", "neutral", "positive", ""] = Field(
        description="From the text analysis (or complaint signs); empty when unknown."
    )
    sentiment: float | None
    topic: str
    assignee_id: int | None
    assignee: str | None
    team_id: int | None


class QueueOut(Schema):
    items: list[QueueItemOut]
    next_cursor: str | None


@router.get(
    "/queue",
    response={200: QueueOut, **_ERRORS},
    auth=ApiKeyAuth("queue:read"),
    summary="The reply queue",
    description="Items awaiting a reply (first or next reply promises not yet met), the one "
    "closest to breaking first (broken ones lead). Keyset-paged by (due_at, promise id).",
)
def get_queue(request: HttpRequest, filters: Query[QueueQuery]) -> dict[str, Any]:
    # 1. The waiting promises, filtered (with the columns a row shows).
    found = queue.queryset(
        queue.QueueFilters(
            mine=filters.assignee_id is not None,
            staff_id=filters.assignee_id,
            unassigned=filters.unassigned,
            team_id=filters.team_id,
            channel=filters.channel or "",
        )
    )
    # 2. After the cursor's row.
    if filters.cursor:
        raw_due, after = decode_cursor(filters.cursor)
        try:
            due = datetime.fromisoformat(str(raw_due))
        except ValueError:
            raise ApiError(
                422, "invalid_cursor", "The cursor is not one this API gave out."
            ) from None
        found = found.filter(Q(due_at__gt=due) | Q(due_at=due, pk__gt=after))
    # 3. One page plus one row, with feelings from the text analyses.
    promises = list(found[: filters.limit + 1])
    more = len(promises) > filters.limit
    promises = promises[: filters.limit]
    analyses = analyses_of(p.touchpoint_id for p in promises)
    now = timezone.now()
    items = []
    for promise in promises:
        conversation = promise.conversation
        assert conversation is not None  # waiting() reads promises with a conversation
        analysis = analyses.get(promise.touchpoint_id) or {}
        sentiment = analysis.get("sentiment")
        person = conversation.person
        items.append(
            {
                "promise_id": promise.pk,
                "conversation_id": conversation.pk,
                "touchpoint_id": promise.touchpoint_id,
                "target": promise.target,
                "state": promise.state,
                "due_at": promise.due_at,
                "seconds_left": int((promise.due_at - now).total_seconds()),
                "warned": promise.warned_at is not None,
                "person_id": person.pk,
                "customer": person.display_name or person.primary_email,
                "channel": conversation.channel,
                "kind": conversation.kind,
                "subject": conversation.subject,
                "priority": conversation.priority,
                "status": conversation.status,
                **queue.value_of(person),
                "feeling": queue._feeling(sentiment, conversation.negative),
                "sentiment": sentiment,
                "topic": str(analysis.get("topic") or ""),
                "assignee_id": conversation.assignee_id,
                "assignee": str(conversation.assignee) if conversation.assignee else None,
                "team_id": conversation.team_id,
            }
        )
    last = promises[-1] if promises else None
    next_cursor = encode_cursor([last.due_at.isoformat(), last.pk]) if more and last else None
    return {"items": items, "next_cursor": next_cursor}


# --------------------------------------------------------------------------------- coverage


class CoverageQuery(Schema):
    by: Literal["channel", "team", "agent", "week"] = Field(
        "channel", description="Group by channel, team, agent (the assignee) or week."
    )
    days: int = Field(30, ge=1, le=366, description="The last this many days.")


class CoverageRowOut(Schema):
    key: str = Field(description="Channel code, team or staff id, week start; empty: none.")
    label: str
    inbound: int = Field(description="Messages that needed a reply.")
    answered: int
    answered_in_time: int
    checked_by_coach: int = Field(description="Answers written in Devotion (coach-checked).")
    answered_completely: int = Field(description="Checked answers that missed no point.")
    answered_share: float | None
    in_time_share: float | None
    complete_share: float | None = Field(description="Of the checked answers.")


class CoverageOut(Schema):
    by: str
    days: int
    total: CoverageRowOut
    rows: list[CoverageRowOut]


@router.get(
    "/coverage",
    response={200: CoverageOut, **_ERRORS},
    auth=ApiKeyAuth("queue:read"),
    summary="Reply coverage",
    description="Of the inbound messages that needed a reply (first and next reply promises "
    "started in the period): how many were answered, answered in time, and answered "
    "completely (the coach found every point answered, for replies written in Devotion).",
)
def get_coverage(request: HttpRequest, filters: Query[CoverageQuery]) -> dict[str, Any]:
    rows = coverage.coverage(filters.by, days=filters.days)
    return {
        "by": filters.by,
        "days": filters.days,
        "total": coverage.total(rows).as_dict(),
        "rows": [row.as_dict() for row in rows],
    }


# ------------------------------------------------------------------------------------ coach


class CoachIn(Schema):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=20_000, description="What the customer wrote.")
    draft: str = Field(max_length=20_000, description="The reply being written.")
    person_id: int | None = Field(
        None, ge=1, le=2**53, description="The customer, for personal suggestions."
    )
    touchpoint_id: int | None = Field(
        None, ge=1, le=2**53, description="The message being answered (its customer is used)."
    )


class PointOut(Schema):
    text: str
    kind: Literal["question", "complaint", "request"]
    answered: bool
    answered_by: str = Field(description="The draft sentence that answers it (empty if none).")


class RewriteOut(Schema):
    sentence: str
    suggestion: str
    reason: str


class CoachOut(Schema):
    points: list[PointOut]
    misses_points: bool
    customer_upset: bool
    acknowledges_feeling: bool | None = Field(description="null when the customer is not upset.")
    next_step: bool
    next_step_text: str
    company_centred: bool
    rewrites: list[RewriteOut]
    personalisation: list[str]
    reasons: list[str]


@router.post(
    "/coach",
    response={200: CoachOut, 400: ErrorOut, **_ERRORS},
    auth=ApiKeyAuth("coach:use"),
    summary="Coach a reply",
    description="The points the customer raised and which the draft answers, whether they are "
    "upset and the draft acknowledges it, a next step, company-centred sentences with "
    "rewrites, and what we know of the customer that the draft could use.",
)
def post_coach(request: HttpRequest, body: CoachIn) -> dict[str, Any]:
    # 1. The customer, for personal suggestions (from the person or the message).
    context = None
    person_id = body.person_id
    if body.touchpoint_id is not None:
        touchpoint = Touchpoint.objects.filter(pk=body.touchpoint_id).only("person_id").first()
        if touchpoint is None:
            raise ApiError(
                404, "touchpoint_not_found", f"There is no touchpoint {body.touchpoint_id}."
            )
        person_id = person_id or touchpoint.person_id
    if person_id is not None:
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            raise ApiError(404, "person_not_found", f"There is no person {person_id}.")
        from devotion.followup.models import Conversation

        context = context_for(Conversation(person=person))
    # 2. The coach.
    return coach.review(body.message, body.draft, context).as_dict()
