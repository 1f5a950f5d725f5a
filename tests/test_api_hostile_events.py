"""POST /api/v1/events with hostile values in some events of a batch: 200, those events
rejected with their reason, the others stored (on PostgreSQL too, where text cannot hold NUL)."""

from __future__ import annotations

import pytest

from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_a_batch_with_hostile_events_stores_the_others(post_events, make_event):
    batch = [
        make_event(external_id="ok-1"),
        make_event(external_id="nul", person={"email": "ada@example.com", "name": "A\x00"}),
        make_event(external_id="nul-extra", extra={"note": "x\x00y"}),
        make_event(external_id="nul-fact", facts={"pet\x00": "Rex"}),
        make_event(external_id="nul-line", lines=[{"product_name": "Mug\x00"}]),
        make_event(external_id="date", occurred_at="0001-01-01T00:00:00+14:00"),
        make_event(external_id="late", occurred_at="9999-12-31T23:59:59-12:00"),
        make_event(external_id="amount", amount="12,34,5"),
        make_event(external_id="channel", channel="pigeon"),
        make_event(external_id="mail", person={"email": "<script>alert(1)</script>@example.com"}),
        make_event(external_id="ok-2", channel="e-mail"),
    ]
    response = post_events({"events": batch})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["rejected"]) == (2, 9)
    reasons = {batch[r["index"]]["external_id"]: r.get("reason", "") for r in body["results"]}
    assert reasons["nul"] == "person.name contains a NUL byte (\\x00)"
    assert reasons["nul-extra"] == "extra.note contains a NUL byte (\\x00)"
    assert "NUL byte" in reasons["nul-fact"]
    assert reasons["nul-line"] == "lines[1].product_name contains a NUL byte (\\x00)"
    assert "date out of range" in reasons["date"] and "date out of range" in reasons["late"]
    assert reasons["amount"].startswith("amount '12,34,5' is ambiguous")
    assert reasons["channel"].startswith("channel 'pigeon' is not one of")
    assert reasons["mail"].endswith("is not an e-mail address")
    stored = dict(Touchpoint.objects.values_list("external_id", "channel"))
    assert stored == {"ok-1": "", "ok-2": "email"}


def test_json_escapes_for_nul_and_lone_surrogates_are_rejected_per_event(post_events):
    body = (
        '{"events": ['
        '{"kind": "order", "source": "shop", "external_id": "a", "occurred_at": "2025-01-01",'
        ' "person": {"email": "ada@example.com", "name": "Ada\\u0000"}},'
        '{"kind": "order", "source": "shop", "external_id": "b", "occurred_at": "2025-01-01",'
        ' "person": {"email": "ada@example.com"}, "text": "half \\ud800 a pair"},'
        '{"kind": "order", "source": "shop", "external_id": "c", "occurred_at": "2025-01-01",'
        ' "person": {"email": "ada@example.com"}, "amount": NaN},'
        '{"kind": "order", "source": "shop", "external_id": "d", "occurred_at": "2025-01-01",'
        ' "person": {"email": "ada@example.com"}, "extra": {"x": -Infinity}}'
        "]}"
    )
    response = post_events(body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert "NUL byte" in results[0]["reason"]
    assert results[1]["reason"].startswith("text contains a lone surrogate")
    assert results[2]["reason"] == "amount nan is not a finite number"
    assert results[3]["reason"] == "extra.x is not a finite number"
    assert Touchpoint.objects.count() == 0
