"""The customers list: search by every identity, stage filter, sort, paging, empty states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.web import views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every LocMemCache with the same LOCATION shares one store, so the stage counts cached
    by one test would show in the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def shop(make_event):
    """Three customers with different identities, stages and last activity."""
    ingest(
        [
            make_event(
                occurred_at="2025-01-10T10:00:00Z",
                person={"email": "ada@example.com", "name": "Ada Lovelace", "external_id": "c-1"},
            ),
            make_event(occurred_at="2025-03-10T10:00:00Z", person={"email": "ada@example.com"}),
            make_event(
                occurred_at="2025-05-01T10:00:00Z",
                person={
                    "email": "grace@navy.example",
                    "phone": "+1 415 555 0199",
                    "name": "Grace Hopper",
                },
            ),
            make_event(
                kind="lead",
                occurred_at="2025-02-01T10:00:00Z",
                person={"email": "alan@bletchley.example", "name": "Alan Turing"},
                amount=None,
            ),
        ]
    )


def names(response) -> list[str]:
    return [p.display_name for p in response.context["people"]]


def test_it_lists_live_people_with_the_most_recent_activity_first(shop, login, agent):
    response = login(agent).get(reverse("customers"))
    assert response.status_code == 200
    assert names(response) == ["Grace Hopper", "Ada Lovelace", "Alan Turing"]
    assert b"Grace Hopper" in response.content


def test_it_sorts_by_least_recent_activity_on_request(shop, login, agent):
    response = login(agent).get(reverse("customers"), {"sort": "oldest"})
    assert names(response) == ["Alan Turing", "Ada Lovelace", "Grace Hopper"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada", ["Ada Lovelace"]),
        ("lovelace", ["Ada Lovelace"]),
        ("grace@navy", ["Grace Hopper"]),
        ("(415) 555-0199", ["Grace Hopper"]),
        ("c-1", ["Ada Lovelace"]),
        ("a", ["Ada Lovelace", "Alan Turing"]),
    ],
)
def test_it_searches_by_name_email_phone_and_source_id(shop, login, agent, query, expected):
    response = login(agent).get(reverse("customers"), {"q": query})
    assert names(response) == expected


def test_it_filters_by_journey_stage(shop, login, agent):
    client = login(agent)
    assert names(client.get(reverse("customers"), {"stage": "prospect"})) == ["Alan Turing"]
    assert names(client.get(reverse("customers"), {"stage": "active"})) == ["Ada Lovelace"]
    assert names(client.get(reverse("customers"), {"stage": "new"})) == ["Grace Hopper"]


def test_a_bad_stage_or_sort_falls_back_to_the_default(shop, login, agent):
    response = login(agent).get(reverse("customers"), {"stage": "bogus", "sort": "x", "page": "y"})
    assert response.status_code == 200
    assert len(names(response)) == 3


def test_merged_people_are_not_listed(shop, login, agent):
    from devotion.people.merging import merge_people

    ada = Person.objects.get(display_name="Ada Lovelace")
    alan = Person.objects.get(display_name="Alan Turing")
    merge_people(ada, alan, reason="test")
    assert "Alan Turing" not in names(login(agent).get(reverse("customers")))


def test_an_htmx_request_gets_only_the_results_fragment(shop, login, agent):
    response = login(agent).get(reverse("customers"), {"q": "grace"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Grace Hopper" in body
    assert "<html" not in body and 'name="q"' not in body
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(shop, login, agent):
    response = login(agent).get(
        reverse("customers"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def make_people(make_event, count: int, *, start: datetime | None = None) -> None:
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    ingest(
        [
            make_event(
                occurred_at=(start + timedelta(hours=n)).isoformat(),
                person={"email": f"p{n}@example.com", "name": f"Person {n:03d}"},
            )
            for n in range(count)
        ]
    )


def test_it_pages_with_next_and_previous_without_counting(make_event, login, agent):
    make_people(make_event, 120)
    client = login(agent)
    first = client.get(reverse("customers"))
    assert names(first)[0] == "Person 119" and len(names(first)) == 50
    assert first.context["has_next"] and 'rel="next"' in first.content.decode()
    third = client.get(reverse("customers"), {"page": 3})
    assert names(third) == [f"Person {n:03d}" for n in range(19, -1, -1)]
    assert not third.context["has_next"]
    assert 'rel="prev"' in third.content.decode()


def test_people_never_active_come_after_everyone_else_across_pages(make_event, login, agent):
    make_people(make_event, 45)
    ingest(
        [
            {
                "kind": "customer",
                "source": "shop",
                "person": {"email": f"q{n}@x.example", "name": f"Quiet {n}"},
            }
            for n in range(10)
        ]
    )
    client = login(agent)
    first, second = (client.get(reverse("customers"), {"page": p}) for p in (1, 2))
    assert names(first)[:45] == [f"Person {n:03d}" for n in range(44, -1, -1)]
    assert names(first)[45:] == [f"Quiet {n}" for n in range(9, 4, -1)]
    assert names(second) == [f"Quiet {n}" for n in range(4, -1, -1)]
    oldest = client.get(reverse("customers"), {"sort": "oldest"})
    assert names(oldest)[0] == "Person 000" and names(oldest)[45] == "Quiet 9"
    beyond = client.get(reverse("customers"), {"page": 5})
    assert names(beyond) == []


def test_page_numbers_are_capped(make_event, login, agent, monkeypatch):
    make_people(make_event, 8)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    import devotion.lib.paging as paging

    monkeypatch.setattr(paging, "MAX_PAGES", 3)
    monkeypatch.setattr(views, "MAX_PAGES", 3)
    response = login(agent).get(reverse("customers"), {"page": 99})
    assert response.context["page"] == 3
    assert response.context["capped"] and not response.context["has_next"]


def test_with_no_customers_it_says_how_to_get_data_in(login, manager):
    body = login(manager).get(reverse("customers")).content.decode()
    assert "No customers yet" in body
    assert 'href="/imports/"' in body and 'href="/api/docs"' in body and "devotion demo" in body


def test_agents_are_not_sent_to_the_imports_page_they_cannot_open(login, agent):
    body = login(agent).get(reverse("customers")).content.decode()
    assert "No customers yet" in body and 'href="/imports/"' not in body


def test_with_no_match_it_offers_to_clear_the_search(shop, login, agent):
    body = login(agent).get(reverse("customers"), {"q": "zebedee"}).content.decode()
    assert "No one matches" in body and "Clear the search" in body


def test_the_list_shows_stage_counts(shop, login, agent):
    body = login(agent).get(reverse("customers")).content.decode()
    assert "Prospect (1)" in body and "Active (1)" in body


def test_the_list_costs_a_fixed_number_of_queries(
    make_event, login, agent, django_assert_max_num_queries
):
    make_people(make_event, 60)
    client = login(agent)
    client.get(reverse("customers"))  # warm the session and the stage-count cache
    with django_assert_max_num_queries(6):
        response = client.get(reverse("customers"), {"sort": "recent"})
    assert len(names(response)) == 50
    # A name search first counts (bounded) how many names match, one query per name index;
    # a filtered list then counts its pages (bounded) and reads the page's spend.
    with django_assert_max_num_queries(10):
        client.get(reverse("customers"), {"q": "person", "stage": "new", "page": 2})
