"""An e-mail prefix finds people before the '@' is typed, from the identity index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q

from devotion.api.models import ApiKey
from devotion.ingest.store import ingest
from devotion.people.models import Identity
from devotion.people.search import prefix_range, search_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_event):
    ingest(
        [
            make_event(person={"email": "ada.lovelace@example.com", "name": "Augusta King"}),
            make_event(person={"email": "grace@navy.example", "name": "Grace Hopper"}),
        ]
    )


@pytest.mark.parametrize("query", ["ada.lov", "ADA.LOVELACE", "ada.lovelace@ex", "  ada.l "])
def test_an_email_prefix_without_the_at_sign_finds_the_person(people, query):
    assert [p.display_name for p in search_people(query)] == ["Augusta King"]


def test_an_email_prefix_and_a_name_prefix_are_both_searched(people, make_event):
    ingest([make_event(person={"email": "x@example.com", "name": "Grace Adams"})])
    found = {p.display_name for p in search_people("grace")}
    assert found == {"Grace Hopper", "Grace Adams"}


def test_the_people_endpoint_finds_an_email_prefix(people, client):
    _, raw = ApiKey.create("read", ["people:read"])
    response = client.get("/api/v1/people?q=ada.lov", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [p["display_name"] for p in response.json()["items"]] == ["Augusta King"]


def test_the_email_prefix_is_an_index_range_not_a_scan(people):
    # The look-up search_people makes for a one-word query: a source id or an e-mail prefix.
    identities = Identity.objects.filter(
        Q(kind="external", value="ada.lov") | (Q(kind="email") & prefix_range("value", "ada.lov"))
    )
    sql, params = identities.values("person_id").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A tiny table is cheaper to scan: forbid it, and check the index can answer.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan and "Index" in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "SEARCH" in plan and "INDEX" in plan and "SCAN" not in plan, plan
