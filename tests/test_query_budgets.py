"""Query-count guards: what a list or a batch costs does not grow with its size.

Each guard runs the same work at two sizes and checks both stay within one fixed budget, so
an N+1 (a query per row, per event or per person) fails here before it reaches a big
installation.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devotion.api.models import ApiKey
from devotion.ingest.store import ingest
from devotion.people.models import Person

pytestmark = pytest.mark.django_db


def _order(n: int, email: str) -> dict:
    return {
        "kind": "order",
        "source": "shop",
        "external_id": f"o-{n}",
        "occurred_at": "2025-06-01T12:00:00Z",
        "person": {"email": email, "name": f"Person {n}", "phone": f"+1 415 555 {n:04d}"},
        "amount": "40.00",
        "currency": "USD",
        "lines": [{"product_id": "SKU-1", "quantity": 1, "unit_price": "40.00"}],
    }


def _batch(size: int, start: int, people: int | None = None) -> list[dict]:
    """``size`` orders numbered from ``start``; by new people, or by the first ``people``
    people of an earlier batch (``p0@``, ``p1@``...)."""
    if people is None:
        return [_order(start + i, f"p{start + i}@example.com") for i in range(size)]
    return [_order(start + i, f"p{i % people}@example.com") for i in range(size)]


def _queries(work) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured.captured_queries)


def _people(count: int) -> None:
    ingest(_batch(count, start=9000))


# --------------------------------------------------------------------------------- ingest()

# One set of statements per batch, whatever its size: PostgreSQL does it in a couple of
# statements, SQLite (no INSERT ... RETURNING over several tables) in a dozen.
INGEST_BUDGET = {"postgresql": 2, "sqlite": 11}


@pytest.mark.parametrize("size", [1, 100])
def test_storing_a_batch_of_new_people_costs_a_fixed_number_of_queries(
    size, django_assert_max_num_queries
):
    with django_assert_max_num_queries(INGEST_BUDGET[connection.vendor]):
        outcomes = ingest(_batch(size, start=0))
    assert {outcome.status for outcome in outcomes} == {"created"}


@pytest.mark.parametrize("size", [1, 100])
def test_storing_a_batch_for_people_already_known_costs_the_same(
    size, django_assert_max_num_queries
):
    ingest(_batch(100, start=0))
    with django_assert_max_num_queries(INGEST_BUDGET[connection.vendor]):
        outcomes = ingest(_batch(size, start=1000, people=100))
    assert {outcome.status for outcome in outcomes} == {"created"}


def test_one_event_and_a_hundred_cost_the_same():
    one = _queries(lambda: ingest(_batch(1, start=0)))
    hundred = _queries(lambda: ingest(_batch(100, start=100)))
    assert one == hundred


# ------------------------------------------------------------------------------- endpoints


@pytest.fixture
def token() -> str:
    _, raw = ApiKey.create("all", ["events:write", "people:read"])
    return raw


@pytest.mark.parametrize("size", [1, 100])
def test_the_events_endpoint_costs_a_fixed_number_of_queries(
    client, token, size, django_assert_max_num_queries
):
    # ingest(), and: the key and its last use; the idempotency claim (in a savepoint, which
    # counts as two statements) and its answer.
    budget = INGEST_BUDGET[connection.vendor] + 6
    with django_assert_max_num_queries(budget):
        response = client.post(
            "/api/v1/events",
            json.dumps({"events": _batch(size, start=0)}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY=f"batch-{size}",
        )
    assert response.json()["created"] == size


@pytest.mark.parametrize("count", [3, 60])
def test_the_people_list_endpoint_costs_a_fixed_number_of_queries(
    client, token, count, django_assert_max_num_queries
):
    _people(count)
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/people?limit=50", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert len(response.json()["items"]) == min(count, 50)
    # A search adds its look-ups: source id or e-mail prefix, and the two name-prefix counts.
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/people?q=person", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["items"]


# ---------------------------------------------------------------------------------- pages


@pytest.mark.parametrize("count", [1, 30])
def test_the_api_key_list_costs_a_fixed_number_of_queries(
    login, admin_user, count, django_assert_max_num_queries
):
    creator = User.objects.create_user("creator")
    for n in range(count):
        ApiKey.create(f"key {n}", ["events:write"], created_by=creator)
    client = login(admin_user)
    with django_assert_max_num_queries(6):
        page = client.get("/settings/api-keys/").content.decode()
    assert f"key {count - 1}" in page


@pytest.mark.parametrize("count", [2, 40])
def test_the_merge_search_costs_a_fixed_number_of_queries(
    login, manager, count, django_assert_max_num_queries
):
    _people(count)
    person = Person.objects.order_by("pk").first()
    client = login(manager)
    with django_assert_max_num_queries(9):
        response = client.get(f"/customers/{person.pk}/merge/", {"q": "person"})
    assert response.status_code == 200
    assert "Person" in response.content.decode()
