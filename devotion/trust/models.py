"""The audit log: who saw or changed what. It never holds personal data, only ids and actions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One action by a user, an API key or the system, on one object, without personal data."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)  # "user:3", "apikey:7", "cli", "system"
    actor_role = models.CharField(max_length=16, blank=True)  # the actor's role at the time
    action = models.CharField(max_length=60)  # "person.erase", "person.merge", "person.view"
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The audit screen: newest first, keyset-paged, by person, actor or action; page
            # views (most rows, hidden by default) left out of the general list's index.
            models.Index(
                fields=["-created_at", "-id"],
                condition=~models.Q(action="person.view"),
                name="audit_newest_no_views",
            ),
            models.Index(fields=["object_type", "object_id", "-created_at"], name="audit_object"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor"),
            models.Index(fields=["action", "-created_at"], name="audit_action"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    @classmethod
    def record(
        cls,
        action: str,
        *,
        actor: Any = None,
        actor_label: str = "",
        object_type: str = "",
        object_id: object = "",
        **detail: Any,
    ) -> AuditEvent:
        """Write one audit event. Pass ids and counts in ``detail``, never names or e-mails."""
        from devotion.team.permissions import role_of  # team imports nothing from trust

        role = ""
        if actor is not None and getattr(actor, "is_authenticated", False):
            label = actor_label or f"user:{actor.pk}"
            role = role_of(actor) or ""
        else:
            actor, label = None, actor_label or "system"
        return cls.objects.create(
            actor=actor,
            actor_label=label,
            actor_role=role,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail,
        )
