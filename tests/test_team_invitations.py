"""Admins invite people by e-mail; the signed, expiring link lets the invitee set a password."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from django.core import mail

from devotion.team.models import Invitation
from devotion.team.permissions import role_of
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orchard-lantern-42"


def _invite(client, email="sam@shop.example", role="manager"):
    return client.post("/settings/team/invite/", {"email": email, "role": role}, follow=True)


def _link() -> str:
    match = re.search(r"http://testserver(/invitation/[^/\s]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def _accept(client, link, username="sam"):
    return client.post(
        link,
        {
            "display_name": "Sam Lee",
            "username": username,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )


def test_an_admin_invites_someone_who_joins_with_the_invited_role(admin_user, login, client):
    response = _invite(login(admin_user))
    assert "Invitation sent to sam@shop.example" in response.content.decode()
    message = mail.outbox[-1]
    assert message.to == ["sam@shop.example"]
    assert "invited you to Devotion" in message.subject
    assert "as manager" in message.body
    assert "/invitation/" in message.alternatives[0].content  # an HTML part too
    link = _link()

    client.logout()
    page = client.get(link)
    assert page.status_code == 200
    assert "invited to join as <strong>manager</strong>" in page.content.decode()
    response = _accept(client, link)
    assert response.status_code == 302
    sam = User.objects.get(username="sam")
    assert sam.email == "sam@shop.example" and sam.check_password(NEW_PASSWORD)
    assert role_of(sam) == "manager"
    assert sam.staff.display_name == "Sam Lee"
    # They are logged in straight away.
    assert client.get("/customers/").status_code == 200


def test_a_link_works_only_once(admin_user, login, client):
    _invite(login(admin_user))
    link = _link()
    client.logout()
    _accept(client, link)
    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert _accept(client, link, username="sam2").status_code == 410
    assert not User.objects.filter(username="sam2").exists()


def test_an_expired_link_is_refused(admin_user, login, client, monkeypatch, settings):
    _invite(login(admin_user))
    link = _link()
    client.logout()
    later = time.time() + (settings.INVITATION_DAYS * 86400) + 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = client.get(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_an_invitation_past_its_expiry_date_is_refused_even_with_a_fresh_signature(
    admin_user, login, client
):
    _invite(login(admin_user))
    link = _link()
    Invitation.objects.update(expires_at="2000-01-01T00:00Z")
    client.logout()
    assert client.get(link).status_code == 410


def test_a_tampered_link_is_refused(admin_user, login, client):
    _invite(login(admin_user))
    link = _link()
    client.logout()
    response = client.get(link.replace("/invitation/", "/invitation/x"))
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_a_withdrawn_invitation_no_longer_works(admin_user, login, client):
    admin = login(admin_user)
    _invite(admin)
    link = _link()
    invitation = Invitation.objects.get()
    admin.post(f"/settings/team/invitations/{invitation.pk}/revoke/")
    client.logout()
    response = client.get(link)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_resending_sends_a_new_link_and_moves_the_expiry_on(admin_user, login):
    admin = login(admin_user)
    _invite(admin)
    invitation = Invitation.objects.get()
    Invitation.objects.update(expires_at="2000-01-01T00:00Z")
    response = admin.post(f"/settings/team/invitations/{invitation.pk}/resend/", follow=True)
    assert "sent again" in response.content.decode()
    assert len(mail.outbox) == 2
    invitation.refresh_from_db()
    assert invitation.expires_at.year > 2000


def test_it_refuses_to_invite_someone_already_on_the_team_or_invited(admin_user, agent, login):
    admin = login(admin_user)
    body = _invite(admin, email="AGNES@shop.example").content.decode()
    assert "already uses this e-mail address" in body
    _invite(admin)
    body = _invite(admin).content.decode()
    assert "already has an invitation waiting" in body
    assert Invitation.objects.count() == 1


def test_a_bad_address_gets_a_clear_error(admin_user, login):
    body = _invite(login(admin_user), email="not-an-address").content.decode()
    assert "Enter a valid e-mail address" in body
    assert Invitation.objects.count() == 0 and mail.outbox == []


def test_the_invitee_must_choose_a_good_password_and_a_free_username(
    admin_user, agent, login, client
):
    _invite(login(admin_user))
    link = _link()
    client.logout()
    response = client.post(
        link,
        {"display_name": "Sam", "username": "agnes", "password1": "123", "password2": "123"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "This username is taken" in body
    assert "too short" in body
    assert not User.objects.filter(email="sam@shop.example").exists()


def test_invitations_are_audited_without_personal_data(admin_user, login, client):
    _invite(login(admin_user))
    link = _link()
    client.logout()
    _accept(client, link)
    invited, joined = AuditEvent.objects.order_by("id")
    assert (invited.action, invited.actor_role, invited.detail) == (
        "team.invited",
        "admin",
        {"role": "manager"},
    )
    sam = User.objects.get(username="sam")
    assert joined.action == "team.joined"
    assert joined.object_id == str(sam.pk) and joined.actor_id == sam.pk
    for event in (invited, joined):
        assert "sam" not in str(event.detail).lower()


def test_when_mail_fails_the_invitation_is_kept_and_the_admin_told(admin_user, login, settings):
    import socket

    from devotion.core.models import OutboxMessage

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "devotion.core.mail.SmtpOutboxBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    response = _invite(login(admin_user))
    assert response.status_code == 200
    assert "the e-mail could not be sent" in response.content.decode()
    assert Invitation.objects.count() == 1
    assert OutboxMessage.objects.get().status == "failed"
