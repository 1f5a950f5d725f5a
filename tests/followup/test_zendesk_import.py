"""A Zendesk tickets export keeps its statuses, priorities, assignees and threads as
conversations (old tickets get no timer: they reached Devotion long after)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devotion.followup.models import Conversation, ReplyPromise
from devotion.ingest.importer import Importer

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def test_the_zendesk_sample_becomes_conversations_with_their_status(
    tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "zendesk_tickets.csv"
    shutil.copy(SAMPLES / "zendesk_tickets.csv", path)
    with django_capture_on_commit_callbacks(execute=True):
        Importer("tickets", "zendesk").run(path)
    found = {c.key: c for c in Conversation.objects.select_related("assignee")}
    assert set(found) == {"ticket-4812", "ticket-4820", "ticket-4833", "ticket-4841"}
    assert found["ticket-4812"].status == "solved"
    assert found["ticket-4820"].status == "solved" and found["ticket-4820"].priority == "high"
    assert found["ticket-4833"].status == "open" and found["ticket-4833"].awaiting_reply
    assert found["ticket-4841"].status == "waiting" and found["ticket-4841"].priority == "low"
    assert found["ticket-4820"].assignee.display_name == "Alex Kim"
    assert not ReplyPromise.objects.exists()  # months old when imported
