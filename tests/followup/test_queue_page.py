"""The live queue page: most urgent first, filters, taking and assigning, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devotion.followup.models import Conversation, ReplyPromise, SupportTeam
from devotion.ingest.store import ingest
from tests.query_plans import sqlite_plan

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def waiting(django_capture_on_commit_callbacks):
    """Three conversations waiting: a chat (5 min target), a lead (60), an e-mail (480)."""
    SupportTeam.objects.update(hours="daily 00:00-24:00", timezone="UTC")

    def event(n, kind, channel, text, minutes_ago=1, email=None):
        return {
            "kind": kind,
            "source": "helpdesk",
            "external_id": f"e-{n}",
            "occurred_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
            "person": {"email": email or f"c{n}@example.com", "name": f"Customer {n}"},
            "channel": channel,
            "direction": "in",
            "thread": f"T-{n}" if kind == "message" else "",
            "subject": f"Subject {n}",
            "text": text,
        }

    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            [
                event(1, "message", "email", "Where is my parcel? It is a gift."),
                event(2, "lead", "web", "Do you deliver to schools?"),
                event(3, "message", "chat", "Can I change the size of my order?"),
            ]
        )
    return {c.key: c for c in Conversation.objects.all()}


def test_the_queue_lists_the_most_urgent_first(login, agent, waiting):
    page = login(agent).get("/queue/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Subject 3") < html.index("Subject 2") < html.index("Subject 1")
    assert "3 waiting" in html


def test_the_rows_alone_come_back_for_htmx_polling(
    login, agent, waiting, django_assert_max_num_queries
):
    client = login(agent)
    with django_assert_max_num_queries(12):
        rows = client.get("/queue/", headers={"HX-Request": "true"})
    assert "<h1>" not in rows.content.decode()
    assert "Subject 1" in rows.content.decode()


def test_filters_by_channel_and_mine(login, agent, waiting):
    client = login(agent)
    html = client.get("/queue/?channel=chat").content.decode()
    assert "Subject 3" in html and "Subject 1" not in html
    assert "Nobody is waiting" in client.get("/queue/?show=mine").content.decode()


def test_an_agent_takes_an_item_and_it_shows_under_mine(login, agent, waiting):
    client = login(agent)
    conversation = Conversation.objects.get(key="T-1")
    response = client.post(
        f"/queue/{conversation.pk}/assign/", {"assignee": "me", "next": "/queue/"}
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee == agent.staff
    assert ReplyPromise.objects.filter(conversation=conversation, assignee=agent.staff).exists()
    html = client.get("/queue/?show=mine").content.decode()
    assert "Subject 1" in html and "Subject 3" not in html


def test_only_managers_assign_to_others(login, agent, manager, waiting):
    conversation = Conversation.objects.get(key="T-1")
    denied = login(agent).post(f"/queue/{conversation.pk}/assign/", {"assignee": manager.staff.pk})
    assert denied.status_code == 403
    allowed = login(manager).post(f"/queue/{conversation.pk}/assign/", {"assignee": agent.staff.pk})
    assert allowed.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee == agent.staff


def test_outsiders_and_visitors_see_no_queue(client, login, outsider, waiting):
    assert client.get("/queue/").status_code == 302  # to the sign-in page
    assert login(outsider).get("/queue/").status_code == 403


def test_the_conversation_page_shows_the_story_and_the_reply_box(login, agent, waiting):
    conversation = Conversation.objects.get(key="T-1")
    page = login(agent).get(f"/queue/{conversation.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Where is my parcel?" in html
    assert "Send reply" in html
    assert "Recent orders" in html


def test_notes_go_on_the_conversation_or_the_person(login, agent, waiting):
    from devotion.followup.models import Note

    conversation = Conversation.objects.get(key="T-1")
    client = login(agent)
    client.post(
        f"/queue/{conversation.pk}/notes/", {"text": "Gift: be quick", "on": "conversation"}
    )
    client.post(f"/queue/{conversation.pk}/notes/", {"text": "Prefers phone", "on": "person"})
    assert Note.objects.get(text="Gift: be quick").conversation == conversation
    person_note = Note.objects.get(text="Prefers phone")
    assert person_note.conversation is None and person_note.person_id == conversation.person_id


def test_managers_set_an_owner_and_agents_cannot(login, agent, manager, waiting):
    from devotion.followup.models import PersonOwner

    conversation = Conversation.objects.get(key="T-1")
    url = f"/queue/people/{conversation.person_id}/owner/"
    assert login(agent).post(url, {"owner": agent.staff.pk}).status_code == 403
    assert login(manager).post(url, {"owner": agent.staff.pk}).status_code == 302
    assert PersonOwner.objects.get(person_id=conversation.person_id).owner == agent.staff


def test_the_promise_settings_are_for_managers(login, agent, manager):
    assert login(agent).get("/queue/promises/").status_code == 403
    page = login(manager).get("/queue/promises/")
    assert page.status_code == 200
    assert "New leads" in page.content.decode()


def test_a_manager_edits_team_hours_and_bad_hours_are_refused(login, manager):
    team = SupportTeam.objects.get()
    client = login(manager)
    bad = client.post(
        "/queue/promises/",
        {
            "team_id": team.pk,
            "team-name": "Support",
            "team-timezone": "Europe/Paris",
            "team-hours": "weekdays 9-5",
        },
    )
    assert "is not a day or range of days" in bad.content.decode()
    good = client.post(
        "/queue/promises/",
        {
            "team_id": team.pk,
            "team-name": "Support",
            "team-timezone": "Europe/Paris",
            "team-hours": "mon-fri 08:00-18:00",
            "team-holidays_text": "2026-12-25, 2026-12-26",
        },
    )
    assert good.status_code == 302
    team.refresh_from_db()
    assert team.timezone == "Europe/Paris"
    assert team.holidays == ["2026-12-25", "2026-12-26"]


def test_taking_an_item_from_a_filtered_queue_keeps_the_filter(login, agent, waiting):
    conversation = Conversation.objects.get(key="T-3")  # the chat
    rows = login(agent).post(
        f"/queue/{conversation.pk}/assign/",
        {"assignee": "me", "next": "/queue/", "channel": "chat"},
        headers={"HX-Request": "true"},
    )
    html = rows.content.decode()
    assert "Subject 3" in html and "Subject 1" not in html
    assert "<h1>" not in html


def test_the_count_stops_at_the_cap_and_says_so(login, agent, waiting, monkeypatch):
    from devotion.followup import queue

    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    html = login(agent).get("/queue/").content.decode()
    assert "2+ waiting · the 3 most urgent shown" in html
    monkeypatch.setattr(queue, "COUNT_CAP", 4)
    assert "3 waiting" in login(agent).get("/queue/").content.decode()


def test_a_channel_filter_reads_the_channel_kept_on_each_promise(waiting):
    """The promise keeps its conversation's channel, so a channel's queue is one index walk
    in due order (no join to every conversation of the channel, no sort of them all)."""
    from django.db import connection

    from devotion.followup import queue

    assert dict(ReplyPromise.objects.values_list("conversation__channel", "channel")) == {
        "email": "email",
        "web": "web",
        "chat": "chat",
    }
    assert [i.conversation.channel for i in queue.items(queue.QueueFilters(channel="chat"))] == [
        "chat"
    ]
    if connection.vendor != "sqlite":
        return
    plan = sqlite_plan(queue.queryset(queue.QueueFilters(channel="chat"))[:100], analyze=True)
    assert "promise_waiting_channel" in plan and "TEMP B-TREE" not in plan, plan


def test_a_conversations_messages_are_read_through_the_thread_index(waiting):
    """The conversation page, the coach and a reply read a thread's messages: on SQLite a
    partial index serves only a query that states its condition, else every touchpoint is
    scanned (10M in a big shop)."""
    from django.db import connection

    conversation = waiting["T-1"]
    assert [t.external_id for t in conversation.touchpoints()] == ["e-1"]
    if connection.vendor != "sqlite":
        return
    plan = sqlite_plan(conversation.touchpoints(), analyze=True)
    assert "USING INDEX tp_thread" in plan, plan


def test_a_message_that_names_the_agent_puts_the_waiting_item_under_mine(
    login, agent, waiting, django_capture_on_commit_callbacks
):
    """A source that says who handles a ticket (Zendesk's assignee on a later message) assigns
    the conversation, and its waiting promise with it: "mine" reads the promise's assignee."""
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            [
                {
                    "kind": "message",
                    "source": "helpdesk",
                    "external_id": "e-1b",
                    "occurred_at": NOW.isoformat(),
                    "person": {"email": "c1@example.com"},
                    "channel": "email",
                    "direction": "in",
                    "thread": "T-1",
                    "text": "Any news?",
                    "staff": "Agnes",
                }
            ]
        )
    conversation = Conversation.objects.get(key="T-1")
    assert conversation.assignee == agent.staff
    assert set(
        ReplyPromise.objects.filter(met_at__isnull=True, conversation=conversation).values_list(
            "assignee", flat=True
        )
    ) == {agent.staff.pk}
    html = login(agent).get("/queue/?show=mine").content.decode()
    assert "Subject 1" in html and "Subject 3" not in html


def test_mine_walks_the_assignee_index_in_due_order(agent, waiting):
    from django.db import connection

    from devotion.followup import queue

    if connection.vendor != "sqlite":
        pytest.skip("the plan is SQLite's (PostgreSQL's is checked by bench_queue.py)")
    mine = queue.QueueFilters(mine=True, staff_id=agent.staff.pk)
    plan = sqlite_plan(queue.queryset(mine)[:100])  # no ANALYZE: three rows say "scan"
    assert "promise_waiting_assignee" in plan and "TEMP B-TREE" not in plan, plan
