"""Settings > Team: the directory for everyone; invitations, roles and deactivation for admins.

Every change is audited with ids and roles only (no names, no e-mail addresses).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from devotion.team import membership
from devotion.team.forms import AcceptForm, InviteForm, RoleForm
from devotion.team.membership import TeamError
from devotion.team.models import Invitation, Role, StaffMember
from devotion.team.permissions import has_role, role_required
from devotion.trust.models import AuditEvent

logger = logging.getLogger(__name__)


def _send_invitation(request: HttpRequest, invitation: Invitation) -> bool:
    """E-mail the invitation's link (text and HTML); False, with a message, if it failed."""
    link = request.build_absolute_uri(
        reverse("invitation-accept", args=[membership.token(invitation)])
    )
    inviter = request.user.get_full_name() or request.user.get_username()  # type: ignore[union-attr]
    try:
        membership.invitation_email(invitation, link=link, inviter=inviter).send()
    except Exception as error:  # the SMTP server refused or is down: the outbox has the detail
        logger.warning("invitation %s: e-mail failed: %s", invitation.pk, type(error).__name__)
        messages.error(
            request,
            f"The invitation for {invitation.email} is saved, but the e-mail could not be sent "
            "(see Settings > Outbox for the error). Resend it once mail works.",
        )
        return False
    return True


@role_required("agent")
def team(request: HttpRequest) -> HttpResponse:
    # 1. Everyone with a login (superusers without a staff row too), then names-only staff.
    users = list(
        User.objects.select_related("staff").order_by("-is_active", "first_name", "username")
    )
    name_only = list(StaffMember.objects.filter(user=None).order_by("display_name"))
    is_admin = has_role(request.user, "admin")
    context = {
        "members": [(user, role_of_member(user)) for user in users],
        "name_only": name_only,
        "is_admin": is_admin,
        "roles": Role.choices,
    }
    # 2. Admins also get the invite form and the invitations still waiting.
    if is_admin:
        context["invite_form"] = InviteForm()
        context["pending"] = list(
            Invitation.objects.filter(accepted_at=None, revoked_at=None)
            .select_related("invited_by")
            .order_by("-sent_at")
        )
        context["now"] = timezone.now()
    return render(request, "team/team.html", context)


def role_of_member(user: User) -> str:
    """The role the user holds, ignoring whether they may log in (the page shows that apart)."""
    if user.is_superuser:
        return Role.ADMIN
    staff = getattr(user, "staff", None)
    return staff.role if staff is not None else ""


@require_POST
@role_required("admin")
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a valid e-mail address and a role to invite someone.")
        return redirect("team")
    # 1. Create the invitation (refused if the address is on the team or already invited).
    try:
        invitation = membership.invite(
            form.cleaned_data["email"],
            form.cleaned_data["role"],
            by=request.user,  # type: ignore[arg-type]
        )
    except TeamError as error:
        messages.error(request, str(error))
        return redirect("team")
    # 2. Record it (ids and role only) and e-mail the link.
    AuditEvent.record(
        "team.invited",
        actor=request.user,
        object_type="invitation",
        object_id=invitation.pk,
        role=invitation.role,
    )
    if _send_invitation(request, invitation):
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. The link works for "
            f"{membership.invitation_days()} days.",
        )
    return redirect("team")


@require_POST
@role_required("admin")
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        membership.renew(invitation)
    except TeamError as error:
        messages.error(request, str(error))
        return redirect("team")
    AuditEvent.record(
        "team.invitation_resent",
        actor=request.user,
        object_type="invitation",
        object_id=pk,
        role=invitation.role,
    )
    if _send_invitation(request, invitation):
        messages.success(request, f"Invitation sent again to {invitation.email}.")
    return redirect("team")


@require_POST
@role_required("admin")
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    if invitation.is_pending:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        AuditEvent.record(
            "team.invitation_revoked",
            actor=request.user,
            object_type="invitation",
            object_id=pk,
            role=invitation.role,
        )
        messages.success(
            request, f"Invitation for {invitation.email} withdrawn; its link no longer works."
        )
    return redirect("team")


@require_POST
@role_required("admin")
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose agent, manager or admin.")
        return redirect("team")
    # Change it (refused for the last active admin), then record from and to.
    role = form.cleaned_data["role"]
    try:
        before = membership.change_role(user, role)
    except TeamError as error:
        messages.error(request, str(error))
        return redirect("team")
    if before != role:
        AuditEvent.record(
            "team.role_changed",
            actor=request.user,
            object_type="user",
            object_id=pk,
            from_role=before or "none",
            to_role=role,
        )
        messages.success(request, f"{_name(user)} is now {Role(role).label.lower()}.")
    return redirect("team")


@require_POST
@role_required("admin")
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        membership.set_active(user, active)
    except TeamError as error:
        messages.error(request, str(error))
        return redirect("team")
    AuditEvent.record(
        "team.reactivated" if active else "team.deactivated",
        actor=request.user,
        object_type="user",
        object_id=pk,
        role=role_of_member(user) or "none",
    )
    if active:
        messages.success(request, f"{_name(user)} can log in again.")
    else:
        messages.success(request, f"{_name(user)} can no longer log in. Their history stays.")
    return redirect("team")


def _name(user: User) -> str:
    staff = getattr(user, "staff", None)
    return (
        staff.display_name if staff is not None else (user.get_full_name() or user.get_username())
    )


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    # 1. The link must name a pending, unexpired invitation.
    try:
        invitation = membership.from_token(token)
    except TeamError as error:
        return render(request, "team/accept_invalid.html", {"reason": str(error)}, status=410)
    # 2. The invitee picks a name, username and password; we log them straight in.
    form = AcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = membership.accept(
                invitation,
                username=form.cleaned_data["username"],
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
            )
        except TeamError as error:
            return render(request, "team/accept_invalid.html", {"reason": str(error)}, status=410)
        AuditEvent.record(
            "team.joined",
            actor=user,
            object_type="user",
            object_id=user.pk,
            role=invitation.role,
            invitation_id=invitation.pk,
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Devotion, {form.cleaned_data['display_name']}.")
        return redirect("customers")
    suggested = invitation.email.split("@")[0]
    return render(
        request,
        "team/accept.html",
        {
            "form": form,
            "invitation": invitation,
            "suggested": suggested,
            "role": Role(invitation.role).label,
        },
    )


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's "choose a new password" step, recording that the user's password was reset."""

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        AuditEvent.record(
            "team.password_reset", actor=form.user, object_type="user", object_id=form.user.pk
        )
        return response
