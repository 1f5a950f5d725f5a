"""Concurrent requests with one Idempotency-Key: the first wins, the others never store
an answer of their own (409 idempotency_in_progress while it runs, its replay afterwards)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

import devotion.api.events as events_endpoint
from devotion.api.models import ApiKey, IdempotencyRecord
from devotion.touchpoints.models import Touchpoint


@pytest.fixture
def token(db):
    _, raw = ApiKey.create("shop", ["events:write"])
    return raw


def _post(token: str, body: Any, key: str = "same-key") -> Any:
    # A client per call: threads must not share one.
    return Client().post(
        "/api/v1/events",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def _in_thread(target, *args):
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["response"] = target(*args)
        except BaseException as exc:  # reported by the test, not lost in the thread
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.fixture
def held_ingest(monkeypatch):
    """ingest() that waits, once started, until the test lets it go on."""
    started, go_on = threading.Event(), threading.Event()
    real = events_endpoint.ingest

    def slow(raws):
        started.set()
        assert go_on.wait(10)
        return real(raws)

    monkeypatch.setattr(events_endpoint, "ingest", slow)
    return started, go_on


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_sent_while_the_first_runs_gets_409_and_then_the_first_answer(
    token, make_event, held_ingest
):
    started, go_on = held_ingest
    event = make_event()
    thread, first = _in_thread(_post, token, event)
    assert started.wait(10)
    # 1. While the first attempt works, the duplicate stores nothing and is told to retry.
    during = _post(token, event)
    assert during.status_code == 409
    assert during.json()["error"]["code"] == "idempotency_in_progress"
    assert during["Retry-After"] == "1"
    go_on.set()
    thread.join(10)
    assert "error" not in first and first["response"].status_code == 200
    # 2. Afterwards the duplicate gets the first answer, byte for byte.
    after = _post(token, event)
    assert after.status_code == 200 and after["Idempotent-Replayed"] == "true"
    assert after.content == first["response"].content
    assert after.json()["results"][0]["status"] == "created"
    assert Touchpoint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_different_body_sent_while_the_first_runs_is_refused_as_key_reuse(
    token, make_event, held_ingest
):
    started, go_on = held_ingest
    thread, first = _in_thread(_post, token, make_event())
    assert started.wait(10)
    during = _post(token, make_event())
    go_on.set()
    thread.join(10)
    assert first["response"].status_code == 200
    assert during.status_code == 422
    assert during.json()["error"]["code"] == "idempotency_key_reused"


def test_a_failed_first_attempt_leaves_the_key_free(token, make_event):
    assert _post(token, {}).status_code == 422
    assert not IdempotencyRecord.objects.exists()
    assert _post(token, make_event()).status_code == 200


def test_an_attempt_abandoned_long_ago_does_not_block_the_key(token, make_event):
    key = ApiKey.objects.get()
    record = IdempotencyRecord.objects.create(
        api_key=key, key="same-key", request_hash="x", status_code=0, response=""
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    response = _post(token, make_event())
    assert response.status_code == 200 and "Idempotent-Replayed" not in response


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_attempts_store_one_answer_and_every_answer_is_that_one(
    token, make_event
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with its write lock; the race needs PostgreSQL")
    event = make_event()
    barrier = threading.Barrier(6)

    def racer():
        barrier.wait(10)
        return _post(token, event)

    runs = [_in_thread(racer) for _ in range(6)]
    for thread, _ in runs:
        thread.join(30)
    responses = [result["response"] for _, result in runs]
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {200, 409}
    fresh = [r for r in responses if r.status_code == 200 and "Idempotent-Replayed" not in r]
    assert len(fresh) == 1
    stored = IdempotencyRecord.objects.get()
    assert stored.response.encode() == fresh[0].content
    for response in responses:
        if response.status_code == 200:
            assert response.content == fresh[0].content
    assert Touchpoint.objects.count() == 1
