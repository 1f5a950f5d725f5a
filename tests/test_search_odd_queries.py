"""Whatever is typed into a search box, the answer is a list, never a crash."""

from __future__ import annotations

import pytest

from devotion.api.models import ApiKey
from devotion.ingest.store import ingest
from devotion.people.search import prefix_range, search_people

pytestmark = pytest.mark.django_db

ADA = ["Ada Lovelace"]
# (query, who it finds): odd characters are dropped, what is left is searched as usual.
ODD_QUERIES = [
    ("ada\U0010ffff", []),  # the last code point: no character comes after it
    ("\U0010ffff", []),
    ("\U0010ffff\U0010ffff", []),
    ("ada\x00lovelace", ADA),  # PostgreSQL refuses NUL in text
    ("\x00", ADA),  # nothing left to search for: everyone
    ("ada\ud7ff", []),  # bumping U+D7FF would give a lone surrogate
    ("x" * 10_000, []),
    ("ada@" + "x" * 5_000, []),
    ("+1 415 555 0199" * 100, []),
]


@pytest.fixture
def ada(make_event):
    ingest([make_event(person={"email": "ada@example.com", "name": "Ada Lovelace"})])


@pytest.mark.parametrize(("query", "expected"), [*ODD_QUERIES, ("ada\ud800", ADA), ("\udfff", ADA)])
def test_odd_queries_never_crash_the_search(ada, query, expected):
    assert [person.display_name for person in search_people(query)] == expected


@pytest.mark.parametrize(("query", "expected"), ODD_QUERIES)
def test_the_customers_page_answers_odd_queries(ada, login, agent, query, expected):
    response = login(agent).get("/customers/", {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize(("query", "expected"), ODD_QUERIES)
def test_the_people_endpoint_answers_odd_queries(ada, client, query, expected):
    _, raw = ApiKey.create("read", ["people:read"])
    response = client.get("/api/v1/people", {"q": query}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert [item["display_name"] for item in response.json()["items"]] == expected


def test_a_prefix_ending_in_the_last_code_point_is_bounded_by_the_rest():
    # Everything starting with "ad" sorts below "ae", U+10FFFF or not.
    assert prefix_range("name_key", "ad\U0010ffff").children == [
        ("name_key__gte", "ad\U0010ffff"),
        ("name_key__lt", "ae"),
    ]


def test_a_prefix_of_nothing_but_the_last_code_point_has_no_upper_bound():
    assert prefix_range("value", "\U0010ffff\U0010ffff").children == [
        ("value__gte", "\U0010ffff\U0010ffff")
    ]


def test_a_prefix_ending_before_the_surrogates_skips_them():
    assert ("value__lt", "a\ue000") in prefix_range("value", "a\ud7ff").children
