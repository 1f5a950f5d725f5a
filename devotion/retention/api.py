"""``/api/v1/segments``: saved and built-in segments, their live counts, and their members.

Needs the ``people:read`` scope (members are people). Lists page by id with an opaque
cursor, never ``OFFSET``; the counts of a page of segments take one query together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from devotion.api.auth import ApiKeyAuth
from devotion.api.errors import ApiError
from devotion.api.schemas import ErrorOut
from devotion.people.models import Stage
from devotion.retention.models import Segment
from devotion.retention.segments import (
    DefinitionError,
    NotScoredYet,
    live_counts,
    not_scored_fields,
    parse_definition,
    scores_computed,
    segment_people,
)

router = Router(tags=["segments"], auth=ApiKeyAuth("people:read"))
_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
MAX_ID = 2**63 - 1


class WroteAboutOut(Schema):
    topic: str = Field(description="A topic as the Voice page names it.")
    days: int = Field(description="Today (UTC) and the days before it, N in all.")


class ConditionOut(Schema):
    field: str = Field(description="The person field filtered on (stage, total_spent, ...).")
    op: Literal["in", "gte", "lte", "within", "over", "is"] = Field(
        description="in: one of the values; gte/lte: at least/at most; within: in the last N "
        "days (for wrote_about: a message on the topic in the last N days); over: more than "
        "N days ago or never; is: consent status or yes/no."
    )
    value: bool | int | float | str | list[str] | WroteAboutOut = Field(
        description="What it compares with."
    )


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    builtin: Literal["", "satisfied_defectors", "discount_wont_pay"] = Field(
        description="Empty for a saved segment; else the built-in rule whose members come "
        "from the latest retention analysis."
    )
    conditions: list[ConditionOut] = Field(description="All must hold. Empty for built-ins.")
    count: int | None = Field(
        description="Live members now; null when the segment filters on score fields this "
        "installation has not computed yet (see not_scored_fields)."
    )
    not_scored_fields: list[str]
    created_at: datetime
    updated_at: datetime


class SegmentListOut(Schema):
    items: list[SegmentOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class MemberOut(Schema):
    id: int
    display_name: str
    primary_email: str
    stage: Stage
    country: str
    order_count: int
    total_spent: Decimal = Field(description="In the reporting currency.")
    last_activity_at: datetime | None


class MembersOut(Schema):
    items: list[MemberOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, description="next_cursor of the previous page.")


def _after(cursor: str | None) -> int:
    """The id a page continues after (the cursor is that id, as given out)."""
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 19 or int(cursor) > MAX_ID:
        raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.")
    return int(cursor)


def _conditions(segment: Segment) -> list[dict[str, Any]]:
    """The segment's conditions as checked on save (none if the stored JSON went bad)."""
    try:
        return [c.as_json() for c in parse_definition(segment.definition or {})]
    except DefinitionError:
        return []


def _out(segment: Segment, count: int | None, computed: bool) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "description": segment.description,
        "builtin": segment.builtin,
        "conditions": _conditions(segment),
        "count": count,
        "not_scored_fields": not_scored_fields(segment, computed),
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


def _segment(segment_id: int) -> Segment:
    segment = Segment.objects.filter(pk=segment_id).first() if 0 < segment_id <= MAX_ID else None
    if segment is None:
        raise ApiError(404, "segment_not_found", f"There is no segment {segment_id}.")
    return segment


@router.get(
    "/segments",
    response={200: SegmentListOut, **_ERRORS},
    summary="Segments",
    description="Saved and built-in segments by id, each with its live member count.",
)
def list_segments(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    # 1. A page of segments after the cursor, plus one to know whether more follow.
    rows = list(Segment.objects.filter(pk__gt=_after(page.cursor)).order_by("pk")[: page.limit + 1])
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    # 2. Their counts, one query for the page (and one to learn whether scores exist).
    computed = scores_computed()
    counts = live_counts(rows, computed=computed)
    return {
        "items": [_out(s, counts.get(s.pk), computed) for s in rows],
        "next_cursor": str(rows[-1].pk) if more else None,
    }


@router.get(
    "/segments/{segment_id}",
    response={200: SegmentOut, **_ERRORS},
    summary="One segment",
    description="A segment's definition and live member count.",
)
def get_segment(request: HttpRequest, segment_id: int) -> dict[str, Any]:
    segment = _segment(segment_id)
    computed = scores_computed()
    return _out(segment, live_counts([segment], computed=computed).get(segment.pk), computed)


@router.get(
    "/segments/{segment_id}/members",
    response={200: MembersOut, 409: ErrorOut, **_ERRORS},
    summary="A segment's members",
    description="Live people in the segment now, by id. 409 segment_not_scored when it "
    "filters on score fields not computed yet.",
)
def segment_members(
    request: HttpRequest, segment_id: int, page: Query[PageQuery]
) -> dict[str, Any]:
    # 1. The segment and its query (or why it has none yet).
    segment = _segment(segment_id)
    try:
        people = segment_people(segment)
    except NotScoredYet as exc:
        raise ApiError(
            409,
            "segment_not_scored",
            f"This segment filters on {exc}, which are not computed yet: run the scoring.",
        ) from None
    except DefinitionError as exc:
        raise ApiError(409, "segment_invalid", str(exc)) from None
    # 2. One page by id after the cursor.
    rows = list(
        people.filter(pk__gt=_after(page.cursor))
        .order_by("pk")
        .values(*MemberOut.model_fields)[: page.limit + 1]
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return {"items": rows, "next_cursor": str(rows[-1]["id"]) if more else None}
