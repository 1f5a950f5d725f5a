"""POST /api/v1/events with hostile values in any field of any event: the batch answers 200
with one result per event, each created, duplicate or rejected with a reason, and a clean
event in the same batch is stored whatever its neighbours hold. Never a 500.

The number of examples comes from the Hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devotion.api.models import ApiKey
from devotion.touchpoints.models import Touchpoint
from tests.hostile import hostile_text

pytestmark = pytest.mark.django_db

FIELDS = [
    ("kind",), ("source",), ("external_id",), ("occurred_at",), ("channel",), ("direction",),
    ("thread",), ("subject",), ("text",), ("amount",), ("currency",), ("rating",), ("staff",),
    ("person", "email"), ("person", "phone"), ("person", "external_id"), ("person", "name"),
    ("person", "first_name"), ("person", "last_name"), ("person", "country"),
    ("lines", 0, "product_id"), ("lines", 0, "product_name"), ("lines", 0, "quantity"),
    ("lines", 0, "unit_price"), ("lines", 0, "discount"), ("facts", "pet"), ("extra", "note"),
    ("consent", "email"),
]  # fmt: skip

# JSON values of every type, as a careless or hostile client sends them.
json_values = st.one_of(
    hostile_text,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([None, True, False, [], {}, [1, "a"], {"a": {"b": None}}, 1e308, 5e-324]),
)


def _base(number: int) -> dict[str, Any]:
    return {
        "kind": "order",
        "source": "shop",
        "external_id": f"o-{number}",
        "occurred_at": "2025-06-01T12:00:00Z",
        "person": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "amount": "40.00",
        "currency": "USD",
        "lines": [{"product_id": "SKU-1", "quantity": 1, "unit_price": "40.00"}],
    }


def _set(event: dict[str, Any], path: tuple, value: Any) -> None:
    target: Any = event
    for step in path[:-1]:
        target = target.setdefault(step, {}) if isinstance(target, dict) else target[step]
    target[path[-1]] = value


@st.composite
def batches(draw) -> tuple[list[dict[str, Any]], int]:
    """A batch of events with hostile values, and the index of one clean event in it."""
    events = []
    for number in range(draw(st.integers(1, 5))):
        event = _base(number)
        for path in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3)):
            _set(event, path, draw(json_values))
        events.append(event)
    clean = draw(st.integers(0, len(events)))
    control = _base(0) | {"external_id": "clean-control", "person": {"email": "c@example.com"}}
    events.insert(clean, control)
    return events, clean


@pytest.fixture
def key():
    return ApiKey.create("shop", ["events:write"])[1]


def test_a_batch_of_hostile_events_answers_each_event_alone(client, key):
    @given(batch=batches())
    def check(batch):
        events, clean = batch
        Touchpoint.objects.all().delete()
        # Lone surrogates cannot be UTF-8: send them as JSON escapes, as a client would.
        body = json.dumps({"events": events}, ensure_ascii=True)
        response = client.post(
            "/api/v1/events", body, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )  # fmt: skip
        assert response.status_code == 200, response.content[:500]
        answer = response.json()
        results = answer["results"]
        assert [r["index"] for r in results] == list(range(len(events)))
        for result in results:
            assert result["status"] in ("created", "duplicate", "rejected"), result
            if result["status"] == "rejected":
                assert result["reason"].strip()
        assert results[clean]["status"] == "created", results[clean]
        created = sum(r["status"] == "created" for r in results)
        assert created == answer["created"] == Touchpoint.objects.count()

    check()
