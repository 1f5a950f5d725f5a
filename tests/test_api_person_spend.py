"""GET /api/v1/people/{id} gives spend in the reporting currency, says when orders in a
currency without a rate are left out, and totals each currency apart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from devotion.api.models import ApiKey
from devotion.ingest.store import ingest
from devotion.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(client):
    _, raw = ApiKey.create("reader", ["people:read"])

    def _get(path, **params):
        return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {raw}")

    return _get


def _globetrotter(make_event) -> Person:
    """54 USD, 100 EUR and 5000 JPY, imported with the rates set now."""
    ingest(
        [
            make_event(external_id="o-usd", amount="54.00", currency="USD"),
            make_event(external_id="o-eur", amount="100.00", currency="EUR"),
            make_event(external_id="o-jpy", amount="5000", currency="JPY"),
        ]
    )
    return Person.objects.get()


def test_a_person_shows_spend_in_the_reporting_currency_and_per_currency(get, settings, make_event):
    settings.FX_RATES = {"EUR": Decimal("1.08"), "JPY": Decimal("0.0067")}
    person = _globetrotter(make_event)
    aggregates = get(f"/api/v1/people/{person.pk}").json()["aggregates"]
    assert aggregates["total_spent"] == "195.50"
    assert aggregates["currency"] == "USD"
    assert aggregates["spend_incomplete"] is False
    assert aggregates["spent_by_currency"] == {"EUR": "100.00", "JPY": "5000", "USD": "54.00"}


def test_a_person_with_an_order_in_a_currency_without_a_rate_is_flagged(get, settings, make_event):
    settings.FX_RATES = {"EUR": Decimal("1.08")}
    person = _globetrotter(make_event)
    aggregates = get(f"/api/v1/people/{person.pk}").json()["aggregates"]
    assert (aggregates["total_spent"], aggregates["spend_incomplete"]) == ("162.00", True)


def test_the_people_list_says_whose_spend_is_incomplete(get, make_event):
    _globetrotter(make_event)  # no rates: the euros and yen are left out
    ingest([make_event(external_id="b", amount="5", person={"email": "bob@example.com"})])
    items = get("/api/v1/people").json()["items"]
    flags = {item["primary_email"]: item["spend_incomplete"] for item in items}
    assert flags == {"ada@example.com": True, "bob@example.com": False}


def test_the_openapi_schema_documents_spend(get):
    schema = get("/api/openapi.json").json()["components"]["schemas"]
    aggregates = schema["AggregatesOut"]["properties"]
    assert {"total_spent", "currency", "spend_incomplete", "spent_by_currency"} <= set(aggregates)
    assert "reporting currency" in aggregates["total_spent"]["description"]
