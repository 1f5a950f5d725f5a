"""API keys and idempotency records for the REST API."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

SCOPES = {
    "events:write": "Send events (touchpoints) in",
    "people:read": "Read people, their identities, facts and timeline",
    "surveys:read": "Read surveys, their scores and answers",
    "text:analyze": "Analyse texts (sentiment, emotions, needs-reply, topic)",
    "queue:read": "Read the reply queue (what waits for an answer)",
    "coach:use": "Check reply drafts with the reply coach",
}
KEY_PREFIX = "dvt_"


def hash_key(raw: str) -> str:
    """SHA-256 of a key: keys are long random tokens, so a fast hash is enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    """A scoped key for the REST API. Only a hash is stored; the key is shown once."""

    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=16, db_index=True)  # shown in lists to tell keys apart
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def create(cls, name: str, scopes: list[str], created_by: object = None) -> tuple[ApiKey, str]:
        """Make a key; returns the row and the raw key, which is never stored."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}")
        if not scopes:
            raise ValueError("a key needs at least one scope")
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            name=name,
            prefix=raw[:10],
            key_hash=hash_key(raw),
            scopes=sorted(set(scopes)),
            created_by=created_by,
        )
        return key, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class IdempotencyRecord(models.Model):
    """The stored answer to a POST sent with an ``Idempotency-Key``, replayed on retries;
    while the first request with the key is still running, its claim (``status_code`` 0)."""

    IN_PROGRESS = 0  # status_code of a claim whose request has not answered yet

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.TextField()  # the JSON body exactly as first sent
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} -> {self.status_code}"
