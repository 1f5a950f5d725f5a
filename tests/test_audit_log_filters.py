"""The audit log reads as sentences and filters by customer, actor, action and dates;
page views are kept but hidden unless asked for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


def _at(event: AuditEvent, when: str) -> None:
    AuditEvent.objects.filter(pk=event.pk).update(
        created_at=datetime.fromisoformat(when).replace(tzinfo=UTC)
    )


def test_a_merge_reads_as_a_sentence_with_names_linked(manager, admin_user, login, settings):
    settings.TIME_ZONE = "UTC"
    event = AuditEvent.record(
        "person.merge", actor=manager, object_type="person", object_id=45, loser_id=123, merge_id=9
    )
    _at(event, "2026-12-07T14:05:00")
    body = login(admin_user).get("/settings/audit/").content.decode()
    assert (
        f'<a href="?actor={manager.pk}">Manon</a> (manager) merged '
        '<a href="/customers/123/">customer #123</a> into <a href="/customers/45/">#45</a>'
    ) in body
    assert "7 Dec 2026, 14:05" in body
    assert "merge_id 9" in body  # what the sentence does not say stays visible


def test_a_team_change_names_the_teammate_from_the_ids(agent, admin_user, login):
    AuditEvent.record(
        "team.role_changed",
        actor=admin_user,
        object_type="user",
        object_id=agent.pk,
        from_role="agent",
        to_role="manager",
    )
    body = login(admin_user).get("/settings/audit/").content.decode()
    assert (
        f'Adam</a> (admin) changed <a href="?actor={agent.pk}">Agnes</a> from agent to manager'
    ) in body


def test_page_views_are_hidden_until_asked_for(admin_user, login):
    AuditEvent.record("person.view", actor=admin_user, object_type="person", object_id=1)
    AuditEvent.record("person.export", actor=admin_user, object_type="person", object_id=1)
    client = login(admin_user)
    default = [e.event.action for e in client.get("/settings/audit/").context["entries"]]
    assert default == ["person.export"]
    with_views = client.get("/settings/audit/?views=on").context["entries"]
    assert [e.event.action for e in with_views] == ["person.export", "person.view"]
    only_views = client.get("/settings/audit/?action=person.view").context["entries"]
    assert [e.event.action for e in only_views] == ["person.view"]


def test_an_empty_default_list_says_page_views_are_hidden(admin_user, login):
    AuditEvent.record("person.view", actor=admin_user, object_type="person", object_id=1)
    body = login(admin_user).get("/settings/audit/").content.decode()
    assert "Nothing recorded" in body and "page views of customers are hidden" in body


def test_it_filters_by_the_customer_an_entry_is_about(admin_user, login):
    for pk in (5, 6, 5):
        AuditEvent.record("person.export", actor=admin_user, object_type="person", object_id=pk)
    AuditEvent.record("webhook.created", actor=admin_user, object_type="webhook", object_id=5)
    entries = login(admin_user).get("/settings/audit/?person=5").context["entries"]
    assert [(e.event.object_type, e.event.object_id) for e in entries] == [("person", "5")] * 2


def test_it_filters_by_actor(agent, manager, admin_user, login):
    AuditEvent.record("person.export", actor=manager, object_type="person", object_id=1)
    AuditEvent.record("person.export", actor=admin_user, object_type="person", object_id=2)
    response = login(admin_user).get(f"/settings/audit/?actor={manager.pk}")
    assert [e.event.object_id for e in response.context["entries"]] == ["1"]
    assert f'<option value="{manager.pk}" selected>Manon</option>' in response.content.decode()


def test_it_filters_by_a_date_range_including_the_last_day(admin_user, login, settings):
    settings.TIME_ZONE = "UTC"
    for day in ("2026-11-30T23:59", "2026-12-01T00:00", "2026-12-03T23:59", "2026-12-04T00:00"):
        _at(
            AuditEvent.record(
                "person.export", actor=admin_user, object_type="person", object_id=day[8:10]
            ),
            day,
        )
    response = login(admin_user).get("/settings/audit/?since=2026-12-01&until=2026-12-03")
    assert [e.event.object_id for e in response.context["entries"]] == ["03", "01"]


def test_bad_filters_get_a_clear_error_and_are_left_out(admin_user, login):
    AuditEvent.record("person.export", actor=admin_user, object_type="person", object_id=1)
    response = login(admin_user).get(
        "/settings/audit/?since=2026-12-05&until=2026-12-01&person=abc"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The end date is before the start date." in body
    assert "Enter a whole number." in body


def test_the_next_page_keeps_the_filters(admin_user, login):
    for i in range(60):
        AuditEvent.record("person.export", actor=admin_user, object_type="person", object_id=7)
        AuditEvent.record(
            "person.export", actor=admin_user, object_type="person", object_id=100 + i
        )
    client = login(admin_user)
    first = client.get("/settings/audit/?person=7")
    assert f'href="?person=7&amp;cursor={first.context["page"].older}"' in first.content.decode()
    second = client.get(f"/settings/audit/?person=7&cursor={first.context['page'].older}")
    assert {e.event.object_id for e in second.context["entries"]} == {"7"}
    assert len(second.context["entries"]) == 10


@pytest.mark.parametrize("persona", ["agent", "manager", "outsider"])
def test_filtered_views_stay_admin_only(persona, request, login):
    response = login(request.getfixturevalue(persona)).get("/settings/audit/?views=on&person=1")
    assert response.status_code == 403
