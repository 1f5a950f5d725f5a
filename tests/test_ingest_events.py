"""Storing events: one person per identity, idempotent touchpoints, stage rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from devotion.ingest.store import ingest
from devotion.people.models import Identity, Merge, Person
from devotion.touchpoints.models import OrderLine, Touchpoint

pytestmark = pytest.mark.django_db


def test_a_first_order_creates_a_new_customer_with_identity_and_touchpoint(make_event):
    [outcome] = ingest([make_event()])
    assert outcome.status == "created"
    person = Person.objects.get()
    assert person.display_name == "Ada Lovelace"
    assert person.stage == "new"
    assert person.order_count == 1
    assert person.total_spent == Decimal("40.00")
    assert Identity.objects.get().value == "ada@example.com"
    assert Touchpoint.objects.get().person == person


def test_sending_the_same_batch_twice_adds_nothing(make_event):
    batch = [make_event(external_id="1"), make_event(external_id="2")]
    ingest(batch)
    outcomes = ingest(batch)
    assert [o.status for o in outcomes] == ["duplicate", "duplicate"]
    assert Touchpoint.objects.count() == 2
    assert Person.objects.get().order_count == 2


def test_a_repeat_order_makes_the_customer_active(make_event):
    ingest([make_event(), make_event()])
    assert Person.objects.get().stage == "active"


def test_a_lead_without_an_order_is_a_prospect(make_event):
    ingest([make_event(kind="lead", amount=None, person={"email": "lee@example.com"})])
    assert Person.objects.get().stage == "prospect"


def test_records_sharing_an_email_across_sources_are_one_person(make_event):
    ingest([make_event(source="shopify", person={"email": "Ada@Example.com"})])
    ingest(
        [
            make_event(
                kind="message",
                source="zendesk",
                direction="in",
                text="Where is my parcel?",
                person={"email": "ada@example.com", "phone": "+1 415 555 0100"},
            )
        ]
    )
    assert Person.objects.count() == 1
    assert Identity.objects.count() == 2


def test_an_event_linking_two_existing_people_merges_them_automatically(make_event):
    ingest([make_event(person={"email": "ada@example.com"})])
    ingest([make_event(person={"phone": "+1 415 555 0100"})])
    assert Person.objects.live().count() == 2
    ingest([make_event(person={"email": "ada@example.com", "phone": "(415) 555-0100"})])
    assert Person.objects.live().count() == 1
    merge = Merge.objects.get()
    assert merge.automatic
    assert "phone +14155550100" in merge.reason
    assert Person.objects.live().get().order_count == 3


def test_bad_events_are_rejected_with_a_reason_and_the_rest_kept(make_event):
    outcomes = ingest(
        [
            make_event(),
            make_event(occurred_at="yesterday"),
            make_event(person={}),
            make_event(kind="telegram"),
        ]
    )
    assert [o.status for o in outcomes] == ["created", "rejected", "rejected", "rejected"]
    assert "occurred_at 'yesterday' is not a date-time" in outcomes[1].reason
    assert "no identity" in outcomes[2].reason
    assert "kind 'telegram'" in outcomes[3].reason
    assert Touchpoint.objects.count() == 1


def test_order_lines_are_stored_and_sum_to_the_amount_when_none_is_given(make_event):
    ingest(
        [
            make_event(
                amount=None,
                lines=[
                    {"product_id": "MUG", "quantity": 2, "unit_price": "12.50"},
                    {"product_id": "TEA", "quantity": 1, "unit_price": "5", "discount": "1"},
                ],
            )
        ]
    )
    assert OrderLine.objects.count() == 2
    assert Touchpoint.objects.get().amount == Decimal("29.00")


def test_a_customer_record_adds_facts_and_reports_duplicate_when_nothing_is_new(make_event):
    customer = {
        "kind": "customer",
        "source": "shop",
        "person": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "facts": {"birthday": "1990-12-10", "pet_name": "Byron"},
    }
    assert ingest([customer])[0].status == "created"
    assert ingest([customer])[0].status == "duplicate"
    person = Person.objects.get()
    assert {f.key: f.value for f in person.facts.all()} == {
        "birthday": "1990-12-10",
        "pet_name": "Byron",
    }
    assert person.stage == "prospect"


@pytest.mark.parametrize(("given", "stored"), [(4, 4), ("4", 4), ("4.0", 4), (" 9 ", 9)])
def test_whole_number_ratings_are_stored_as_given(make_event, given, stored):
    [outcome] = ingest([make_event(kind="review", rating=given)])
    assert outcome.status == "created"
    assert Touchpoint.objects.get().rating == stored


@pytest.mark.parametrize("given", [4.5, "4.5", "nan"])
def test_a_fractional_rating_is_rejected_not_truncated(make_event, given):
    [outcome] = ingest([make_event(kind="review", rating=given)])
    assert outcome.status == "rejected"
    assert "must be a whole number" in outcome.reason
    assert Touchpoint.objects.count() == 0
