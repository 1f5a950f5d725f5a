"""Admins change roles and deactivate people; the last active admin cannot remove themselves."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from devotion.team.permissions import role_of
from devotion.trust.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _role(client, user, role):
    return client.post(f"/settings/team/members/{user.pk}/role/", {"role": role}, follow=True)


def _active(client, user, active):
    return client.post(
        f"/settings/team/members/{user.pk}/active/", {"active": "1" if active else "0"}, follow=True
    )


def test_an_admin_promotes_an_agent_to_manager(admin_user, agent, login):
    body = _role(login(admin_user), agent, "manager").content.decode()
    assert "Agnes is now manager" in body
    agent.refresh_from_db()
    assert role_of(agent) == "manager"
    event = AuditEvent.objects.get(action="team.role_changed")
    assert event.object_id == str(agent.pk)
    assert event.detail == {"from_role": "agent", "to_role": "manager"}
    assert event.actor_role == "admin"


def test_an_unknown_role_is_refused(admin_user, agent, login):
    body = _role(login(admin_user), agent, "overlord").content.decode()
    assert "Choose agent, manager or admin" in body
    assert role_of(User.objects.get(pk=agent.pk)) == "agent"


def test_a_user_without_a_role_can_be_given_one(admin_user, outsider, login):
    _role(login(admin_user), outsider, "agent")
    assert role_of(User.objects.get(pk=outsider.pk)) == "agent"


def test_the_last_active_admin_cannot_demote_themselves(admin_user, login):
    body = _role(login(admin_user), admin_user, "manager").content.decode()
    assert "You are the last active admin" in body
    assert role_of(User.objects.get(pk=admin_user.pk)) == "admin"
    assert not AuditEvent.objects.filter(action="team.role_changed").exists()


def test_the_last_active_admin_cannot_deactivate_themselves(admin_user, login):
    body = _active(login(admin_user), admin_user, False).content.decode()
    assert "You are the last active admin" in body
    assert User.objects.get(pk=admin_user.pk).is_active


def test_a_deactivated_admin_does_not_count_as_another_admin(admin_user, login):
    other = User.objects.create_user("ada", "ada@shop.example", PASSWORD, is_active=False)
    other.is_superuser = True
    other.save()
    body = _role(login(admin_user), admin_user, "agent").content.decode()
    assert "You are the last active admin" in body


def test_with_another_admin_an_admin_may_step_down(admin_user, login):
    other = User.objects.create_superuser("root", "root@shop.example", PASSWORD)
    client = login(admin_user)
    _role(client, admin_user, "manager")
    assert role_of(User.objects.get(pk=admin_user.pk)) == "manager"
    assert role_of(other) == "admin"


def test_demoting_a_superuser_takes_the_superuser_flag_away(admin_user, login):
    root = User.objects.create_superuser("root", "root@shop.example", PASSWORD)
    _role(login(admin_user), root, "agent")
    root.refresh_from_db()
    assert not root.is_superuser and not root.is_staff
    assert role_of(root) == "agent"
    assert root.staff.display_name == "root"


def test_a_deactivated_member_cannot_log_in_until_reactivated(admin_user, agent, login, client):
    admin = login(admin_user)
    body = _active(admin, agent, False).content.decode()
    assert "Agnes can no longer log in" in body
    assert "Deactivated" in body and "Reactivate" in body
    admin.logout()
    assert not client.login(username="agnes", password=PASSWORD)

    admin = login(admin_user)
    assert "Agnes can log in again" in _active(admin, agent, True).content.decode()
    admin.logout()
    assert client.login(username="agnes", password=PASSWORD)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "detail"))
    assert actions == [
        ("team.deactivated", {"role": "agent"}),
        ("team.reactivated", {"role": "agent"}),
    ]


def test_a_deactivated_member_loses_access_at_once(admin_user, agent, client, login):
    agent_client = client
    agent_client.force_login(agent)
    agent.is_active = False
    agent.save()
    assert agent_client.get("/customers/").status_code in (302, 403)
