"""Reply promises on inbound messages (the follow-up issue builds the queue on them)."""

from __future__ import annotations

from django.db import models

from devotion.touchpoints.models import Touchpoint


class PromiseState(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class ReplyPromise(models.Model):
    """A reply-time promise for one inbound touchpoint (first reply, next reply, resolution)."""

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="promises")
    target = models.CharField(max_length=20)  # first_reply | next_reply | resolution
    due_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=PromiseState.choices, default="open")
    assignee = models.ForeignKey(
        "team.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    met_at = models.DateTimeField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="promise_queue")]
        constraints = [
            models.UniqueConstraint(fields=["touchpoint", "target"], name="promise_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.target} for {self.touchpoint_id} due {self.due_at:%Y-%m-%d %H:%M}"
