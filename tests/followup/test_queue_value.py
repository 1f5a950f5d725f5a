"""The queue shows each customer's value as money: the amount in the reporting currency, as
the business's locale writes it, and says when orders without a rate are left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devotion.api.models import ApiKey
from devotion.followup.models import SupportTeam

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def euro_shop(settings):
    settings.REPORTING_CURRENCY = "EUR"
    settings.MONEY_LOCALE = "de_DE"
    settings.FX_RATES = {}


@pytest.fixture
def customer_waits(euro_shop, ingest):
    """Hanna bought for 1,234.50 EUR and 5,000 JPY (no JPY rate), then asked a question."""
    SupportTeam.objects.update(hours="daily 00:00-24:00", timezone="UTC")

    def order(n, amount, currency):
        return {
            "kind": "order",
            "source": "shop",
            "external_id": f"o-{n}",
            "occurred_at": (NOW - timedelta(days=n)).isoformat(),
            "person": {"email": "hanna@example.de", "name": "Hanna Weber"},
            "amount": amount,
            "currency": currency,
        }

    ingest(
        [
            order(3, "1234.50", "EUR"),
            order(2, "5000", "JPY"),
            {
                "kind": "message",
                "source": "helpdesk",
                "external_id": "m-1",
                "occurred_at": (NOW - timedelta(minutes=1)).isoformat(),
                "person": {"email": "hanna@example.de", "name": "Hanna Weber"},
                "channel": "email",
                "direction": "in",
                "thread": "T-1",
                "subject": "Where is my parcel?",
                "text": "Where is my parcel?",
            },
        ]
    )


def test_the_page_writes_the_value_in_the_reporting_currency_and_locale(
    login, agent, customer_waits
):
    html = login(agent).get("/queue/").content.decode()
    assert "1.234,50\xa0€" in html
    assert "(incomplete)" in html  # the JPY order has no rate


def test_the_api_gives_amount_currency_and_the_written_value(client, customer_waits):
    headers = {"Authorization": f"Bearer {ApiKey.create('t', ['queue:read'])[1]}"}
    item = client.get("/api/v1/queue", headers=headers).json()["items"][0]
    assert item["value"] == "1234.50"
    assert item["currency"] == "EUR"
    assert item["value_text"] == "1.234,50\xa0€"
    assert item["value_incomplete"] is True
