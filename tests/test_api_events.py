"""POST /api/v1/events: one event or a batch, one result per event."""

from __future__ import annotations

import pytest

from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_it_stores_one_event(post_events, make_event):
    response = post_events(make_event(external_id="A-1"))
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 1 and body["rejected"] == 0
    [result] = body["results"]
    assert result["index"] == 0 and result["status"] == "created"
    touchpoint = Touchpoint.objects.get(pk=result["touchpoint_id"])
    assert touchpoint.external_id == "A-1" and touchpoint.person_id == result["person_id"]


def test_it_reports_each_event_of_a_batch_in_order(post_events, make_event):
    post_events(make_event(external_id="old"))
    batch = [
        make_event(external_id="new"),
        make_event(external_id="old"),  # already stored
        make_event(external_id="bad", occurred_at="not a date"),
        {"kind": "order", "source": "shop", "external_id": "x", "person": {}},
        make_event(kind="teleport"),
    ]
    response = post_events({"events": batch})
    assert response.status_code == 200
    body = response.json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "duplicate", "rejected", "rejected", "rejected"]
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3, 4]
    assert (body["created"], body["duplicate"], body["rejected"], body["updated"]) == (1, 1, 3, 0)
    reasons = [r.get("reason") for r in body["results"]]
    assert "occurred_at" in reasons[2]
    assert "no identity" in reasons[3]
    assert "kind 'teleport'" in reasons[4]
    assert "reason" not in body["results"][0]


def test_events_sharing_an_identity_become_one_person(post_events, make_event):
    body = post_events(
        {
            "events": [
                make_event(person={"email": "ada@example.com", "phone": "+1 415 555 0123"}),
                make_event(kind="call", person={"phone": "(415) 555-0123"}, source="phone"),
            ]
        }
    ).json()
    assert body["results"][0]["person_id"] == body["results"][1]["person_id"]
    assert Person.objects.count() == 1


def test_a_customer_record_updates_the_profile(post_events):
    record = {
        "kind": "customer",
        "source": "shopify",
        "person": {"email": "grace@example.com", "name": "Grace Hopper"},
        "facts": {"pet_name": "Rex"},
    }
    assert post_events(record).json()["results"][0]["status"] == "created"
    assert post_events(record).json()["results"][0]["status"] == "duplicate"
    assert Person.objects.get().display_name == "Grace Hopper"


def test_a_batch_over_1000_is_refused_with_413(post_events, make_event):
    events = [make_event() for _ in range(1001)]
    response = post_events({"events": events})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"
    assert Touchpoint.objects.count() == 0


def test_a_batch_of_exactly_1000_is_stored(post_events, make_event):
    events = [make_event(person={"email": f"p{i}@example.com"}) for i in range(1000)]
    body = post_events({"events": events}).json()
    assert body["created"] == 1000
    assert Touchpoint.objects.count() == 1000


def test_an_empty_batch_is_a_validation_error(post_events):
    response = post_events({"events": []})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "empty_batch"
