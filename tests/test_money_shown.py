"""Amounts carry their currency everywhere, with that currency's decimals, and a customer's
spend is never one number added up across currencies."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def globetrotter(make_event) -> Person:
    """Three orders in three currencies: 54 USD, 100 EUR, 5000 JPY."""
    ingest(
        [
            make_event(external_id="o-usd", amount="54.00", currency="USD"),
            make_event(
                external_id="o-eur",
                amount="100.00",
                currency="EUR",
                lines=[{"product_id": "MUG", "quantity": 1, "unit_price": "100.00"}],
            ),
            make_event(external_id="o-jpy", amount="5000", currency="JPY"),
        ]
    )
    return Person.objects.get()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_customer_page_totals_each_currency_apart(login, agent, globetrotter):
    page = _text(login(agent).get(reverse("customer", args=[globetrotter.pk])).content.decode())
    assert "5,154" not in page
    assert "¥5,000 + €100.00 + $54.00" in page


def test_the_customer_page_converts_into_the_reporting_currency_with_the_business_rates(
    login, agent, globetrotter, settings
):
    settings.FX_RATES = {"EUR": Decimal("1.08"), "JPY": Decimal("0.0067")}
    page = _text(login(agent).get(reverse("customer", args=[globetrotter.pk])).content.decode())
    assert "≈ $195.50" in page


def test_timeline_amounts_and_order_lines_show_their_currency(login, agent, globetrotter):
    page = _text(login(agent).get(reverse("customer", args=[globetrotter.pk])).content.decode())
    assert "¥5,000" in page and "5,000.00" not in page
    assert "at €100.00" in page


def test_the_list_shows_per_currency_totals_for_a_mixed_customer(login, agent, globetrotter):
    page = _text(login(agent).get(reverse("customers")).content.decode())
    assert "5,154" not in page
    assert "¥5,000 + €100.00 + $54.00" in page


def test_the_list_shows_the_reporting_currency_for_a_customer_who_pays_in_it(
    login, agent, make_event
):
    ingest([make_event(amount="1234.50", currency="USD"), make_event(amount="10", currency="")])
    page = _text(login(agent).get(reverse("customers")).content.decode())
    assert "$1,244.50" in page
