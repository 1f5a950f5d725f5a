"""A customer's total spent is one number in the reporting currency: orders in other
currencies are converted with the business's rates, and orders in a currency without a rate
are left out and said to be (imports, merges and their undo, and ``devotion recount-spend``
all count the same way)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.merging import merge_people, undo_merge
from devotion.people.models import Person

pytestmark = pytest.mark.django_db

RATES = {"EUR": Decimal("1.08"), "JPY": Decimal("0.0067")}


def _orders(make_event, email: str = "ada@example.com", prefix: str = "o") -> list[dict]:
    """54 USD, 100 EUR (from its lines) and 5000 JPY."""
    person = {"email": email, "name": email.split("@")[0].title()}
    return [
        make_event(external_id=f"{prefix}-usd", amount="54.00", currency="USD", person=person),
        make_event(
            external_id=f"{prefix}-eur",
            amount=None,
            currency="EUR",
            lines=[{"product_id": "MUG", "quantity": 2, "unit_price": "50.00"}],
            person=person,
        ),
        make_event(external_id=f"{prefix}-jpy", amount="5000", currency="JPY", person=person),
    ]


def _spend(email: str = "ada@example.com") -> tuple[str, bool]:
    person = Person.objects.get(primary_email=email)
    return str(person.total_spent), person.spend_incomplete


def test_orders_in_other_currencies_are_converted_with_the_business_rates(make_event, settings):
    settings.FX_RATES = RATES
    ingest(_orders(make_event))
    assert _spend() == ("195.50", False)  # 54 + 100 x 1.08 + 5000 x 0.0067


def test_an_order_in_a_currency_without_a_rate_is_left_out_and_said_to_be(make_event, settings):
    settings.FX_RATES = {"EUR": Decimal("1.08")}
    ingest(_orders(make_event))
    assert _spend() == ("162.00", True)


def test_without_any_rate_only_orders_in_the_reporting_currency_or_none_count(make_event, settings):
    settings.FX_RATES = {}
    ingest([*_orders(make_event), make_event(external_id="o-plain", amount="6", currency="")])
    assert _spend() == ("60.00", True)


def test_orders_added_in_later_batches_add_their_converted_amounts(make_event, settings):
    settings.FX_RATES = RATES
    for event in _orders(make_event):
        ingest([event])
    assert _spend() == ("195.50", False)


def test_each_order_is_converted_and_rounded_on_its_own(make_event, settings):
    settings.FX_RATES = {"EUR": Decimal("1.005")}
    ingest(
        [
            make_event(external_id="a", amount="1.00", currency="EUR"),
            make_event(external_id="b", amount="1.00", currency="EUR"),
        ]
    )
    # 1.005 rounds to 1.00 (half to even) each time: 2.00, as the recount says too.
    assert _spend() == ("2.00", False)
    call_command("recount_spend", stdout=None)
    assert _spend() == ("2.00", False)


def test_a_merge_and_its_undo_count_spend_the_same_way(make_event, settings):
    settings.FX_RATES = {"EUR": Decimal("1.08")}
    ingest(_orders(make_event, "ada@example.com", "a"))
    ingest([make_event(external_id="b-eur", amount="10.00", currency="EUR",
                       person={"email": "ada@work.example", "name": "Ada"})])  # fmt: skip
    ada = Person.objects.get(primary_email="ada@example.com")
    work = Person.objects.get(primary_email="ada@work.example")
    assert _spend("ada@work.example") == ("10.80", False)

    merge = merge_people(ada, work, reason="same person")
    assert _spend() == ("172.80", True)

    undo_merge(merge)
    assert _spend() == ("162.00", True)
    assert _spend("ada@work.example") == ("10.80", False)


def test_recount_spend_brings_everyone_up_to_new_rates(make_event, settings, capsys):
    settings.FX_RATES = {"EUR": Decimal("1.08")}
    ingest(_orders(make_event))
    ingest([make_event(external_id="x", amount="5", person={"email": "bob@example.com"})])
    assert _spend() == ("162.00", True)

    settings.FX_RATES = RATES  # the business adds a rate for yen
    call_command("recount_spend", batch_size=1)
    assert _spend() == ("195.50", False)
    assert _spend("bob@example.com") == ("5.00", False)
    out = capsys.readouterr().out
    assert "rates EUR=1.08, JPY=0.0067" in out
    assert "2 people checked, 1 updated." in out


def test_the_migration_recount_reads_only_people_with_orders_in_other_currencies(
    make_event, settings
):
    """What migration people/0008 runs: before it, total_spent was the plain sum of amounts,
    so only people with a foreign order can change, and only they are read."""
    from devotion.people.spend import recount_spend

    settings.FX_RATES = {"EUR": Decimal("1.08")}
    ingest(_orders(make_event))
    ingest([make_event(external_id="x", amount="5", person={"email": "bob@example.com"})])
    # As the old code left it: every amount added up as if in one currency, no flag.
    Person.objects.update(total_spent=Decimal("5154.00"), spend_incomplete=False)
    Person.objects.filter(primary_email="bob@example.com").update(total_spent=Decimal("5.00"))

    assert recount_spend(batch_size=1, foreign_only=True) == (1, 1)
    assert _spend() == ("162.00", True)
    assert _spend("bob@example.com") == ("5.00", False)


def test_recount_spend_refuses_a_batch_size_below_one(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--batch-size must be 1 or more"):
        call_command("recount_spend", batch_size=0)


def test_the_customers_list_sorts_by_spend_in_the_reporting_currency(
    make_event, settings, login, agent
):
    settings.FX_RATES = RATES
    ingest(
        [
            make_event(external_id="u", amount="150.00", currency="USD",
                       person={"email": "usd@example.com", "name": "Dollar Dan"}),
            make_event(external_id="j", amount="30000", currency="JPY",  # 201.00 USD
                       person={"email": "yen@example.com", "name": "Yen Yui"}),
            make_event(external_id="e", amount="100.00", currency="EUR",  # 108.00 USD
                       person={"email": "eur@example.com", "name": "Euro Eva"}),
        ]
    )  # fmt: skip
    page = login(agent).get(reverse("customers"), {"sort": "-spend"}).content.decode()
    assert page.index("Yen Yui") < page.index("Dollar Dan") < page.index("Euro Eva")


def test_pages_say_which_currencies_have_no_rate(make_event, settings, login, agent):
    """The list sorts by spend in the reporting currency: a person whose yen orders are left
    out of it is told so, on the list and on their page, with what to do."""
    settings.FX_RATES = {"EUR": Decimal("1.08")}
    ingest(_orders(make_event))
    client = login(agent)
    listing = client.get(reverse("customers")).content.decode()
    assert "(no JPY rate)" in listing
    assert "DEVOTION_FX_RATES, then run devotion recount-spend" in listing
    ada = Person.objects.get(primary_email="ada@example.com")
    page = client.get(reverse("customer", args=[ada.pk])).content.decode()
    assert "(no JPY rate)" in page

    settings.FX_RATES = RATES
    assert "no JPY rate" not in client.get(reverse("customers")).content.decode()
