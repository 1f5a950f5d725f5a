"""``/api/v1/people``: search people, read one person, page through their timeline.

Lists use keyset (cursor) pagination, never ``COUNT(*)`` or ``OFFSET``: the cost of a page is
the same on page 1 and page 10,000, with millions of people.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from devotion.api.auth import ApiKeyAuth
from devotion.api.errors import ApiError, error_response
from devotion.api.schemas import (
    ErrorOut,
    MergedOut,
    PeopleListOut,
    PersonOut,
    TimelineOut,
)
from devotion.lib import money
from devotion.people.models import Person, Stage
from devotion.people.search import search_people
from devotion.people.spend import spent_by_currency
from devotion.retention.story import latest_snapshot, scores_of
from devotion.touchpoints.models import Touchpoint
from devotion.voice.api_text import ANALYSIS_FIELDS, stored_analysis

router = Router(tags=["people"], auth=ApiKeyAuth("people:read"))

RECENT_TOUCHPOINTS = 20
_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
_SUMMARY_FIELDS = (
    "id",
    "display_name",
    "primary_email",
    "primary_phone",
    "stage",
    "last_activity_at",
    "order_count",
    "total_spent",
    "spend_incomplete",
    "health_score",
    "churn_probability",
)
_TOUCHPOINT_FIELDS = (
    "id",
    "kind",
    "channel",
    "direction",
    "occurred_at",
    "source",
    "external_id",
    "thread",
    "subject",
    "text",
    "amount",
    "currency",
    "rating",
    "extra",
    "staff__display_name",
    *ANALYSIS_FIELDS,
)


# ---------------------------------------------------------------------------------- cursors


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the row a page ended on.

    >>> decode_cursor(encode_cursor(["2025-01-01T00:00:00+00:00", 7]))
    ['2025-01-01T00:00:00+00:00', 7]
    """
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, RecursionError):  # RecursionError: a forged, absurdly nested cursor
        raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.") from None
    if not isinstance(values, list) or len(values) != 2 or not isinstance(values[1], int):
        raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.")
    return values


def _cursor_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.") from None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# ----------------------------------------------------------------------------------- people


class PeopleQuery(Schema):
    q: str = NinjaField("", description="Name prefix, e-mail prefix, phone or source id.")
    stage: Stage | None = NinjaField(None, description="Only people at this journey stage.")
    limit: int = NinjaField(50, ge=1, le=200)
    cursor: str | None = NinjaField(None, description="next_cursor of the previous page.")


@router.get(
    "/people",
    response={200: PeopleListOut, **_ERRORS},
    summary="Search people",
    description="Live (not merged) people, most recently active first (people with no "
    "activity last), then by id.",
)
def list_people(request: HttpRequest, filters: Query[PeopleQuery]) -> dict[str, Any]:
    # 1. Match: the search helper when there is a query, everyone live otherwise.
    people: QuerySet[Person] = (
        search_people(filters.q) if filters.q.strip() else Person.objects.live()
    )
    if filters.stage:
        people = people.filter(stage=filters.stage)
    # 2. Resume after the cursor's row: (last activity desc, nulls last; id asc).
    if filters.cursor:
        raw_when, after_id = decode_cursor(filters.cursor)
        when = _cursor_time(raw_when)
        if when is None:
            people = people.filter(last_activity_at__isnull=True, id__gt=after_id)
        else:
            people = people.filter(
                Q(last_activity_at__lt=when)
                | Q(last_activity_at=when, id__gt=after_id)
                | Q(last_activity_at__isnull=True)
            )
    # 3. One page plus one row, to know whether there is a next page.
    rows = list(
        people.order_by(F("last_activity_at").desc(nulls_last=True), "id").values(*_SUMMARY_FIELDS)[
            : filters.limit + 1
        ]
    )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = (
        encode_cursor([_iso(rows[-1]["last_activity_at"]), rows[-1]["id"]]) if more else None
    )
    return {"items": rows, "next_cursor": next_cursor}


def _live_person(person_id: int, suffix: str = "") -> Person | HttpResponse:
    """The person, or a 301 to the person they were merged into, or a 404 error."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ApiError(404, "person_not_found", f"There is no person {person_id}.")
    if person.merged_into_id is None:
        return person
    # Follow a chain of merges (A into B, later B into C) to the one that is live.
    winner_id = person.merged_into_id
    for _ in range(50):
        next_id = Person.objects.filter(pk=winner_id).values_list("merged_into_id", flat=True)
        nxt = next_id.first()
        if nxt is None:
            break
        winner_id = nxt
    location = f"/api/v1/people/{winner_id}{suffix}"
    response = error_response(
        301,
        "person_merged",
        f"Person {person_id} was merged into person {winner_id}.",
        details={"merged_into": winner_id},
        headers={"Location": location},
    )
    body = json.loads(response.content)
    body.update({"merged_into": winner_id, "location": location})
    response.content = json.dumps(body).encode()
    return response


def _touchpoint_dict(row: dict[str, Any]) -> dict[str, Any]:
    row["staff"] = row.pop("staff__display_name")
    row["analysis"] = stored_analysis(row)
    for name in ANALYSIS_FIELDS:
        del row[name]
    return row


@router.get(
    "/people/{person_id}",
    response={200: PersonOut, 301: MergedOut, **_ERRORS},
    summary="One person",
    description="Identities, personal facts, stage, aggregates, scores and the 20 most recent "
    "touchpoints. A person merged into another answers 301 with a Location header pointing to "
    "the survivor (HTTP clients that follow redirects land on the survivor's record).",
)
def get_person(request: HttpRequest, person_id: int) -> Any:
    # 1. Find the person, or say where they went.
    found = _live_person(person_id)
    if isinstance(found, HttpResponse):
        return found
    person = found
    # 2. Everything held about them, one query each.
    identities = list(
        person.identities.order_by("kind", "source", "value").values("kind", "source", "value")
    )
    facts = [
        {
            "key": fact.key,
            "value": fact.value,
            "learned_at": fact.learned_at,
            "expires_at": fact.expires_at,
            "source": fact.source_note
            or (f"touchpoint {fact.learned_from_id}" if fact.learned_from_id else ""),
            "touchpoint_id": fact.learned_from_id,
        }
        for fact in person.facts.all()
    ]
    recent = [
        _touchpoint_dict(row)
        for row in Touchpoint.objects.filter(person=person)
        .order_by("-occurred_at", "-id")
        .values(*_TOUCHPOINT_FIELDS)[:RECENT_TOUCHPOINTS]
    ]
    spent = spent_by_currency([person.pk]).get(person.pk, {})
    merged_from = list(
        Person.objects.filter(merged_into=person).order_by("id").values_list("id", flat=True)
    )
    return {
        "id": person.pk,
        "display_name": person.display_name,
        "primary_email": person.primary_email,
        "primary_phone": person.primary_phone,
        "stage": person.stage,
        "is_advocate": person.is_advocate,
        "preferred_channel": person.preferred_channel,
        "preferred_tone": person.preferred_tone,
        "country": person.country,
        "consent": {
            c.purpose: {"status": c.status, "recorded_at": c.recorded_at, "source": c.source}
            for c in person.consents()
        },
        "aggregates": {
            "order_count": person.order_count,
            "total_spent": person.total_spent,
            "currency": settings.REPORTING_CURRENCY,
            "spend_incomplete": person.spend_incomplete,
            "spent_by_currency": {
                currency: money.rounded(amount, currency)
                for currency, amount in sorted(spent.items())
            },
            "first_seen_at": person.first_seen_at,
            "last_activity_at": person.last_activity_at,
        },
        "scores": scores_of(person, latest_snapshot(person)),
        "identities": identities,
        "facts": facts,
        "merged_into": None,
        "merged_from": merged_from,
        "created_at": person.created_at,
        "recent_touchpoints": recent,
    }


class TimelineQuery(Schema):
    kind: str | None = NinjaField(None, description="Only this kind (order, message…).")
    channel: str | None = NinjaField(None, description="Only this channel (email, web…).")
    limit: int = NinjaField(50, ge=1, le=200)
    cursor: str | None = NinjaField(None, description="next_cursor of the previous page.")


@router.get(
    "/people/{person_id}/timeline",
    response={200: TimelineOut, 301: MergedOut, **_ERRORS},
    summary="A person's timeline",
    description="Every touchpoint of the person on every channel, newest first.",
)
def get_timeline(request: HttpRequest, person_id: int, filters: Query[TimelineQuery]) -> Any:
    # 1. Find the person, or say where they went.
    found = _live_person(person_id, "/timeline")
    if isinstance(found, HttpResponse):
        return found
    # 2. Filter, then resume after the cursor's row: (occurred_at desc, id desc).
    touchpoints = Touchpoint.objects.filter(person=found)
    if filters.kind:
        touchpoints = touchpoints.filter(kind=filters.kind)
    if filters.channel:
        touchpoints = touchpoints.filter(channel=filters.channel)
    if filters.cursor:
        raw_when, before_id = decode_cursor(filters.cursor)
        when = _cursor_time(raw_when)
        if when is None:
            raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.")
        touchpoints = touchpoints.filter(
            Q(occurred_at__lt=when) | Q(occurred_at=when, id__lt=before_id)
        )
    # 3. One page plus one row, to know whether there is a next page.
    rows = list(
        touchpoints.order_by("-occurred_at", "-id").values(*_TOUCHPOINT_FIELDS)[: filters.limit + 1]
    )
    more = len(rows) > filters.limit
    rows = [_touchpoint_dict(row) for row in rows[: filters.limit]]
    next_cursor = encode_cursor([_iso(rows[-1]["occurred_at"]), rows[-1]["id"]]) if more else None
    return {"items": rows, "next_cursor": next_cursor}
