"""``GET /api/v1/queue`` and ``POST /api/v1/coach``: scopes, shapes, paging, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devotion.api.models import ApiKey
from devotion.followup.models import SupportTeam
from devotion.ingest.store import ingest

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def key(*scopes):
    return {"Authorization": f"Bearer {ApiKey.create('test', list(scopes))[1]}"}


@pytest.fixture
def waiting(django_capture_on_commit_callbacks):
    SupportTeam.objects.update(hours="daily 00:00-24:00", timezone="UTC")
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            [
                {
                    "kind": "message",
                    "source": "helpdesk",
                    "external_id": f"m-{n}",
                    "occurred_at": (NOW - timedelta(minutes=n)).isoformat(),
                    "person": {"email": f"p{n}@example.com", "name": f"Pat {n}"},
                    "channel": "email" if n % 2 else "chat",
                    "direction": "in",
                    "thread": f"T-{n}",
                    "subject": f"Question {n}",
                    "text": "Where is my order?",
                }
                for n in range(1, 6)
            ]
        )


def test_the_queue_needs_the_queue_scope(client, waiting):
    assert client.get("/api/v1/queue").status_code == 401
    denied = client.get("/api/v1/queue", headers=key("people:read"))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "missing_scope"


def test_the_queue_pages_most_urgent_first(client, waiting, django_assert_max_num_queries):
    headers = key("queue:read")
    with django_assert_max_num_queries(8):
        first = client.get("/api/v1/queue?limit=2", headers=headers).json()
    # Chats (5 minutes) before e-mails (480), the oldest chat first.
    assert [i["subject"] for i in first["items"]] == ["Question 4", "Question 2"]
    assert first["items"][0]["seconds_left"] < first["items"][1]["seconds_left"]
    seen = [i["promise_id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/queue?limit=2&cursor={cursor}", headers=headers).json()
        seen += [i["promise_id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5


def test_the_queue_filters_by_channel_and_rejects_unknown_ones(client, waiting):
    headers = key("queue:read")
    chats = client.get("/api/v1/queue?channel=chat", headers=headers).json()["items"]
    assert {i["channel"] for i in chats} == {"chat"} and len(chats) == 2
    bad = client.get("/api/v1/queue?channel=pigeon", headers=headers)
    assert bad.status_code == 422
    assert "error" in bad.json()
    forged = client.get("/api/v1/queue?cursor=bm9wZQ", headers=headers)
    assert forged.status_code == 422


def test_the_coach_api_answers_the_documented_shape(client):
    response = client.post(
        "/api/v1/coach",
        {
            "message": "My lamp arrived broken! Can you send a replacement? "
            "Also, do you ship to Ireland?",
            "draft": "I am sorry about the lamp. We will send a replacement lamp today.",
        },
        content_type="application/json",
        headers=key("coach:use"),
    )
    assert response.status_code == 200
    body = response.json()
    assert [(p["kind"], p["answered"]) for p in body["points"]] == [
        ("complaint", True),
        ("request", True),
        ("question", False),
    ]
    assert body["misses_points"] is True
    assert body["customer_upset"] is True
    assert body["acknowledges_feeling"] is True
    assert body["next_step"] is True
    assert body["company_centred"] is True
    assert body["rewrites"][0]["suggestion"] == "We are sorry about the lamp."


def test_the_coach_api_needs_its_scope_and_a_message(client):
    assert (
        client.post(
            "/api/v1/coach",
            {"message": "hi", "draft": ""},
            content_type="application/json",
            headers=key("people:read"),
        ).status_code
        == 403
    )
    empty = client.post(
        "/api/v1/coach",
        {"message": "", "draft": "x"},
        content_type="application/json",
        headers=key("coach:use"),
    )
    assert empty.status_code == 422
    unknown = client.post(
        "/api/v1/coach",
        {"message": "Hi?", "draft": "x", "person_id": 999999},
        content_type="application/json",
        headers=key("coach:use"),
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "person_not_found"


def test_the_coach_api_suggests_what_we_know_of_the_person(client, waiting):
    from devotion.people.models import Person

    person = Person.objects.get(primary_email="p1@example.com")
    body = client.post(
        "/api/v1/coach",
        {"message": "Where is my order?", "draft": "It ships today.", "person_id": person.pk},
        content_type="application/json",
        headers=key("coach:use"),
    ).json()
    assert any("Pat" in tip for tip in body["personalisation"])
