"""Things every part of Devotion shares: for now, the outbox of e-mail it sends."""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """One e-mail Devotion sent (or kept instead of sending), as it was written.

    Written by the mail backends in :mod:`devotion.core.mail`: with SMTP each message is logged
    as ``sent`` or ``failed`` (with the server's error); in outbox mode (the demo) it is
    ``kept`` here and goes nowhere. Admins read it under Settings → Outbox.
    """

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        KEPT = "kept", "Kept (not sent)"

    to = models.TextField()  # every recipient (to, cc, bcc), comma-separated
    from_email = models.CharField(max_length=300)
    subject = models.CharField(max_length=998)  # the longest line RFC 5322 allows
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    mailer = models.CharField(max_length=60, blank=True)  # the MAILERS alias that handled it
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The outbox screen: newest first, keyset-paged, optionally one status.
            models.Index(fields=["-created_at", "-id"], name="outbox_newest"),
            models.Index(fields=["status", "-created_at", "-id"], name="outbox_status_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.status})"
