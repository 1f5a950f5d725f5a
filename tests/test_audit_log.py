"""Settings > Audit log: admins only, newest first, keyset pages, filter by action."""

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
    client = login(admin_user)
    with django_assert_max_num_queries(6):
        response = client.get("/settings/audit/")
    events = response.context["events"]
    assert len(events) == 50
    assert events[0].object_id == "119"
    assert b"adam" in response.content  # the actor's username
    before = response.context["next_before"]

    second = client.get(f"/settings/audit/?before={before}").context["events"]
    assert second[0].object_id == "69"
    last = client.get(f"/settings/audit/?before={second[-1].pk}")
    assert len(last.context["events"]) == 20
    assert last.context["next_before"] is None


def test_it_filters_by_action(admin_user, login):
    _events(10)
    response = login(admin_user).get("/settings/audit/?action=webhook.created")
    events = response.context["events"]
    assert len(events) == 5
    assert {e.action for e in events} == {"webhook.created"}
    assert response.context["actions"] == ["person.export", "webhook.created"]


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
    # Each detail as words (PostgreSQL's jsonb keeps its own key order).
    assert "merged_person_ids 8, 9" in body
    assert "deleted people.Person 3, touchpoints.Touchpoint 12" in body
    assert "{&#x27;" not in body  # no Python dict shown as is


def test_a_person_entry_links_to_their_page_unless_they_were_erased(admin_user, login):
    AuditEvent.record("person.view", actor=admin_user, object_type="person", object_id=41)
    AuditEvent.record("person.erased", actor=admin_user, object_type="person", object_id=42)
    body = login(admin_user).get("/settings/audit/").content.decode()
    assert 'href="/customers/41/"' in body
    assert 'href="/customers/42/"' not in body and "person:42" in body
