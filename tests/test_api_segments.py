"""GET /api/v1/segments, /segments/{id} and /segments/{id}/members: scope, shapes, paging,
errors, and a fixed number of queries per page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devotion.api.models import ApiKey
from devotion.people.models import Person
from devotion.retention.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(client):
    _, raw = ApiKey.create("reader", ["people:read"])

    def _get(path, **params):
        return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {raw}")

    return _get


@pytest.fixture
def repeat_buyers() -> Segment:
    Person.objects.bulk_create(
        [
            Person(
                display_name=f"P{i}",
                primary_email=f"p{i}@example.com",
                order_count=i % 4,
                total_spent=Decimal(10 * i),
                stage="active" if i % 4 else "new",
            )
            for i in range(40)
        ]
    )
    return Segment.objects.create(
        name="Repeat buyers",
        definition={"conditions": [{"field": "order_count", "op": "gte", "value": 2}]},
    )


def test_a_key_without_people_read_is_refused(client):
    _, raw = ApiKey.create("writer", ["events:write"])
    response = client.get("/api/v1/segments", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert client.get("/api/v1/segments").json()["error"]["code"] == "missing_api_key"


def test_the_list_has_the_builtins_and_saved_segments_with_live_counts(get, repeat_buyers):
    body = get("/api/v1/segments").json()
    by_name = {s["name"]: s for s in body["items"]}
    assert body["next_cursor"] is None
    assert by_name["Repeat buyers"]["count"] == 20
    assert by_name["Repeat buyers"]["conditions"] == [
        {"field": "order_count", "op": "gte", "value": 2}
    ]
    assert by_name["Satisfied defectors"]["builtin"] == "satisfied_defectors"
    assert by_name["Satisfied defectors"]["count"] == 0


def test_the_list_pages_with_a_cursor(get, repeat_buyers):
    first = get("/api/v1/segments", limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = get("/api/v1/segments", limit=2, cursor=first["next_cursor"]).json()
    assert [s["id"] for s in rest["items"]] == [repeat_buyers.pk]
    assert rest["next_cursor"] is None


def test_one_segment_and_its_members_page_by_id(get, repeat_buyers):
    assert get(f"/api/v1/segments/{repeat_buyers.pk}").json()["count"] == 20
    first = get(f"/api/v1/segments/{repeat_buyers.pk}/members", limit=15).json()
    assert len(first["items"]) == 15 and set(first["items"][0]) == {
        "id",
        "display_name",
        "primary_email",
        "stage",
        "country",
        "order_count",
        "total_spent",
        "last_activity_at",
    }
    rest = get(
        f"/api/v1/segments/{repeat_buyers.pk}/members", limit=15, cursor=first["next_cursor"]
    ).json()
    ids = [p["id"] for p in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 20 and rest["next_cursor"] is None
    assert all(p["order_count"] >= 2 for p in first["items"] + rest["items"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/segments/999999",
        "/api/v1/segments/0/members",
        "/api/v1/segments/99999999999999999999",
    ],
)
def test_an_unknown_segment_is_a_json_404(get, path):
    response = get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] in ("segment_not_found", "unknown_route")


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 30])
def test_a_forged_cursor_is_a_422(get, repeat_buyers, cursor):
    response = get(f"/api/v1/segments/{repeat_buyers.pk}/members", cursor=cursor)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_limits_are_bounded(get):
    assert get("/api/v1/segments", limit=0).status_code == 422
    assert get("/api/v1/segments", limit=201).status_code == 422


def test_members_of_a_segment_on_scores_not_computed_yet_are_a_409(get):
    segment = Segment.objects.create(
        name="Unscored",
        definition={"conditions": [{"field": "health_score", "op": "gte", "value": 50}]},
    )
    body = get(f"/api/v1/segments/{segment.pk}").json()
    assert body["count"] is None and body["not_scored_fields"] == ["health_score"]
    response = get(f"/api/v1/segments/{segment.pk}/members")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "segment_not_scored"


def _queries(work) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured.captured_queries)


def test_lists_cost_the_same_number_of_queries_at_any_size(get, repeat_buyers):
    small = _queries(lambda: get("/api/v1/segments"))
    small_members = _queries(lambda: get(f"/api/v1/segments/{repeat_buyers.pk}/members"))
    for n in range(30):
        Segment.objects.create(
            name=f"S{n}",
            definition={"conditions": [{"field": "order_count", "op": "gte", "value": n}]},
        )
    Person.objects.bulk_create([Person(display_name=f"Q{i}", order_count=3) for i in range(200)])
    assert _queries(lambda: get("/api/v1/segments", limit=200)) <= small
    assert (
        _queries(lambda: get(f"/api/v1/segments/{repeat_buyers.pk}/members", limit=200))
        <= small_members
    )


def test_a_segment_whose_stored_definition_went_bad_still_answers_in_shape(get):
    segment = Segment.objects.create(
        name="Broken", definition={"conditions": [{"field": "stage", "op": "like", "value": 1}]}
    )
    body = get(f"/api/v1/segments/{segment.pk}").json()
    assert body["conditions"] == [] and body["count"] is None
    assert get(f"/api/v1/segments/{segment.pk}/members").json()["error"]["code"] == (
        "segment_invalid"
    )
