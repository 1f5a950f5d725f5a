"""Per-key rate limits: 429 with Retry-After, and limit headers on every answer."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from devotion.api import ratelimit
from devotion.api.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    # Local-memory caches outlive a test, and key ids repeat after each rollback.
    cache.clear()
    ratelimit.reset()


def test_it_answers_429_with_retry_after_over_the_limit(client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    _, raw = ApiKey.create("reader", ["people:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    answers = [client.get("/api/v1/people", **auth) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0]["X-RateLimit-Limit"] == "3"
    limited = answers[3]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["X-RateLimit-Remaining"] == "0"


def test_each_key_has_its_own_limit(client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    _, first = ApiKey.create("one", ["people:read"])
    _, second = ApiKey.create("two", ["people:read"])
    assert client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
    assert client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 429
    assert client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


def test_large_limits_are_counted_in_the_shared_cache_in_batches(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1000
    now = 1_000_000.0  # the start of a window
    for i in range(25):
        allowance = ratelimit.hit(7, now=now + i * 0.001)
    assert allowance.remaining == 975
    shared = cache.get(f"api-rate:7:{int(now // 60)}")
    assert 1 <= shared < 25  # first request flushed; the rest wait for 1% or half a second
    ratelimit.hit(7, now=now + 1)
    assert cache.get(f"api-rate:7:{int(now // 60)}") == 26
