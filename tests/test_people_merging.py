"""Merging two people by hand and undoing it puts everything back where it was."""

from __future__ import annotations

import pytest

from devotion.ingest.store import ingest
from devotion.people.merging import MergeError, merge_people, undo_merge
from devotion.people.models import Identity, Person
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_people(make_event):
    ingest(
        [
            make_event(person={"email": "ada@example.com", "name": "Ada Lovelace"}),
            make_event(person={"email": "ada@example.com"}),
            make_event(
                kind="message",
                direction="in",
                text="Hello, my cat Babbage knocked the mug over",
                person={"email": "a.lovelace@work.example", "name": "A. Lovelace"},
                facts={"pet_name": "Babbage"},
            ),
        ]
    )
    ada = Person.objects.get(primary_email="ada@example.com")
    other = Person.objects.get(primary_email="a.lovelace@work.example")
    return ada, other


def test_a_merge_moves_identities_touchpoints_and_facts_to_the_winner(two_people, manager):
    ada, other = two_people
    merge = merge_people(ada, other, reason="same person", user=manager)
    assert set(Identity.objects.filter(person=ada).values_list("value", flat=True)) == {
        "ada@example.com",
        "a.lovelace@work.example",
    }
    assert Touchpoint.objects.filter(person=ada).count() == 3
    assert ada.facts.get().value == "Babbage"
    other.refresh_from_db()
    assert other.merged_into == ada
    assert list(Person.objects.live()) == [ada]
    assert merge.merged_by == manager


def test_undo_puts_everything_back(two_people, manager):
    ada, other = two_people
    merge = merge_people(ada, other, reason="same person", user=manager)
    undo_merge(merge, user=manager)
    other.refresh_from_db()
    ada.refresh_from_db()
    assert other.merged_into is None
    assert Touchpoint.objects.filter(person=other).count() == 1
    assert Touchpoint.objects.filter(person=ada).count() == 2
    assert other.identities.get().value == "a.lovelace@work.example"
    assert other.facts.get().key == "pet_name"
    assert ada.order_count == 2
    assert other.display_name == "A. Lovelace"
    merge.refresh_from_db()
    assert merge.undone_by == manager


def test_a_merge_cannot_be_undone_twice_nor_a_person_merged_into_themselves(two_people):
    ada, other = two_people
    with pytest.raises(MergeError):
        merge_people(ada, ada, reason="oops")
    merge = merge_people(ada, other, reason="same")
    undo_merge(merge)
    with pytest.raises(MergeError):
        undo_merge(merge)


def test_a_signup_date_from_a_customers_import_survives_a_merge_and_its_undo(make_event):
    # Ada signed up in 2023 (a customer record: no touchpoint) and first ordered in 2025.
    ingest(
        [
            make_event(
                kind="customer",
                external_id="cust-1",
                occurred_at="2023-03-01T09:00:00Z",
                person={"email": "ada@example.com", "name": "Ada Lovelace"},
            ),
            make_event(occurred_at="2025-06-01T12:00:00Z"),
            make_event(
                kind="message",
                direction="in",
                text="Where is my parcel?",
                occurred_at="2024-05-01T08:00:00Z",
                person={"email": "a.lovelace@work.example"},
            ),
        ]
    )
    ada = Person.objects.get(primary_email="ada@example.com")
    other = Person.objects.get(primary_email="a.lovelace@work.example")
    assert ada.first_seen_at.year == 2023

    merge = merge_people(ada, other, reason="same person")
    ada.refresh_from_db()
    assert ada.first_seen_at.isoformat() == "2023-03-01T09:00:00+00:00"

    undo_merge(merge)
    ada.refresh_from_db()
    other.refresh_from_db()
    assert ada.first_seen_at.isoformat() == "2023-03-01T09:00:00+00:00"
    assert other.first_seen_at.isoformat() == "2024-05-01T08:00:00+00:00"
    assert ada.last_activity_at.isoformat() == "2025-06-01T12:00:00+00:00"
