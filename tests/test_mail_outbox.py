"""Every e-mail Devotion sends is logged in the outbox: sent or failed by SMTP, or only kept."""

from __future__ import annotations

import logging
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from devotion.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


class _Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    # aiosmtpd logs connections from its own thread, after pytest has closed the stream it
    # captured: quiet it, or the run ends with "Logging error" tracebacks.
    smtp_log = logging.getLogger("mail.log")
    level = smtp_log.level
    smtp_log.setLevel(logging.CRITICAL)
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()
        smtp_log.setLevel(level)


def _smtp(settings, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "devotion.core.mail.SmtpOutboxBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


def _send() -> int:
    message = EmailMultiAlternatives(
        "Welcome to Devotion",
        "Set your password here.",
        "devotion@shop.example",
        ["new@shop.example"],
    )
    message.attach_alternative("<p>Set your password <b>here</b>.</p>", "text/html")
    return message.send()


def test_with_smtp_it_sends_and_logs_the_message_as_sent(settings, smtp_server):
    controller, inbox = smtp_server
    _smtp(settings, controller.port)
    assert _send() == 1
    assert len(inbox.envelopes) == 1
    assert inbox.envelopes[0].rcpt_tos == ["new@shop.example"]
    logged = OutboxMessage.objects.get()
    assert logged.status == OutboxMessage.Status.SENT
    assert logged.to == "new@shop.example"
    assert logged.subject == "Welcome to Devotion"
    assert logged.text_body == "Set your password here."
    assert "<b>here</b>" in logged.html_body
    assert logged.sent_at is not None
    assert logged.error == ""


def test_with_smtp_down_it_logs_the_message_as_failed_with_the_error(settings):
    _smtp(settings, _free_port())  # nobody listens there
    with pytest.raises(OSError):
        _send()
    logged = OutboxMessage.objects.get()
    assert logged.status == OutboxMessage.Status.FAILED
    assert "ConnectionRefusedError" in logged.error
    assert logged.sent_at is None


def test_a_refused_recipient_is_logged_as_failed(settings, smtp_server):
    controller, inbox = smtp_server

    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 no such user"

    inbox.handle_RCPT = refuse
    _smtp(settings, controller.port)
    with pytest.raises(Exception, match="no such user"):
        _send()
    logged = OutboxMessage.objects.get()
    assert logged.status == OutboxMessage.Status.FAILED
    assert "no such user" in logged.error


def test_in_outbox_mode_it_keeps_the_message_and_sends_nothing(settings, smtp_server):
    _controller, inbox = smtp_server
    settings.MAILERS = {"default": {"BACKEND": "devotion.core.mail.OutboxBackend"}}
    assert _send() == 1
    assert inbox.envelopes == []
    assert not hasattr(mail, "outbox") or mail.outbox == []
    logged = OutboxMessage.objects.get()
    assert logged.status == OutboxMessage.Status.KEPT
    assert logged.sent_at is None
    assert "<b>here</b>" in logged.html_body
