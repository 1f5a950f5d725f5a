"""Coverage: answered, in time and complete, per channel, team, agent and week; page and API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devotion.api.models import ApiKey
from devotion.followup import coverage
from devotion.followup.models import Conversation
from tests.followup.conftest import minutes_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(ingest, always_open, login, agent, settings):
    """Three e-mails and a chat; the agent answers one e-mail completely and one partly in
    Devotion; the chat is answered late elsewhere; one e-mail waits."""
    settings.MAILERS = {"default": {"BACKEND": "devotion.core.mail.OutboxBackend"}}

    def message(n, channel, text, ago):
        return {
            "kind": "message",
            "source": "helpdesk",
            "external_id": f"m-{n}",
            "occurred_at": minutes_ago(ago),
            "person": {"email": f"c{n}@example.com", "name": f"Cam {n}"},
            "channel": channel,
            "direction": "in",
            "thread": f"T-{n}",
            "subject": f"Question {n}",
            "text": text,
        }

    ingest(
        [
            message(1, "email", "Do you sell gift cards?", 60),
            message(2, "email", "Do you ship to Ireland? And do you sell gift cards?", 60),
            message(3, "email", "Can I pay by invoice?", 30),
            message(4, "chat", "Is the shop open today?", 30),
        ]
    )
    client = login(agent)
    one, two = (Conversation.objects.get(key=k) for k in ("T-1", "T-2"))
    client.post(
        f"/queue/{one.pk}/reply/", {"text": "Yes, we sell gift cards: buy them today on our shop."}
    )
    client.post(
        f"/queue/{two.pk}/reply/",
        {"text": "Yes, we ship to Ireland within 3 days.", "confirm": "1"},
    )
    late = message(5, "chat", "The shop is open from 10 today.", 1)
    ingest([{**late, "thread": "T-4", "direction": "out", "external_id": "out-4"}])


def test_coverage_by_channel_counts_answered_in_time_and_complete(answered):
    rows = {row.key: row for row in coverage.coverage("channel")}
    email, chat = rows["email"], rows["chat"]
    assert (email.inbound, email.answered, email.in_time) == (3, 2, 2)
    assert (email.checked, email.complete) == (2, 1)
    assert email.complete_share == 0.5
    # The chat's 5-minute promise broke before the reply came from elsewhere.
    assert (chat.inbound, chat.answered, chat.in_time, chat.checked) == (1, 1, 0, 0)
    assert chat.complete_share is None
    everything = coverage.total(list(rows.values()))
    assert everything.inbound == 4 and everything.answered_share == 0.75


def test_coverage_by_agent_team_and_week(answered, agent):
    by_agent = {row.label: row for row in coverage.coverage("agent")}
    assert by_agent["Agnes"].answered == 2
    assert by_agent["Unassigned"].inbound == 2
    assert sum(r.inbound for r in coverage.coverage("team")) == 4
    weeks = coverage.coverage("week")
    assert sum(r.inbound for r in weeks) == 4 and weeks[0].label.startswith("Week of")
    assert coverage.coverage("channel", days=1, now=answered_now() - timedelta(days=3)) == []


def answered_now():
    from django.utils import timezone

    return timezone.now()


def test_the_coverage_page_and_api(answered, login, agent, client):
    page = login(agent).get("/queue/coverage/?days=7")
    assert page.status_code == 200
    assert "By channel" in page.content.decode() and "75%" in page.content.decode()
    key = ApiKey.create("cov", ["queue:read"])[1]
    body = client.get(
        "/api/v1/coverage?by=channel&days=30", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert body["total"]["inbound"] == 4 and body["total"]["answered_share"] == 0.75
    assert {row["key"] for row in body["rows"]} == {"email", "chat"}
    bad = client.get("/api/v1/coverage?by=moon", headers={"Authorization": f"Bearer {key}"})
    assert bad.status_code == 422
