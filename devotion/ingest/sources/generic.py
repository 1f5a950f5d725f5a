"""Devotion's own format: flat CSV columns named after the canonical fields, or canonical JSONL.

CSV (and flat JSONL) columns: ``external_id, occurred_at, email, phone, customer_id, name,
first_name, last_name, country, channel, direction, thread, subject, text, amount, currency,
rating, staff``; for orders ``product_id, product_name, quantity, unit_price, discount`` (one line
per row; consecutive rows with the same ``external_id`` are one order); and any number of
``fact_<key>``, ``consent_<email|sms|profiling>`` and ``extra_<key>`` columns. Aliases:
``score`` for rating, ``comment`` for text, ``title`` for subject.

A JSONL record with a nested ``person`` object is taken as a canonical event as it is.
"""

from __future__ import annotations

from typing import Any

from devotion.ingest.sources.base import EVENT_KIND, Event, Mapper, Reject, Row, compact

NAME = "generic"
LABEL = "Generic (Devotion columns)"

_PERSON = {
    "email": "email",
    "phone": "phone",
    "customer_id": "external_id",
    "name": "name",
    "first_name": "first_name",
    "last_name": "last_name",
    "country": "country",
}
_EVENT = (
    "external_id",
    "occurred_at",
    "channel",
    "direction",
    "thread",
    "subject",
    "text",
    "amount",
    "currency",
    "rating",
    "staff",
)
_ALIASES = {"score": "rating", "comment": "text", "title": "subject"}
_LINE = ("product_id", "product_name", "quantity", "unit_price", "discount")
_PREFIXES = (("fact_", "facts"), ("consent_", "consent"), ("extra_", "extra"))
_IDENTITY = ("email", "phone", "customer_id")
# What a file of each kind needs, besides the identity, and its default channel.
_REQUIRED = {
    "customers": (),
    "orders": (("external_id",), ("occurred_at",)),
    "tickets": (("external_id",), ("occurred_at",), ("text", "comment", "subject", "title")),
    "reviews": (("external_id",), ("occurred_at",)),
    "surveys": (("external_id",), ("occurred_at",), ("rating", "score")),
    "social": (("external_id",), ("occurred_at",), ("text", "comment")),
}
_CHANNEL = {"tickets": "email", "reviews": "review_site", "social": "social", "surveys": "web"}


def _value(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _line(row: Row) -> dict[str, Any] | None:
    line = {key: _value(row[key]) for key in _LINE if row.get(key) not in (None, "")}
    if not line.get("product_id") and not line.get("product_name"):
        return None
    return line


# The columns of a row (a CSV file's rows all share them) -> its fact_/consent_/extra_
# columns as (column, facts|consent|extra, key): checked once per file, not once per row.
_prefixed: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}


def _prefixed_columns(row: Row) -> list[tuple[str, str, str]]:
    columns = tuple(row)
    found = _prefixed.get(columns)
    if found is None:
        found = []
        for column in columns:
            where = _classify(column)
            if where:
                found.append((column, where[0], where[1]))
        if len(_prefixed) < 1_000:  # JSONL rows each bring their own keys: bound the cache
            _prefixed[columns] = found
    return found


def _classify(column: str) -> tuple[str, ...]:
    for prefix, target in _PREFIXES:
        if column.startswith(prefix) and len(column) > len(prefix):
            return (target, column[len(prefix) :])
    return ()


def _mapper(import_kind: str) -> Mapper:
    event_kind = EVENT_KIND[import_kind]

    def map_row(row: Row) -> Event:
        kind = str(row.get("kind") or event_kind).strip().lower()
        if kind != event_kind:
            raise Reject(f"kind {kind!r} does not belong in a {import_kind} import ({event_kind})")
        if isinstance(row.get("person"), dict):
            # Canonical JSONL: already the event shape.
            canonical = dict(row)
            canonical["kind"] = event_kind
            canonical.setdefault("source", NAME)
            return canonical

        event: Event = {"kind": event_kind, "source": _value(row.get("source")) or NAME}
        person: dict[str, Any] = {}
        for column, key in _PERSON.items():
            value = row.get(column)
            if value is not None and value != "":
                person[key] = value.strip() if type(value) is str else _value(value)
        event["person"] = person
        for column in _EVENT:
            value = row.get(column)
            if value is not None and value != "":
                event[column] = value.strip() if type(value) is str else _value(value)
        for alias, column in _ALIASES.items():
            value = row.get(alias)
            if column not in event and value not in (None, ""):
                event[column] = _value(value)
        for column, target, key in _prefixed_columns(row):
            value = row[column]
            if value is not None and value != "":
                event.setdefault(target, {})[key] = _value(value)
        if import_kind == "orders":
            line = _line(row)
            if line is not None:
                event["lines"] = [line]
        elif import_kind == "surveys" and "rating" not in event:
            raise Reject("rating is empty: a survey answer needs its score (NPS 0-10, CSAT 1-5)")
        if import_kind in _CHANNEL and "channel" not in event:
            event["channel"] = _CHANNEL[import_kind]
        if import_kind in ("tickets", "reviews", "social", "surveys") and "direction" not in event:
            event["direction"] = "in"
        return compact(event)

    return Mapper(
        kind=import_kind,
        map_row=map_row,
        required=((_IDENTITY), *_REQUIRED[import_kind]),
        group_by="external_id" if import_kind == "orders" else "",
        map_line=_line if import_kind == "orders" else None,
        sample=f"generic_{import_kind}.csv",
    )


MAPPERS = {kind: _mapper(kind) for kind in EVENT_KIND}
