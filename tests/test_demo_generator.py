"""The demo business generator: deterministic from its seed, and believable."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from devotion.demo.generator import generate
from devotion.demo.texts import STAFF
from devotion.ingest.events import validate_event

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def demo():
    return generate(seed=11, size="small", today=TODAY)


def test_the_same_seed_gives_identical_events(demo):
    again = generate(seed=11, size="small", today=TODAY)
    assert again.events == demo.events
    assert again.links == demo.links


def test_another_seed_gives_another_business(demo):
    other = generate(seed=12, size="small", today=TODAY)
    assert [e["external_id"] for e in other.events] != [e["external_id"] for e in demo.events]


def test_external_ids_do_not_depend_on_the_day_it_runs(demo):
    later = generate(seed=11, size="small", today=TODAY + timedelta(days=1))
    customers = {e["person"]["external_id"] for e in demo.events if e["kind"] == "customer"}
    assert customers == {
        e["person"]["external_id"] for e in later.events if e["kind"] == "customer"
    }
    assert {e["external_id"] for e in demo.links} == {e["external_id"] for e in later.links}


def test_every_event_is_valid_and_in_the_past(demo):
    now = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    for raw in demo.all_events:
        event = validate_event(raw, now=now)
        assert event.occurred_at is None or event.occurred_at < now


def test_touchpoint_ids_are_unique_per_source(demo):
    keys = Counter(
        (e["source"], e["external_id"]) for e in demo.all_events if e["kind"] != "customer"
    )
    assert keys.most_common(1)[0][1] == 1


def test_it_has_every_source_and_kind_of_touchpoint(demo):
    kinds = {(e["source"], e["kind"]) for e in demo.all_events}
    for expected in [
        ("shopify", "customer"),
        ("shopify", "order"),
        ("stripe", "order"),
        ("zendesk", "message"),
        ("trustpilot", "review"),
        ("social", "social_comment"),
        ("surveys", "survey_answer"),
        ("phone", "call"),
        ("devotion", "note"),
    ]:
        assert expected in kinds
    assert {"lead", "signup"} & {kind for _, kind in kinds}
    assert {e.get("channel") for e in demo.events if e["source"] == "zendesk"} >= {"email", "chat"}


def _orders(demo):
    return [e for e in demo.events if e["kind"] == "order" and e["source"] == "shopify"]


def test_november_and_december_are_busier_than_the_average_day(demo):
    per_day = Counter(e["occurred_at"][:10] for e in _orders(demo))
    start = TODAY - timedelta(days=round(18 * 30.44))
    days = [start + timedelta(days=n) for n in range((TODAY - start).days)]
    average = sum(per_day.values()) / len(days)
    gifting = [d for d in days if d.month in (11, 12)]
    gifting_average = sum(per_day[d.isoformat()] for d in gifting) / len(gifting)
    assert gifting_average > 1.2 * average


def test_some_regular_buyers_drift_away(demo):
    by_customer = defaultdict(list)
    for order in _orders(demo):
        by_customer[order["person"]["external_id"]].append(order["occurred_at"])
    cutoff = (TODAY - timedelta(days=120)).isoformat()
    drifters = [times for times in by_customer.values() if len(times) >= 3 and max(times) < cutoff]
    one_offs = [times for times in by_customer.values() if len(times) == 1]
    assert len(drifters) >= 5
    assert len(one_offs) >= 20


def test_orders_have_lines_from_the_catalogue_and_some_coupons(demo):
    orders = _orders(demo)
    assert all(order["lines"] for order in orders)
    assert sum(1 for order in orders if order["extra"].get("coupon")) >= 10


def test_messages_vary(demo):
    texts = [e["text"] for e in demo.events if e["kind"] == "message" and e["direction"] == "in"]
    assert len(texts) > 50
    assert len(set(texts)) / len(texts) > 0.8


def test_customers_name_staff_members(demo):
    aliases = {alias for member in STAFF for alias in member.aliases}
    praising = [
        e
        for e in demo.events
        if e["kind"] in ("message", "review", "survey_answer")
        and e.get("direction") == "in"
        and any(alias in e.get("text", "") for alias in aliases)
    ]
    assert len(praising) >= 10
    replies = [e for e in demo.events if e["kind"] == "message" and e["direction"] == "out"]
    assert {e["staff"] for e in replies} <= {member.name for member in STAFF}


def test_personal_facts_are_learned_from_what_customers_wrote(demo):
    with_facts = [e for e in demo.events if e["kind"] == "message" and e.get("facts")]
    assert len(with_facts) >= 5
    for event in with_facts:
        for key, value in event["facts"].items():
            if key in ("pet_name", "child_name", "favourite_colour"):
                assert value in event["text"]


def test_star_ratings_match_the_tone_of_reviews(demo):
    reviews = [e for e in demo.events if e["kind"] == "review"]
    assert {1, 5} <= {e["rating"] for e in reviews}
    for review in reviews:
        if review["rating"] >= 4:
            assert not any(w in review["text"] for w in ("Avoid", "rude", "broken", "Refund"))
        if review["rating"] <= 2:
            assert "Highly recommend" not in review["text"]


def test_duplicates_for_identity_resolution_are_present(demo):
    zendesk = [e["person"]["email"] for e in demo.events if e["source"] == "zendesk"]
    assert any(email != email.strip().lower() for email in zendesk)
    stripe = [e["person"] for e in demo.events if e["source"] == "stripe"]
    assert stripe and all(set(person) == {"email"} for person in stripe)
    calls = [e["person"] for e in demo.events if e["kind"] == "call"]
    assert all(set(person) == {"phone"} for person in calls)
    assert len(demo.links) == 2
    assert all({"email", "phone"} <= set(link["person"]) for link in demo.links)
