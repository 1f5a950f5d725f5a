"""Every source's sample file under docs/samples/ imports, and lands where the docs say."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from devotion.ingest.importer import Importer
from devotion.people.models import Identity, Person, PersonalFact
from devotion.touchpoints.models import OrderLine, Touchpoint

pytestmark = pytest.mark.django_db


SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"


def _import(tmp_path: Path, sample: str, kind: str, source: str):
    path = tmp_path / sample
    shutil.copy(SAMPLES / sample, path)  # keep the rejects report out of docs/
    return Importer(kind, source).run(path)


@pytest.mark.parametrize(
    ("sample", "kind", "source", "accepted", "rejected"),
    [
        ("shopify_orders.csv", "orders", "shopify", 5, 0),
        ("shopify_customers.csv", "customers", "shopify", 4, 0),
        ("stripe_charges.csv", "orders", "stripe", 4, 1),
        ("stripe_customers.csv", "customers", "stripe", 2, 0),
        ("zendesk_tickets.csv", "tickets", "zendesk", 4, 0),
        ("trustpilot_reviews.csv", "reviews", "trustpilot", 4, 0),
        ("generic_customers.csv", "customers", "generic", 3, 0),
        ("generic_orders.csv", "orders", "generic", 3, 0),
        ("generic_orders.jsonl", "orders", "generic", 2, 0),
        ("generic_tickets.csv", "tickets", "generic", 3, 0),
        ("generic_reviews.csv", "reviews", "generic", 2, 0),
        ("generic_surveys.csv", "surveys", "generic", 3, 0),
        ("generic_social.csv", "social", "generic", 2, 0),
    ],
)
def test_each_sample_file_imports(tmp_path, sample, kind, source, accepted, rejected):
    result = _import(tmp_path, sample, kind, source)
    assert (result.accepted, result.duplicate, result.rejected) == (accepted, 0, rejected)


def test_every_sample_in_docs_is_covered():
    covered = {
        "shopify_orders.csv",
        "shopify_customers.csv",
        "stripe_charges.csv",
        "stripe_customers.csv",
        "zendesk_tickets.csv",
        "trustpilot_reviews.csv",
        "generic_customers.csv",
        "generic_orders.csv",
        "generic_orders.jsonl",
        "generic_tickets.csv",
        "generic_reviews.csv",
        "generic_surveys.csv",
        "generic_social.csv",
    }
    assert {p.name for p in SAMPLES.iterdir()} == covered


def test_shopify_orders_map_totals_lines_staff_and_channel(tmp_path):
    _import(tmp_path, "shopify_orders.csv", "orders", "shopify")
    pos = Touchpoint.objects.get(source="shopify", external_id="5610294312003")
    assert pos.amount == Decimal("96.40")
    assert pos.channel == "store"
    assert pos.staff.display_name == "Sam Lee"
    assert pos.extra["order_name"] == "#1003"
    assert pos.lines.count() == 3
    maya = Person.objects.get(primary_email="maya.okafor@example.com")
    assert maya.order_count == 2
    assert maya.stage == "active"
    assert maya.consent_email is True


def test_shopify_customers_carry_their_shopify_id_note_and_consent(tmp_path):
    _import(tmp_path, "shopify_customers.csv", "customers", "shopify")
    priya = Identity.objects.get(kind="external", source="shopify", value="7301458823").person
    assert priya.display_name == "Priya Natarajan"
    assert priya.stage == "prospect"
    assert priya.consent_sms is True
    assert PersonalFact.objects.get(person=priya, key="note").value.startswith("Signed up")


def test_shopify_customers_and_orders_meet_on_the_email(tmp_path):
    _import(tmp_path, "shopify_customers.csv", "customers", "shopify")
    _import(tmp_path, "shopify_orders.csv", "orders", "shopify")
    assert Person.objects.live().count() == 5  # 4 customers + Dolores (POS, phone only)


def test_stripe_only_paid_charges_become_orders(tmp_path):
    result = _import(tmp_path, "stripe_charges.csv", "orders", "stripe")
    assert result.preview == [
        {
            "line": 4,
            "reason": "the charge failed: not a purchase "
            "(The bank returned the decline code `insufficient_funds`.)",
        }
    ]
    grace = Identity.objects.get(kind="external", source="stripe", value="cus_R4x9LmQ2aZ").person
    assert grace.order_count == 2
    assert grace.total_spent == Decimal("240.00")
    assert Touchpoint.objects.filter(source="stripe").first().currency == "USD"


def test_zendesk_tickets_become_inbound_messages_in_a_thread(tmp_path):
    _import(tmp_path, "zendesk_tickets.csv", "tickets", "zendesk")
    ticket = Touchpoint.objects.get(source="zendesk", external_id="ticket-4820")
    assert (ticket.kind, ticket.direction, ticket.channel) == ("message", "in", "web")
    assert ticket.thread == "ticket-4820"
    assert ticket.subject == "Charged twice?"
    assert "billing error" in ticket.text
    assert ticket.staff.display_name == "Alex Kim"
    assert ticket.extra["satisfaction"] == "bad"


def test_trustpilot_reviews_keep_stars_title_and_reply(tmp_path):
    _import(tmp_path, "trustpilot_reviews.csv", "reviews", "trustpilot")
    review = Touchpoint.objects.get(source="trustpilot", external_id="6749b3d4a2f5c6e7d8b9a012")
    assert (review.kind, review.rating, review.channel) == ("review", 2, "review_site")
    assert review.subject == "Slow delivery, no updates"
    assert review.extra["reply"].startswith("Johan, we're sorry")
    # "Ravi" left no e-mail; Trustpilot's consumer id is enough to keep the review.
    ravi = Identity.objects.get(kind="external", source="trustpilot", value__endswith="b84")
    assert ravi.person.touchpoints.get().rating == 5


def test_generic_files_keep_facts_consent_lines_and_threads(tmp_path):
    _import(tmp_path, "generic_customers.csv", "customers", "generic")
    _import(tmp_path, "generic_orders.csv", "orders", "generic")
    _import(tmp_path, "generic_tickets.csv", "tickets", "generic")
    _import(tmp_path, "generic_surveys.csv", "surveys", "generic")
    ada = Person.objects.get(primary_email="ada@example.com")
    assert ada.consent_email is True
    assert dict(ada.facts.values_list("key", "value"))["pet_name"] == "Babbage (cat)"
    order = Touchpoint.objects.get(external_id="A-5001")
    assert OrderLine.objects.filter(touchpoint=order).count() == 2
    assert ada.touchpoints.filter(thread="T-88").count() == 2
    nps = Touchpoint.objects.get(external_id="NPS-2025Q4-0001")
    assert (nps.kind, nps.rating, nps.extra["scale"]) == ("survey_answer", 9, "nps")
