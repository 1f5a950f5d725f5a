"""A small made-up business stored through ingest, for the scoring tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from devotion.analytics.demo_data import toy_events
from devotion.ingest.store import ingest

DAY0 = datetime(2023, 1, 1, tzinfo=UTC)


def when(day: float) -> datetime:
    return DAY0 + timedelta(days=float(day))


def as_of_day(day: float) -> date:
    """The --as-of date whose end is ``day`` days after DAY0 (rounded down)."""
    return (DAY0 + timedelta(days=day - 1)).date()


def store_business(n: int = 200, seed: int = 3) -> int:
    """Store ``n`` toy customers' events (orders, messages, replies, NPS answers); returns
    how many events were stored."""
    table = toy_events(n, random_state=seed).to_pylist()
    raws = []
    for k, row in enumerate(table):
        event = {
            "kind": row["kind"],
            "source": "shop",
            "external_id": f"e-{k}",
            "occurred_at": when(row["day"]).isoformat(),
            "person": {
                "email": f"p{row['person_id']}@shop.example",
                "name": f"P {row['person_id']}",
            },
        }
        if row["kind"] == "order":
            event |= {"amount": f"{row['amount']:.2f}", "currency": "USD"}
        else:
            event |= {"channel": "email", "direction": row["direction"], "text": "Hello"}
        if row["kind"] == "survey_answer":
            event |= {"rating": int(row["rating"]), "extra": {"survey": row["survey"]}}
        raws.append(event)
    for start in range(0, len(raws), 1000):
        ingest(raws[start : start + 1000])
    return len(raws)
