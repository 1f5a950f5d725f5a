"""The customer page: identities, facts, the timeline (order, filters, paging) and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.models import Person, PersonalFact
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_cached_staff():
    """The ingest caches staff ids per process; a test's rolled-back members must not leak
    into the next test (reported to the owner of touchpoints/ingest.py)."""
    from devotion.ingest import store as ingest_module

    getattr(ingest_module, "_STAFF", {}).clear()


ADA = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+1 415 555 0123"}


@pytest.fixture
def ada(make_event) -> Person:
    """Ada, seen in a shop, a help desk, a survey tool and a review site."""
    ingest(
        [
            make_event(
                occurred_at="2025-01-05T09:00:00Z",
                person={**ADA, "external_id": "cust-7"},
                channel="web",
                lines=[
                    {
                        "product_id": "SKU-1",
                        "product_name": "Blue mug",
                        "quantity": 2,
                        "unit_price": "20.00",
                    }
                ],
            ),
            make_event(
                kind="message",
                source="zendesk",
                external_id="t-1",
                direction="in",
                channel="email",
                occurred_at="2025-02-01T09:00:00Z",
                subject="Broken handle",
                text="The mug arrived with a broken handle. My cat Babbage was not impressed.",
                person={"email": "ada@example.com", "external_id": "zd-99"},
                facts={"pet_name": "Babbage"},
            ),
            make_event(
                kind="message",
                source="zendesk",
                external_id="t-2",
                direction="out",
                channel="email",
                occurred_at="2025-02-01T11:00:00Z",
                text="So sorry! A new mug is on its way.",
                staff="Sam Lee",
                person={"email": "ada@example.com"},
            ),
            make_event(
                kind="review",
                source="trustpilot",
                external_id="r-1",
                channel="review_site",
                occurred_at="2025-03-01T09:00:00Z",
                rating=5,
                text="Lovely shop, " + "great service " * 40,
                person={"email": "ada@example.com"},
            ),
            make_event(
                kind="customer",
                source="shop",
                external_id="",
                occurred_at=None,
                person={"email": "ada@example.com"},
                facts={"birthday": "1815-12-10"},
            ),
        ]
    )
    return Person.objects.get(primary_email="ada@example.com")


def page(client, person, headers=None, **params):
    return client.get(reverse("customer", args=[person.pk]), params, headers=headers)


def test_it_shows_identities_grouped_by_kind_and_source(ada, login, agent):
    response = page(login(agent), ada)
    assert response.status_code == 200
    body = response.content.decode()
    assert [i.value for i in response.context["emails"]] == ["ada@example.com"]
    assert [i.value for i in response.context["phones"]] == ["+14155550123"]
    assert response.context["external"] == [
        ("shop", [ada.identities.get(source="shop")]),
        ("zendesk", [ada.identities.get(source="zendesk")]),
    ]
    assert "+1 415-555-0123" in body and "cust-7" in body and "zd-99" in body


def test_it_shows_the_header_numbers(ada, login, agent):
    body = page(login(agent), ada).content.decode()
    assert "Ada Lovelace" in body and "badge-new" in body
    assert ">1</span>" in body  # one order
    assert "40.00" in body


def test_it_shows_facts_with_where_they_were_learned_and_expiry(ada, login, agent):
    PersonalFact.objects.filter(key="birthday").update(expires_at=datetime(2020, 1, 1, tzinfo=UTC))
    response = page(login(agent), ada)
    facts = {f.key: f for f in response.context["facts"]}
    assert facts["birthday"].expired_ and not facts["pet_name"].expired_
    body = response.content.decode()
    message = ada.touchpoints.get(external_id="t-1")
    assert f"#tp-{message.pk}" in body and "from shop customer" in body
    assert "expired" in body


def test_the_fact_link_opens_the_timeline_at_the_touchpoint(ada, login, agent):
    client = login(agent)
    fact = page(client, ada).context["facts"][1]
    assert fact.key == "pet_name"
    url = fact.source_url_.split("#")[0]
    entries = client.get(url).context["entries"]
    assert entries[0].external_id == "t-1"


def test_the_timeline_is_newest_first_across_channels(ada, login, agent):
    entries = page(login(agent), ada).context["entries"]
    assert [e.external_id for e in entries] == ["r-1", "t-2", "t-1", "o-1"]
    body = page(login(agent), ada).content.decode()
    assert "Blue mug" in body
    assert "by Sam Lee" in body
    assert "★ 5" in body
    assert "Show all" in body  # the long review is folded


def test_the_timeline_filters_by_kind_and_by_channel(ada, login, agent):
    client = login(agent)
    by_kind = page(client, ada, kind="message").context["entries"]
    assert [e.external_id for e in by_kind] == ["t-2", "t-1"]
    by_channel = page(client, ada, channel="web").context["entries"]
    assert [e.external_id for e in by_channel] == ["o-1"]
    both = page(client, ada, kind="order", channel="email").content.decode()
    assert "Nothing here with these filters" in both


def test_the_filter_choices_are_what_this_person_has(ada, login, agent):
    context = page(login(agent), ada).context
    assert [k for k, _ in context["kinds"]] == ["order", "message", "review"]
    assert context["channels"] == ["email", "review_site", "web"]


def test_the_timeline_pages_with_older_and_newer(make_event, login, agent):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    # Two touchpoints share each time, so paging must break ties on id.
    ingest(
        [
            make_event(
                kind="note",
                external_id=f"n-{n}",
                occurred_at=(start + timedelta(hours=n // 2)).isoformat(),
                amount=None,
            )
            for n in range(120)
        ]
    )
    person = Person.objects.get()
    client = login(agent)
    seen = []
    response = page(client, person)
    pages = [response]
    while response.context["older"]:
        response = page(client, person, page=response.context["older"])
        pages.append(response)
    for response in pages:
        seen += [e.external_id for e in response.context["entries"]]
    assert [len(r.context["entries"]) for r in pages] == [50, 50, 20]
    assert len(seen) == 120 and len(set(seen)) == 120
    expected = [tp.external_id for tp in person.touchpoints.order_by("-occurred_at", "-id")]
    assert seen == expected
    back = page(client, person, page=pages[2].context["newer"])
    assert [e.external_id for e in back.context["entries"]] == expected[50:100]
    assert back.context["newer"] is not None
    first = page(client, person, page=back.context["newer"])
    assert [e.external_id for e in first.context["entries"]] == expected[:50]
    assert first.context["newer"] is None


def test_a_mangled_page_token_shows_the_first_page(ada, login, agent):
    response = page(login(agent), ada, page="o12.x")
    assert len(response.context["entries"]) == 4


def test_an_htmx_filter_gets_only_the_timeline(ada, login, agent):
    response = login(agent).get(
        reverse("customer", args=[ada.pk]), {"kind": "review"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "Lovely shop" in body and "Identities" not in body and "<html" not in body


def test_viewing_a_customer_is_audited_without_personal_data(ada, login, agent):
    page(login(agent), ada)
    event = AuditEvent.objects.get(action="person.view")
    assert event.actor == agent and event.object_id == str(ada.pk)
    assert "ada" not in str(event.detail).lower()


def test_an_unknown_person_is_404(login, agent):
    assert login(agent).get(reverse("customer", args=[999])).status_code == 404


def test_admins_see_export_and_erase_and_agents_do_not(ada, login, agent, admin_user):
    assert "Erase person" not in page(login(agent), ada).content.decode()
    body = page(login(admin_user), ada).content.decode()
    assert f"/settings/people/{ada.pk}/export.json" in body
    assert f"/settings/people/{ada.pk}/erase/" in body


def test_a_person_without_touchpoints_says_so(login, agent):
    ingest([{"kind": "customer", "source": "shop", "person": {"email": "q@x.example"}}])
    body = page(login(agent), Person.objects.get()).content.decode()
    assert "No touchpoints yet" in body and "Nothing personal known yet" in body


def test_the_page_costs_a_fixed_number_of_queries(
    make_event, login, agent, django_assert_max_num_queries
):
    ingest(
        [
            make_event(
                external_id=f"o-{n}",
                staff=f"Staff {n % 5}",
                channel=["web", "store"][n % 2],
                lines=[{"product_id": f"SKU-{n}", "quantity": 1, "unit_price": "5"}] * 2,
                facts={f"fact_{n % 10}": "x"},
                occurred_at=f"2025-05-{1 + n % 28:02d}T10:00:00Z",
            )
            for n in range(80)
        ]
    )
    person = Person.objects.get()
    client = login(agent)
    client.get(reverse("customers"))  # warm the session
    # +1 since spend is totalled per currency from the orders (one grouped query);
    # +1 for the person's feeling over their last messages (voice); +2 for the story panel
    # (order days, top products; +1 for the snapshot once scored).
    with django_assert_max_num_queries(15):
        response = page(client, person)
    assert len(response.context["entries"]) == 50
    with django_assert_max_num_queries(7):
        response = page(client, person, headers={"HX-Request": "true"}, kind="order")
    assert len(response.context["entries"]) == 50
