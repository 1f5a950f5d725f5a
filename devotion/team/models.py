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


class Invitation(models.Model):
    """An admin's invitation for someone to join the team with a role, by e-mail.

    The e-mailed link carries a signed, expiring token naming this row (see
    :mod:`devotion.team.membership`); the invitee sets their own username and password.
    Pending until accepted, revoked or expired.
    """

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()  # the last time the link was e-mailed (a resend moves it)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["accepted_at", "revoked_at"], name="invitation_pending")]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} ({self.role})"

    @property
    def is_pending(self) -> bool:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None


class SignInFailures(models.Model):
    """Failed sign-ins counted for one account or one client address (``key`` is a hash of
    which). In the database so that every server process counts into the same row, one
    failure at a time (the row is locked while it is counted): a shared file cache lost
    counts when guesses arrived in parallel. Times are seconds since the epoch."""

    key = models.CharField(max_length=64, unique=True)
    first = models.FloatField(db_index=True)  # when the current window began
    count = models.PositiveIntegerField(default=0)
    locked_until = models.FloatField(default=0)

    class Meta:
        verbose_name_plural = "sign-in failures"

    def __str__(self) -> str:
        return f"{self.count} failed sign-ins ({self.key[:14]})"
