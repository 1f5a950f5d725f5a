"""Finding people by name, e-mail, phone and source id."""

from __future__ import annotations

import pytest

from devotion.ingest.store import ingest
from devotion.people.search import search_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_event):
    ingest(
        [
            make_event(person={"email": "ada@example.com", "name": "Ada Lovelace"}),
            make_event(
                person={
                    "email": "grace@navy.example",
                    "phone": "+1 415 555 0199",
                    "name": "Grace Hopper",
                    "external_id": "cus_77",
                }
            ),
        ]
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada", ["Ada Lovelace"]),
        ("LOVELACE", ["Ada Lovelace"]),
        ("hopper gr", ["Grace Hopper"]),
        ("grace@navy", ["Grace Hopper"]),
        ("(415) 555-0199", ["Grace Hopper"]),
        ("cus_77", ["Grace Hopper"]),
        ("nobody", []),
    ],
)
def test_it_finds_people_by_name_email_phone_and_source_id(people, query, expected):
    assert [p.display_name for p in search_people(query)] == expected


@pytest.mark.parametrize("dense", [False, True])
def test_common_and_rare_name_prefixes_find_the_same_people(make_event, monkeypatch, dense):
    """A common prefix takes another query plan; the answer must not change."""
    import devotion.people.search as search

    monkeypatch.setattr(search, "DENSE_MATCHES", 1 if dense else 10_000)
    ingest(
        [
            make_event(person={"email": f"p{i}@example.com", "name": name})
            for i, name in enumerate(["Mara Jones", "Marc Olsen", "Ola Marsh", "Tim Park"])
        ]
    )
    found = sorted(p.display_name for p in search_people("mar"))
    assert found == ["Mara Jones", "Marc Olsen", "Ola Marsh"]


def test_a_name_prefix_matches_only_names_that_start_with_it(make_event):
    """Prefixes are index ranges: they must hold under the database's collation too (on
    PostgreSQL the name keys compare as bytes, whatever its default; see touchpoints 0009)."""
    ingest(
        [
            make_event(person={"email": f"p{i}@example.com", "name": name})
            for i, name in enumerate(["Ada Lovelace", "A-da Byron", "Adb Other", "Adam Smith"])
        ]
    )
    found = sorted(p.display_name for p in search_people("ada"))
    assert found == ["Ada Lovelace", "Adam Smith"]
