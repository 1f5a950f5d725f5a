"""Outgoing webhooks: who wants which events, and every delivery attempt."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

EVENTS = {
    "person.created": "A new person was created",
    "people.merged": "Two people were merged into one",
    "touchpoint.created": "A new touchpoint (order, message, review…) was stored",
    "touchpoint.updated": "A stored touchpoint changed (a survey answered again)",
    "reply_promise.warning": "A reply promise is about to break (75% of its time used)",
    "reply_promise.breached": "A reply promise broke: a customer waited past the promised time",
}


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Subscription(models.Model):
    """A URL that receives signed POSTs for the events it subscribed to."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, default=new_secret)
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one subscription, with its attempts; retried with backoff until it lands."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    event_id = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The failure in words ("connection refused by the receiver"); the exception behind it.
    last_error = models.CharField(max_length=500, blank=True)
    last_error_detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Person the payload is about, so erasing a person removes their deliveries too.
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subscription", "-created_at"], name="delivery_sub_time")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id} ({self.status})"
