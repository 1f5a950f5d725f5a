"""Settings > Audit log: admins only, newest first in keyset pages, entries as sentences."""

from __future__ import annotations

import pytest

from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


def _events(n: int, actor=None) -> None:
    for i in range(n):
        AuditEvent.record(
            "webhook.created" if i % 2 else "person.export",
            actor=actor,
            object_type="thing",
            object_id=i,
            n=i,
        )


@pytest.mark.parametrize("persona", ["agent", "manager", "outsider"])
def test_only_admins_see_the_audit_log(persona, request, login):
    assert login(request.getfixturevalue(persona)).get("/settings/audit/").status_code == 403


def test_the_refusal_says_which_role_the_page_needs(manager, login):
    response = login(manager).get("/settings/audit/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "This page needs the admin role." in text
    assert "has the manager role" in text


def test_only_admins_are_shown_the_link(manager, admin_user, login):
    assert b'href="/settings/audit/"' not in login(manager).get("/settings/webhooks/").content
    assert b'href="/settings/audit/"' in login(admin_user).get("/settings/webhooks/").content


def test_an_empty_log_says_so(admin_user, login):
    response = login(admin_user).get("/settings/audit/")
    assert b"Nothing recorded" in response.content


def test_it_lists_newest_first_in_pages_with_a_fixed_number_of_queries(
    admin_user, login, django_assert_max_num_queries
):
    _events(120, actor=admin_user)
    for i in range(20):  # entries about teammates: their names are read in one query
        AuditEvent.record(
            "team.role_changed",
            actor=admin_user,
            object_type="user",
            object_id=admin_user.pk,
            from_role="agent",
            to_role="admin",
        )
    client = login(admin_user)
    with django_assert_max_num_queries(8):
        response = client.get("/settings/audit/")
    entries = response.context["entries"]
    assert len(entries) == 50
    assert entries[20].event.object_id == "119"
    assert "Adam</a> (admin)" in response.content.decode()  # the actor's name and role

    second = client.get(f"/settings/audit/?cursor={response.context['page'].older}")
    assert second.context["entries"][0].event.object_id == "89"
    last = client.get(f"/settings/audit/?cursor={second.context['page'].older}")
    assert len(last.context["entries"]) == 40
    assert last.context["page"].older is None


def test_it_filters_by_action(admin_user, login):
    _events(10)
    response = login(admin_user).get("/settings/audit/?action=webhook.created")
    entries = response.context["entries"]
    assert len(entries) == 5
    assert {e.event.action for e in entries} == {"webhook.created"}
    assert "Created a webhook" in response.content.decode()  # actions by name in the filter


def test_details_read_as_words_not_code(admin_user, login):
    AuditEvent.record(
        "person.erased",
        actor=admin_user,
        object_type="person",
        object_id=7,
        merged_person_ids=[8, 9],
        deleted={"people.Person": 3, "touchpoints.Touchpoint": 12},
    )
    body = login(admin_user).get("/settings/audit/").content.decode()
    assert "erased customer #7 and every row about them" in body
    # Each detail as words (PostgreSQL's jsonb keeps its own key order).
    assert "merged_person_ids 8, 9" in body
    assert "deleted people.Person 3, touchpoints.Touchpoint 12" in body
    assert "{&#x27;" not in body  # no Python dict shown as is


def test_a_person_entry_links_to_their_page_unless_they_were_erased(admin_user, login):
    AuditEvent.record("person.export", actor=admin_user, object_type="person", object_id=41)
    AuditEvent.record("person.erased", actor=admin_user, object_type="person", object_id=42)
    body = login(admin_user).get("/settings/audit/").content.decode()
    assert 'href="/customers/41/"' in body
    assert 'href="/customers/42/"' not in body and "customer #42" in body
