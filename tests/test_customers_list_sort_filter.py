"""The customers list sorts by any column both ways, filters by stage, country, consent and
source, says how many pages there are, and stays a fixed number of queries."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from devotion.ingest.store import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def shop(make_event):
    """Ada (2 orders, 90, FR, e-mail consent, in Shopify), Bo (1 order, 500, US),
    Cy (a lead: no order, DE, refused e-mail)."""
    ingest(
        [
            make_event(
                source="shopify",
                occurred_at="2025-01-10T10:00:00Z",
                amount="40.00",
                person={
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                    "external_id": "c1",
                    "country": "FR",
                },
            ),
            make_event(occurred_at="2025-03-10T10:00:00Z", amount="50.00"),
            make_event(
                kind="customer",
                occurred_at="2025-01-01T00:00:00Z",
                consent={"email": True},
                amount=None,
            ),
            make_event(
                occurred_at="2025-02-01T10:00:00Z",
                amount="500.00",
                person={"email": "bo@example.com", "name": "Bo Zeller", "country": "US"},
            ),
            make_event(
                kind="lead",
                occurred_at="2025-05-01T10:00:00Z",
                amount=None,
                person={"email": "cy@example.com", "name": "Cy Young", "country": "DE"},
                consent={"email": False},
            ),
        ]
    )


def names(response) -> list[str]:
    return [p.display_name for p in response.context["people"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Ada Lovelace", "Bo Zeller", "Cy Young"]),
        ("-name", ["Cy Young", "Bo Zeller", "Ada Lovelace"]),
        ("-orders", ["Ada Lovelace", "Bo Zeller", "Cy Young"]),
        ("orders", ["Cy Young", "Bo Zeller", "Ada Lovelace"]),
        ("-spend", ["Bo Zeller", "Ada Lovelace", "Cy Young"]),
        ("spend", ["Cy Young", "Ada Lovelace", "Bo Zeller"]),
        ("since", ["Ada Lovelace", "Bo Zeller", "Cy Young"]),
        ("-since", ["Cy Young", "Bo Zeller", "Ada Lovelace"]),
        ("-activity", ["Cy Young", "Ada Lovelace", "Bo Zeller"]),
        ("activity", ["Bo Zeller", "Ada Lovelace", "Cy Young"]),
    ],
)
def test_it_sorts_by_every_column_in_both_directions(shop, login, agent, sort, expected):
    assert names(login(agent).get(reverse("customers"), {"sort": sort})) == expected


def test_a_column_header_sorts_by_it_and_a_second_click_flips_it(shop, login, agent):
    client = login(agent)
    first = client.get(reverse("customers"))
    assert first.context["columns"]["spend"]["url"].endswith("sort=-spend")
    flipped = client.get(reverse("customers"), {"sort": "-spend"})
    assert flipped.context["columns"]["spend"]["url"].endswith("sort=spend")
    assert 'aria-sort="descending"' in flipped.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "fr"}, ["Ada Lovelace"]),
        ({"consent": "email:given"}, ["Ada Lovelace"]),
        ({"consent": "email:refused"}, ["Cy Young"]),
        ({"consent": "email:unknown"}, ["Bo Zeller"]),
        ({"source": "shopify"}, ["Ada Lovelace"]),
        ({"stage": "prospect"}, ["Cy Young"]),
        ({"country": "US", "stage": "new", "sort": "name"}, ["Bo Zeller"]),
    ],
)
def test_it_filters_by_country_consent_source_and_stage(shop, login, agent, params, expected):
    assert names(login(agent).get(reverse("customers"), params)) == expected


def test_it_says_which_page_of_how_many(make_event, login, agent, monkeypatch):
    from devotion.web import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    ingest([make_event(person={"email": f"p{n}@example.com"}) for n in range(5)])
    client = login(agent)
    assert "Page 2 of 3" in client.get(reverse("customers"), {"page": 2}).content.decode()
    filtered = client.get(reverse("customers"), {"consent": "sms:unknown", "page": 1})
    assert "Page 1 of 3" in filtered.content.decode()


def test_filtered_and_sorted_lists_cost_a_fixed_number_of_queries(
    make_event, login, agent, django_assert_max_num_queries
):
    ingest(
        [
            make_event(person={"email": f"p{n}@example.com", "name": f"P {n}", "country": "FR"})
            for n in range(60)
        ]
    )
    client = login(agent)
    client.get(reverse("customers"))  # warm the session and the facet cache
    params = {"country": "FR", "consent": "email:unknown", "source": "shop", "sort": "-spend"}
    with django_assert_max_num_queries(7):
        response = client.get(reverse("customers"), params)
    assert len(response.context["people"]) == 0  # "shop" ids are e-mails: no source id
    with django_assert_max_num_queries(7):
        response = client.get(reverse("customers"), {"country": "FR", "sort": "name"})
    assert len(response.context["people"]) == 50
