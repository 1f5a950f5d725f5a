"""Idempotency-Key on POSTs: retries replay the first answer; a re-used key is refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from devotion.api import idempotency
from devotion.api.models import ApiKey, IdempotencyRecord
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_and_post(client):
    key, raw = ApiKey.create("shop", ["events:write"])

    def _post(body, idempotency_key=None, token=raw):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if idempotency_key:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return client.post(
            "/api/v1/events", json.dumps(body), content_type="application/json", **headers
        )

    return key, _post


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(key_and_post, make_event):
    _, post = key_and_post
    event = make_event()
    first = post(event, "retry-1")
    second = post(event, "retry-1")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert first.json()["results"][0]["status"] == "created"  # not "duplicate" on the replay
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Touchpoint.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(key_and_post, make_event):
    _, post = key_and_post
    post(make_event(external_id="a"), "retry-2")
    response = post(make_event(external_id="b"), "retry-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Touchpoint.objects.count() == 1


def test_keys_belong_to_one_api_key(key_and_post, make_event):
    _, post = key_and_post
    _, other_raw = ApiKey.create("other", ["events:write"])
    post(make_event(external_id="a"), "shared")
    response = post(make_event(external_id="b"), "shared", token=other_raw)
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response


def test_errors_are_not_stored(key_and_post, make_event):
    _, post = key_and_post
    assert post({"events": []}, "k").status_code == 422
    assert not IdempotencyRecord.objects.exists()
    assert post(make_event(), "k").status_code == 200


def test_records_older_than_a_day_are_pruned(key_and_post, make_event):
    _, post = key_and_post
    post(make_event(external_id="a"), "old")
    post(make_event(external_id="b"), "new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert idempotency.prune() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
