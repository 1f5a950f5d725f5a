"""Settings > Team: everyone on the team sees the directory; only admins can change it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from devotion.team.models import Invitation, Role, StaffMember

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["agent", "manager", "admin_user"])
def test_everyone_on_the_team_sees_the_directory(persona, request, login, agent, manager):
    body = login(request.getfixturevalue(persona)).get("/settings/team/").content.decode()
    assert "Agnes" in body and "Manon" in body
    assert "People who log in" in body


def test_someone_without_a_role_cannot_see_the_team(outsider, login):
    assert login(outsider).get("/settings/team/").status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/settings/team/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["agent", "manager"])
def test_only_admins_are_shown_the_controls(persona, request, login):
    body = login(request.getfixturevalue(persona)).get("/settings/team/").content.decode()
    assert "Invite someone" not in body
    assert "Deactivate" not in body
    assert "Only admins change the team" in body


def test_admins_are_shown_the_controls(admin_user, login):
    body = login(admin_user).get("/settings/team/").content.decode()
    assert "Invite someone" in body and "Deactivate" in body and "Set role" in body


@pytest.mark.parametrize("persona", ["agent", "manager", "outsider"])
def test_only_admins_can_change_the_team(persona, request, login, admin_user):
    client = login(request.getfixturevalue(persona))
    invitation = Invitation.objects.create(
        email="x@shop.example",
        role="agent",
        sent_at="2026-01-01T00:00Z",
        expires_at="2099-01-01T00:00Z",
    )
    target = admin_user.pk
    posts = {
        "/settings/team/invite/": {"email": "new@shop.example", "role": "admin"},
        f"/settings/team/members/{target}/role/": {"role": "agent"},
        f"/settings/team/members/{target}/active/": {"active": "0"},
        f"/settings/team/invitations/{invitation.pk}/resend/": {},
        f"/settings/team/invitations/{invitation.pk}/revoke/": {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.staff.role == Role.ADMIN
    assert Invitation.objects.count() == 1 and Invitation.objects.get().revoked_at is None


def test_agents_find_the_team_under_settings(agent, login):
    body = login(agent).get("/customers/").content.decode()
    assert 'href="/settings/team/"' in body


def test_it_lists_the_team_with_a_fixed_number_of_queries(
    admin_user, login, django_assert_max_num_queries
):
    for i in range(30):
        user = User.objects.create_user(f"member{i}", f"m{i}@shop.example", "x")
        StaffMember.objects.create(user=user, display_name=f"Member {i}", role="agent")
        StaffMember.objects.create(display_name=f"Shop assistant {i}")
    client = login(admin_user)
    with django_assert_max_num_queries(8):
        response = client.get("/settings/team/")
    assert response.content.decode().count("Set role") == 31
    assert "Shop assistant 29" in response.content.decode()
