"""Shared by the follow-up tests: a real local SMTP server, and storing events with the
``stored`` signal's receivers run (they run after commit, which a test transaction never does)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from devotion.followup.models import SupportTeam
from devotion.ingest.store import ingest as store


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    """Mail goes through SMTP to a local aiosmtpd server; its inbox."""
    smtp_log = logging.getLogger("mail.log")
    level = smtp_log.level
    smtp_log.setLevel(logging.CRITICAL)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    settings.MAILERS = {
        "default": {
            "BACKEND": "devotion.core.mail.SmtpOutboxBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()
        smtp_log.setLevel(level)


@pytest.fixture
def ingest(django_capture_on_commit_callbacks: Any) -> Callable[[list[dict[str, Any]]], Any]:
    """Store events and run what reacts to them after the commit."""

    def _ingest(events: list[dict[str, Any]]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return store(events)

    return _ingest


@pytest.fixture
def always_open(db: Any) -> None:
    """Business hours around the clock: due times are plain wall-clock arithmetic."""
    SupportTeam.objects.update(hours="daily 00:00-24:00", timezone="UTC")


def minutes_ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
