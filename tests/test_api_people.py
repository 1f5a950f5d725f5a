"""GET /api/v1/people, /people/{id} and /people/{id}/timeline: search, detail, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devotion.api.models import ApiKey
from devotion.ingest.store import ingest
from devotion.people.merging import merge_people
from devotion.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(client):
    _, raw = ApiKey.create("reader", ["people:read"])

    def _get(path, **params):
        return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {raw}")

    return _get


def _when(days: int) -> str:
    return (datetime(2025, 6, 1, tzinfo=UTC) - timedelta(days=days)).isoformat()


@pytest.fixture
def people(make_event):
    """Ten people, person i last active i days before June 1st; Ada has a rich timeline."""
    events = [
        make_event(
            person={"email": f"p{i}@example.com", "name": f"Person {i}"}, occurred_at=_when(i)
        )
        for i in range(10)
    ]
    events += [
        make_event(
            person={"email": "ada@example.com", "name": "Ada Lovelace", "external_id": "c-1"},
            source="shopify",
            occurred_at=_when(20 + i),
            facts={"pet_name": "Rex"} if i == 0 else None,
        )
        for i in range(25)
    ]
    events.append(
        make_event(
            kind="message",
            channel="email",
            direction="in",
            text="Where is my parcel?",
            person={"email": "ada@example.com"},
            occurred_at=_when(40),
        )
    )
    ingest(events)
    return {p.primary_email: p for p in Person.objects.all()}


def test_it_lists_people_most_recently_active_first(get, people):
    body = get("/api/v1/people").json()
    emails = [p["primary_email"] for p in body["items"]]
    assert emails[:3] == ["p0@example.com", "p1@example.com", "p2@example.com"]
    assert emails[-1] == "ada@example.com"
    assert body["next_cursor"] is None


def test_it_pages_with_a_cursor_without_gaps_or_repeats(get, people):
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = get("/api/v1/people", **params).json()
        seen += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 11


def test_it_searches_and_filters_by_stage(get, people):
    found = get("/api/v1/people", q="ada").json()["items"]
    assert [p["display_name"] for p in found] == ["Ada Lovelace"]
    assert get("/api/v1/people", q="c-1").json()["items"][0]["display_name"] == "Ada Lovelace"
    active = get("/api/v1/people", stage="active").json()["items"]
    assert [p["display_name"] for p in active] == ["Ada Lovelace"]
    assert get("/api/v1/people", stage="nonsense").status_code == 422


def test_a_bad_cursor_is_a_validation_error(get, people):
    response = get("/api/v1/people", cursor="garbage!")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_it_shows_one_person_with_identities_facts_and_recent_timeline(get, people):
    ada = people["ada@example.com"]
    body = get(f"/api/v1/people/{ada.pk}").json()
    assert body["display_name"] == "Ada Lovelace"
    assert body["stage"] == "active"
    assert body["aggregates"]["order_count"] == 25
    identities = {(i["kind"], i["source"], i["value"]) for i in body["identities"]}
    assert identities == {("email", "", "ada@example.com"), ("external", "shopify", "c-1")}
    [fact] = body["facts"]
    assert (fact["key"], fact["value"]) == ("pet_name", "Rex")
    assert fact["touchpoint_id"] and fact["source"] and fact["learned_at"]
    assert len(body["recent_touchpoints"]) == 20
    assert body["recent_touchpoints"][0]["occurred_at"].startswith("2025-05-12")
    assert "staff" in body["recent_touchpoints"][0]
    assert body["merged_into"] is None and body["scores"]["rfm_segment"] == ""
    # Consent nobody recorded is unknown, not a default yes or no.
    assert body["consent"]["profiling"] == {"status": "unknown", "recorded_at": None, "source": ""}


def test_a_merged_person_points_to_the_survivor(get, people):
    winner, loser = people["p0@example.com"], people["p1@example.com"]
    merge_people(winner, loser, reason="same person")
    response = get(f"/api/v1/people/{loser.pk}")
    assert response.status_code == 301
    assert response["Location"] == f"/api/v1/people/{winner.pk}"
    assert response.json()["merged_into"] == winner.pk
    assert response.json()["error"]["code"] == "person_merged"
    assert get(f"/api/v1/people/{winner.pk}").json()["merged_from"] == [loser.pk]
    timeline = get(f"/api/v1/people/{loser.pk}/timeline")
    assert timeline["Location"] == f"/api/v1/people/{winner.pk}/timeline"


def test_the_timeline_pages_newest_first_and_filters(get, people):
    ada = people["ada@example.com"]
    first = get(f"/api/v1/people/{ada.pk}/timeline", limit=10).json()
    assert len(first["items"]) == 10
    second = get(f"/api/v1/people/{ada.pk}/timeline", limit=50, cursor=first["next_cursor"])
    items = first["items"] + second.json()["items"]
    assert len(items) == 26 and second.json()["next_cursor"] is None
    times = [t["occurred_at"] for t in items]
    assert times == sorted(times, reverse=True)
    messages = get(f"/api/v1/people/{ada.pk}/timeline", channel="email").json()["items"]
    assert [m["text"] for m in messages] == ["Where is my parcel?"]
    orders = get(f"/api/v1/people/{ada.pk}/timeline", kind="order", limit=200).json()["items"]
    assert len(orders) == 25


def test_the_list_endpoints_use_a_fixed_number_of_queries(
    get, people, make_event, django_assert_max_num_queries
):
    # auth key look-up + last_used_at write + the page (+ search look-ups)
    with django_assert_max_num_queries(4):
        assert len(get("/api/v1/people", limit=200).json()["items"]) == 11
    with django_assert_max_num_queries(5):
        get("/api/v1/people", q="ada")
    ada = people["ada@example.com"]
    with django_assert_max_num_queries(4):
        assert len(get(f"/api/v1/people/{ada.pk}/timeline", limit=200).json()["items"]) == 26
    with django_assert_max_num_queries(8):
        get(f"/api/v1/people/{ada.pk}")
    # More rows cost no more queries.
    ingest([make_event(person={"email": f"more{i}@example.com"}) for i in range(50)])
    with django_assert_max_num_queries(4):
        assert len(get("/api/v1/people", limit=200).json()["items"]) == 61
