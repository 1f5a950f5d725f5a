"""Staff members: the people on the business's side, with a role and the names customers use."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


# Higher rank includes every permission of a lower one.
ROLE_RANK = {Role.AGENT: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class StaffMember(models.Model):
    """Someone who works for the business.

    May have a login (``user``) or be known only by name, e.g. a shop assistant whom customers
    praise in reviews. ``aliases`` are the other names customers call them by ("Sam" for
    "Samantha Lee"), used to recognise mentions in messages.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff",
    )
    display_name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    aliases = models.JSONField(default=list, blank=True)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def has_role(self, role: str) -> bool:
        """True when this member's role is ``role`` or ranks above it."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]

    @property
    def names(self) -> list[str]:
        """Every name customers may use for this member, the display name first."""
        return [self.display_name, *self.aliases]
