"""``POST /api/v1/events``: touchpoints and profile records in, one result per event."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from devotion.api.auth import ApiKeyAuth
from devotion.api.errors import ApiError, parse_json
from devotion.api.idempotency import idempotent
from devotion.api.schemas import EVENT_EXAMPLE, ErrorOut, EventsOut
from devotion.ingest.store import ingest

router = Router(tags=["events"])

_DESCRIPTION = """
Send one event, or a batch of 1 to 1,000 as `{"events": [...]}`. Each event is a touchpoint
(order, message, review…) or a `customer` profile record, in the canonical shape documented in
`docs/events.md` (schemas `EventIn` / `EventBatchIn`). The person is found by any normalised
e-mail, phone or source id they share with what is stored, or created.

Every event gets its own result, in request order: `created`, `updated` (a profile record that
added something), `duplicate` (already stored: `(source, external_id)` is unique, so re-sending
is safe) or `rejected` with a `reason`. A rejected event never fails the rest of the batch: the
answer is 200 as long as the request itself was well-formed: a JSON object (nested at most
64 levels) that is one event or a batch of 1 to 1,000, each an object with `kind`, `source`
and `person` (an object). A body that is not is refused as a whole: 400 `invalid_json`,
422 `invalid_body` (with `details` giving each problem's location) or `empty_batch`, 413
`batch_too_large`.

Send an `Idempotency-Key` header to make retries safe: the first answer is replayed for 24 h;
a duplicate sent while the first is still running gets 409 `idempotency_in_progress`.
"""

# The request body schema says what the endpoint refuses as a whole, and no more: an event
# must be an object with kind, source and person (an object). Its fields are documented by
# EventIn, but a value EventIn would not allow (a bad date, an unknown kind, facts that are not
# an object) is that event's own ``rejected`` result with a 200, so the body schema must not
# claim it makes the request invalid (Schemathesis' negative_data_rejection holds us to that).
_EVENT_OBJECT = {
    "type": "object",
    "required": ["kind", "source", "person"],
    "properties": {"person": {"type": "object"}},
    "description": "One event; its fields are those of EventIn "
    "(#/components/schemas/EventIn). An event whose values do not match EventIn is "
    "rejected alone, with a reason in its result; the request still answers 200.",
}
_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {
                        **_EVENT_OBJECT,
                        "title": "One event",
                        "not": {"required": ["events"]},
                    },
                    {
                        "type": "object",
                        "title": "A batch (see EventBatchIn)",
                        "required": ["events"],
                        "properties": {
                            "events": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 1000,
                                "items": _EVENT_OBJECT,
                            }
                        },
                    },
                ]
            },
            "examples": {
                "single": {"summary": "One event", "value": EVENT_EXAMPLE},
                "batch": {"summary": "A batch", "value": {"events": [EVENT_EXAMPLE]}},
            },
        }
    },
}


# What makes a JSON object an event at all (the ``required`` of ``EventIn``). Missing ones,
# or a batch item that is not an object, fail the request; wrong *values* (a bad date, an
# unknown kind) are the event's own rejection, so they never fail the rest of a batch.
_REQUIRED = ("kind", "source", "person")
_NOT_AN_EVENT = (
    "The body must be one event (an object with kind, source and person) or "
    '{"events": [...]} holding 1 to LIMIT of them.'
)


def _shape_problems(raw: Any, loc: list[str]) -> list[dict[str, Any]]:
    """Where ``raw`` is not shaped like an event, as validation details (empty if it is)."""
    if not isinstance(raw, dict):
        return [{"loc": loc, "message": "Input should be an event object"}]
    problems = [
        {"loc": [*loc, field], "message": "Field required"}
        for field in _REQUIRED
        if field not in raw
    ]
    if "person" in raw and not isinstance(raw["person"], dict):
        problems.append({"loc": [*loc, "person"], "message": "Input should be an object"})
    return problems


def _events_from_body(body: bytes) -> list[Any]:
    """The list of raw events in a request body, or an :class:`ApiError` saying what is wrong."""
    data = parse_json(body)
    limit = settings.API_MAX_BATCH
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_body", _NOT_AN_EVENT.replace("LIMIT", str(limit)))
    if "events" not in data:
        problems = _shape_problems(data, ["body"])
        if problems:
            raise ApiError(
                422, "invalid_body", _NOT_AN_EVENT.replace("LIMIT", str(limit)), details=problems
            )
        return [data]
    events = data["events"]
    if not isinstance(events, list):
        raise ApiError(422, "invalid_body", "events must be a list of event objects.")
    if len(events) > limit:
        raise ApiError(
            413,
            "batch_too_large",
            f"A batch holds at most {limit} events; this one has {len(events)}. Split it.",
            details={"max_batch": limit, "received": len(events)},
        )
    if not events:
        raise ApiError(422, "empty_batch", f"events is empty; send 1 to {limit} events.")
    problems = [
        problem
        for index, raw in enumerate(events)
        for problem in _shape_problems(raw, ["body", "events", str(index)])
    ]
    if problems:
        raise ApiError(
            422,
            "invalid_body",
            "Some items of events are not event objects (kind, source and person are "
            "required); see details. Nothing was stored.",
            details=problems,
        )
    return events


@router.post(
    "/events",
    auth=ApiKeyAuth("events:write"),
    response={
        200: EventsOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Send events (one or a batch)",
    description=_DESCRIPTION,
    openapi_extra={"requestBody": _REQUEST_BODY},
)
@idempotent
def post_events(request: HttpRequest) -> dict[str, Any]:
    # 1. Parse the body ourselves: per-event validation happens in ingest(), not in pydantic.
    raws = _events_from_body(request.body)
    # 2. Store the batch in one transaction; each event gets an outcome, in order.
    outcomes = ingest(raws)
    # 3. Report per item, plus counts.
    counts = {"created": 0, "updated": 0, "duplicate": 0, "rejected": 0}
    results = []
    for index, outcome in enumerate(outcomes):
        counts[outcome.status] += 1
        results.append({"index": index, **outcome.as_dict()})
    return {"results": results, **counts}
