"""Mail backends that keep a copy of every e-mail in the outbox (:class:`OutboxMessage`).

Selected in ``settings.MAILERS`` by ``DEVOTION_MAIL``:

- ``smtp`` → :class:`SmtpOutboxBackend`: sends through the business's SMTP server and logs
  each message as sent or failed, so admins can see what went out.
- ``outbox`` → :class:`OutboxBackend`: sends nothing; each message is kept in the outbox for
  someone to read (the demo, a trial without a mail server).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils import timezone

from devotion.core.models import OutboxMessage

ERROR_LIMIT = 2000


def _html_of(message: EmailMessage) -> str:
    for alternative in getattr(message, "alternatives", None) or ():
        content, mimetype = alternative[0], alternative[1]
        if mimetype == "text/html":
            return str(content)
    if message.content_subtype == "html":
        return str(message.body)
    return ""


def record(message: EmailMessage, status: str, *, mailer: str = "", error: str = "") -> None:
    """Write one outbox row for ``message`` (never the SMTP credentials: they are not on it)."""
    html = _html_of(message)
    OutboxMessage.objects.create(
        to=", ".join(str(address) for address in message.recipients()),
        from_email=str(message.from_email or ""),
        subject=str(message.subject)[:998],
        text_body="" if message.content_subtype == "html" else str(message.body),
        html_body=html,
        status=status,
        error=error[:ERROR_LIMIT],
        mailer=mailer,
        sent_at=timezone.now() if status == OutboxMessage.Status.SENT else None,
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _alias(backend: BaseEmailBackend) -> str:
    # Django 6.1 sets ``alias`` on every backend made from MAILERS; django-stubs lags.
    return str(getattr(backend, "alias", "") or "")


class OutboxBackend(BaseEmailBackend):
    """Keep every message in the outbox and send nothing."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            message.message()  # the same header checks as a real send
            record(message, OutboxMessage.Status.KEPT, mailer=_alias(self))
        return len(email_messages)


class SmtpOutboxBackend(SmtpBackend):
    """Django's SMTP backend, logging each message in the outbox as sent or failed."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        alias = _alias(self)
        with self._lock:
            # 1. Connect; if the server cannot be reached nothing was sent: log every message.
            try:
                new_connection = self.open()
            except Exception as exc:
                for message in email_messages:
                    record(message, OutboxMessage.Status.FAILED, mailer=alias, error=_describe(exc))
                raise
            if not self.connection or new_connection is None:
                for message in email_messages:
                    record(
                        message, OutboxMessage.Status.FAILED, mailer=alias, error="no connection"
                    )
                return 0
            # 2. Send one by one, logging each outcome.
            sent = 0
            try:
                for message in email_messages:
                    try:
                        ok = self._send(message)  # type: ignore[attr-defined]  # (stubs lag 6.1)
                    except Exception as exc:
                        record(
                            message, OutboxMessage.Status.FAILED, mailer=alias, error=_describe(exc)
                        )
                        raise
                    status = OutboxMessage.Status.SENT if ok else OutboxMessage.Status.FAILED
                    error = "" if ok else "the server refused it or it had no recipient"
                    record(message, status, mailer=alias, error=error)
                    sent += int(ok)
            finally:
                if new_connection:
                    self.close()
        return sent
