"""``GET /api/v1/scores``: everyone's current scores, a page at a time (keyset on id)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from devotion.analytics.rfm import SEGMENTS
from devotion.api.auth import ApiKeyAuth
from devotion.api.people import decode_cursor, encode_cursor
from devotion.api.schemas import ErrorOut
from devotion.people.models import Person, Stage
from devotion.retention.models import PERSON_SCORE_FIELDS

router = Router(tags=["scores"], auth=ApiKeyAuth("people:read"))
_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ScoreRowOut(Schema):
    person_id: int
    email: str
    health_score: float | None
    churn_probability: float | None
    expected_purchases_90d: float | None
    expected_purchases_365d: float | None
    lifetime_value: Decimal | None
    rfm_segment: str
    cluster: str
    stage: str
    computed_at: datetime | None


class ScoresPageOut(Schema):
    items: list[ScoreRowOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class ScoresQuery(Schema):
    rfm_segment: str | None = Field(
        None, description="Only this RFM segment: " + ", ".join(SEGMENTS) + "."
    )
    stage: Stage | None = Field(None, description="Only people at this journey stage.")
    scored: bool = Field(False, description="Only people with scores (customers).")
    limit: int = Field(100, ge=1, le=1000)
    cursor: str | None = Field(None, description="next_cursor of the previous page.")


_FIELDS = PERSON_SCORE_FIELDS


@router.get(
    "/scores",
    response={200: ScoresPageOut, **_ERRORS},
    summary="Everyone's scores",
    description="One row per live person in id order, with their current scores (null / "
    "empty until scored; people without an order are not scored).",
)
def list_scores(request: HttpRequest, filters: Query[ScoresQuery]) -> dict[str, Any]:
    # 1. Filter.
    people = Person.objects.live()
    if filters.rfm_segment:
        # The exclude states the partial index's condition, so SQLite can use it.
        people = people.filter(rfm_segment=filters.rfm_segment).exclude(rfm_segment="")
    if filters.stage:
        people = people.filter(stage=filters.stage)
    if filters.scored:
        people = people.filter(scored_at__isnull=False)
    # 2. Resume after the cursor's id.
    if filters.cursor:
        _, after = decode_cursor(filters.cursor)
        people = people.filter(id__gt=after)
    # 3. One page plus one row, to know whether there is a next page.
    rows = list(people.order_by("id").values_list(*_FIELDS)[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    items = [
        dict(zip(("person_id", "email", *_FIELDS[2:-1], "computed_at"), row, strict=True))
        for row in rows
    ]
    return {
        "items": items,
        "next_cursor": encode_cursor(["id", rows[-1][0]]) if more else None,
    }
