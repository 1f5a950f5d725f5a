"""Running the team: invitations, roles, deactivation, with the last-admin guard rail.

Views call these and write the audit events; the rules live here so every way in (the team
page, tests, a future API) obeys them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from devotion.team.models import Invitation, Role, StaffMember
from devotion.team.permissions import role_of

INVITATION_SALT = "devotion.team.invitation"


class TeamError(Exception):
    """A team change that is not allowed, with a message to show the admin as is."""


def active_admins() -> QuerySet[User]:
    """Users who can log in with the admin role (superusers count as admins)."""
    return User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(staff__role=Role.ADMIN)
    )


def _guard_last_admin(user: User) -> None:
    """Refuse to take the admin role or access from the last active admin.

    First lock the rows of every active admin (in id order, so two admins never deadlock),
    then count again in a new statement: under READ COMMITTED it sees what a concurrent
    change committed while we waited, so two admins demoting each other at once cannot both
    succeed. (On SQLite, IMMEDIATE transactions already serialise writers.)
    """
    list(active_admins().select_for_update(of=("self",)).order_by("pk").values_list("pk"))
    if list(active_admins().values_list("pk", flat=True)) == [user.pk]:
        raise TeamError(
            "You are the last active admin: make someone else an admin first, "
            "or nobody could manage the team."
        )


def staff_of(user: User) -> StaffMember:
    """The user's staff member, created (with no access beyond agent) if they have none."""
    member = StaffMember.objects.filter(user=user).first()
    if member is None:
        name = user.get_full_name() or user.get_username()
        member = StaffMember.objects.create(user=user, display_name=name, role=Role.AGENT)
    return member


@transaction.atomic
def change_role(user: User, role: str) -> str:
    """Give ``user`` the role ``role``; returns the role they had before ("" for none).

    Demoting a superuser also takes away the superuser flag (and the Django admin), or the
    new role would not hold: superusers always count as admins.
    """
    if role not in Role.values:
        raise TeamError(f"Unknown role {role!r}.")
    before = role_of(user) or ""
    if before == role:
        return before
    if before == Role.ADMIN:
        _guard_last_admin(user)
    member = staff_of(user)
    member.role = role
    member.save(update_fields=["role"])
    if user.is_superuser and role != Role.ADMIN:
        user.is_superuser = user.is_staff = False
        user.save(update_fields=["is_superuser", "is_staff"])
    return before


@transaction.atomic
def set_active(user: User, active: bool) -> None:
    """Let ``user`` log in again, or stop them (their history and names stay)."""
    if user.is_active == active:
        return
    if not active and role_of(user) == Role.ADMIN:
        _guard_last_admin(user)
    user.is_active = active
    user.save(update_fields=["is_active"])


# ---------------------------------------------------------------- invitations


def invitation_days() -> int:
    return int(settings.INVITATION_DAYS)


@transaction.atomic
def invite(email: str, role: str, by: User) -> Invitation:
    """A new pending invitation for ``email`` (the caller e-mails :func:`token` of it)."""
    email = email.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise TeamError("Someone on the team already uses this e-mail address.")
    pending = Invitation.objects.filter(
        email__iexact=email, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )
    if pending.exists():
        raise TeamError("This address already has an invitation waiting: resend it below.")
    now = timezone.now()
    return Invitation.objects.create(
        email=email,
        role=role,
        invited_by=by,
        sent_at=now,
        expires_at=now + timedelta(days=invitation_days()),
    )


def renew(invitation: Invitation) -> Invitation:
    """Move the expiry of a pending invitation on, before e-mailing its link again."""
    if not invitation.is_pending:
        raise TeamError("This invitation was already accepted or revoked.")
    now = timezone.now()
    invitation.sent_at, invitation.expires_at = now, now + timedelta(days=invitation_days())
    invitation.save(update_fields=["sent_at", "expires_at"])
    return invitation


def invitation_email(invitation: Invitation, *, link: str, inviter: str) -> EmailMultiAlternatives:
    """The invitation e-mail (text and HTML) carrying ``link``; the caller sends it."""
    context = {
        "link": link,
        "inviter": inviter,
        "role": Role(invitation.role).label,
        "days": invitation_days(),
        "expires_at": invitation.expires_at,
    }
    message = EmailMultiAlternatives(
        subject=f"{inviter} invited you to Devotion",
        body=render_to_string("team/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("team/email/invitation.html", context), "text/html")
    return message


def token(invitation: Invitation) -> str:
    """The signed token of the invitation's link; it expires with the invitation."""
    return signing.dumps({"i": invitation.pk}, salt=INVITATION_SALT, compress=True)


def from_token(value: str) -> Invitation:
    """The pending invitation a link names, or :class:`TeamError` saying why it cannot be used."""
    try:
        data = signing.loads(value, salt=INVITATION_SALT, max_age=timedelta(days=invitation_days()))
    except signing.SignatureExpired:
        raise TeamError("This invitation has expired. Ask an admin to send a new one.") from None
    except signing.BadSignature:
        raise TeamError("This invitation link is not valid. Check it was copied whole.") from None
    invitation = Invitation.objects.filter(pk=data.get("i")).first()
    if invitation is None or invitation.revoked_at is not None:
        raise TeamError("This invitation was withdrawn. Ask an admin if you still need access.")
    if invitation.accepted_at is not None:
        raise TeamError("This invitation was already used. Log in, or reset your password.")
    if invitation.expires_at <= timezone.now():
        raise TeamError("This invitation has expired. Ask an admin to send a new one.")
    return invitation


@transaction.atomic
def accept(invitation: Invitation, *, username: str, display_name: str, password: str) -> User:
    """Create the invitee's login and staff member with the invited role; once only."""
    # Lock the invitation so a double submit cannot create two users from it.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise TeamError("This invitation was already used. Log in, or reset your password.")
    user = User.objects.create_user(username, invitation.email, password)
    user.first_name = display_name[:150]
    user.save(update_fields=["first_name"])
    StaffMember.objects.create(user=user, display_name=display_name, role=invitation.role)
    invitation.accepted_at, invitation.accepted_user = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user
