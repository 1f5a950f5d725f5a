"""Managers merge duplicates by hand from the customer page, and undo merges; agents watch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.merging import merge_people
from devotion.people.models import Merge, Person
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(make_event) -> tuple[Person, Person]:
    """The same Ada, once from the shop and once from the help desk, not yet recognised."""
    ingest(
        [
            make_event(person={"email": "ada@example.com", "name": "Ada Lovelace"}),
            make_event(
                kind="message",
                source="zendesk",
                external_id="t-1",
                direction="in",
                text="Where is my order?",
                person={"email": "a.lovelace@work.example", "name": "A. Lovelace"},
            ),
        ]
    )
    return (
        Person.objects.get(primary_email="ada@example.com"),
        Person.objects.get(primary_email="a.lovelace@work.example"),
    )


def test_a_manager_finds_the_duplicate_from_the_customer_page(twins, login, manager):
    ada, other = twins
    client = login(manager)
    assert (
        "Merge a duplicate into this person"
        in client.get(reverse("customer", args=[ada.pk])).content.decode()
    )
    response = client.get(reverse("merge-search", args=[ada.pk]), {"q": "lovelace"})
    assert [p.pk for p in response.context["candidates"]] == [other.pk]
    assert reverse("merge-confirm", args=[ada.pk, other.pk]) in response.content.decode()


def test_the_confirm_page_shows_both_people_side_by_side(twins, login, manager):
    ada, other = twins
    response = login(manager).get(reverse("merge-confirm", args=[ada.pk, other.pk]))
    body = response.content.decode()
    assert "ada@example.com" in body and "a.lovelace@work.example" in body
    assert response.context["second"]["touchpoints"] == 1
    assert Merge.objects.count() == 0  # looking changes nothing


def test_a_manager_merges_and_it_is_audited(twins, login, manager):
    ada, other = twins
    client = login(manager)
    response = client.post(reverse("merge-confirm", args=[ada.pk, other.pk]), follow=True)
    other.refresh_from_db()
    assert other.merged_into_id == ada.pk
    assert ada.touchpoints.count() == 2
    merge = Merge.objects.get()
    assert merge.merged_by == manager and merge.reason == "merged by hand"
    assert (
        "Merged A. Lovelace (a.lovelace@work.example) into this profile"
        in response.content.decode()
    )
    event = AuditEvent.objects.get(action="person.merge")
    assert event.object_id == str(ada.pk) and event.detail["loser_id"] == other.pk


def test_the_merged_persons_page_leads_to_the_survivor_with_a_notice(twins, login, manager):
    ada, other = twins
    merge_people(ada, other, reason="same person", user=manager)
    response = login(manager).get(reverse("customer", args=[other.pk]), follow=True)
    assert response.redirect_chain == [(reverse("customer", args=[ada.pk]), 302)]
    body = response.content.decode()
    assert f"A. Lovelace (#{other.pk}) was merged into this profile on " in body
    assert reverse("merge-undo", args=[Merge.objects.get().pk]) in body


def test_the_manager_chooses_which_profile_survives_and_the_primary_email(twins, login, manager):
    ada, other = twins
    response = login(manager).post(
        reverse("merge-confirm", args=[ada.pk, other.pk]),
        {"keep": other.pk, "primary_email": "ada@example.com"},
        follow=True,
    )
    ada.refresh_from_db()
    other.refresh_from_db()
    assert ada.merged_into_id == other.pk and other.merged_into_id is None
    assert other.primary_email == "ada@example.com"
    assert response.redirect_chain[-1][0] == reverse("customer", args=[other.pk])


def test_a_primary_email_of_neither_profile_is_refused(twins, login, manager):
    ada, other = twins
    response = login(manager).post(
        reverse("merge-confirm", args=[ada.pk, other.pk]),
        {"primary_email": "mallory@evil.example"},
        follow=True,
    )
    assert "belongs to neither profile" in response.content.decode()
    assert Merge.objects.count() == 0


def test_the_confirm_page_tells_the_sides_apart_by_email_and_not_by_name(
    make_event, login, manager
):
    ingest(
        [
            make_event(person={"email": "ashley@one.example", "name": "Ashley Lee"}),
            make_event(
                kind="lead",
                amount=None,
                person={"email": "ashley@two.example", "name": "Ashley Lee"},
            ),
        ]
    )
    first, second = Person.objects.order_by("pk")
    body = login(manager).get(reverse("merge-confirm", args=[first.pk, second.pk])).content.decode()
    assert "Merge Ashley Lee into Ashley Lee" not in body
    assert "ashley@one.example · #" in body and "1 order · since" in body
    assert "ashley@two.example · #" in body


def test_undo_from_the_survivor_makes_the_merged_page_open_again(twins, login, manager):
    ada, other = twins
    merge = merge_people(ada, other, reason="same person", user=manager)
    client = login(manager)
    client.post(reverse("merge-undo", args=[merge.pk]))
    assert client.get(reverse("customer", args=[other.pk])).status_code == 200


def test_the_history_says_who_merged_by_hand_and_why_a_merge_was_automatic(twins, login, manager):
    ada, other = twins
    client = login(manager)
    client.post(reverse("merge-confirm", args=[ada.pk, other.pk]))
    body = " ".join(client.get(reverse("customer", args=[ada.pk])).content.decode().split())
    assert "by manon · " in body and "· merged by hand" in body
    assert body.count("manon") == 2  # the header's account name, then the history: once each
    Merge.objects.update(automatic=True, merged_by=None, reason="shares email ada@example.com")
    body = " ".join(login(manager).get(reverse("customer", args=[ada.pk])).content.decode().split())
    assert "automatically" in body and "shares email ada@example.com" in body


def test_a_manager_undoes_a_merge(twins, login, manager):
    ada, other = twins
    merge = merge_people(ada, other, reason="same person", user=manager)
    client = login(manager)
    response = client.post(reverse("merge-undo", args=[merge.pk]), follow=True)
    other.refresh_from_db()
    merge.refresh_from_db()
    assert other.merged_into is None and merge.undone_by == manager
    assert other.touchpoints.count() == 1
    assert response.redirect_chain[-1][0] == reverse("customer", args=[ada.pk])
    assert "separate person again" in response.content.decode()
    assert AuditEvent.objects.filter(action="person.merge_undo").count() == 1
    # The history keeps the undone merge, without an undo button.
    body = client.get(reverse("customer", args=[ada.pk])).content.decode()
    assert "undone" in body
    assert reverse("merge-undo", args=[merge.pk]) not in body


def test_undoing_twice_shows_the_reason_instead_of_failing(twins, login, manager):
    ada, other = twins
    merge = merge_people(ada, other, reason="same person", user=manager)
    client = login(manager)
    client.post(reverse("merge-undo", args=[merge.pk]))
    response = client.post(reverse("merge-undo", args=[merge.pk]), follow=True)
    assert "Could not undo the merge: this merge has already been undone" in (
        response.content.decode()
    )


def test_merging_an_already_merged_person_is_refused(twins, login, manager, make_event):
    ada, other = twins
    merge_people(ada, other, reason="same person", user=manager)
    # The merged person is no longer live: nothing to merge.
    response = login(manager).post(reverse("merge-confirm", args=[ada.pk, other.pk]))
    assert response.status_code == 404


def test_merging_a_person_into_themselves_is_refused(twins, login, manager):
    ada, _ = twins
    response = login(manager).post(reverse("merge-confirm", args=[ada.pk, ada.pk]), follow=True)
    assert "Could not merge: cannot merge a person into themselves" in response.content.decode()
    assert Merge.objects.count() == 0


def test_agents_see_the_history_but_cannot_merge_or_undo(twins, login, agent, manager):
    ada, other = twins
    merge = merge_people(ada, other, reason="same person", user=manager)
    client = login(agent)
    body = client.get(reverse("customer", args=[ada.pk])).content.decode()
    assert "Merge history" in body and "same person" in body
    assert "Merge a duplicate" not in body
    assert reverse("merge-undo", args=[merge.pk]) not in body
    assert client.post(reverse("merge-undo", args=[merge.pk])).status_code == 403
    assert client.get(reverse("merge-search", args=[ada.pk]), {"q": "a"}).status_code == 403
    third = ingest([{"kind": "customer", "source": "s", "person": {"email": "x@y.example"}}])
    target = reverse("merge-confirm", args=[ada.pk, third[0].person_id])
    assert client.get(target).status_code == 403
    assert client.post(target).status_code == 403
    assert Merge.objects.filter(undone_at__isnull=True).count() == 1


def test_merging_needs_a_post_with_a_csrf_token(twins, manager):
    from django.test import Client

    ada, other = twins
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(reverse("merge-confirm", args=[ada.pk, other.pk]))
    assert response.status_code == 403
    assert Merge.objects.count() == 0
    assert client.get(reverse("merge-undo", args=[1])).status_code == 405
