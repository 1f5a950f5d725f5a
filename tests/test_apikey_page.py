"""Settings → API keys: who may see, create and revoke keys."""

from __future__ import annotations

import pytest

from devotion.api.models import ApiKey, hash_key
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/settings/api-keys/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_agents_and_outsiders_may_not_see_keys(login, persona, request):
    client = login(request.getfixturevalue(persona))
    assert client.get("/settings/api-keys/").status_code == 403
    assert client.post("/settings/api-keys/new/", {"name": "x"}).status_code == 403


def test_managers_see_keys_but_cannot_create_or_revoke(login, manager):
    key, _ = ApiKey.create("Shop sync", ["events:write"])
    client = login(manager)
    page = client.get("/settings/api-keys/").content.decode()
    assert "Shop sync" in page and key.prefix in page and "events:write" in page
    assert "New key" not in page
    assert client.get("/settings/api-keys/new/").status_code == 403
    assert client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 403
    key.refresh_from_db()
    assert key.is_active


def test_the_empty_list_says_what_to_do(login, admin_user):
    page = login(admin_user).get("/settings/api-keys/").content.decode()
    assert "No API keys yet" in page and "Create the first key" in page


def test_an_admin_creates_a_key_and_sees_it_once(login, admin_user):
    client = login(admin_user)
    assert client.get("/settings/api-keys/new/").status_code == 200
    response = client.post(
        "/settings/api-keys/new/", {"name": "Warehouse", "scopes": ["people:read"]}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    raw = response.context["raw_key"]
    assert key.key_hash == hash_key(raw) and key.created_by == admin_user
    page = response.content.decode()
    assert raw in page and "will not be shown again" in page
    assert raw not in client.get("/settings/api-keys/").content.decode()
    audit = AuditEvent.objects.get(action="apikey.create")
    assert audit.actor == admin_user and raw not in str(audit.detail)


def test_a_key_needs_a_name_and_a_scope(login, admin_user):
    response = login(admin_user).post("/settings/api-keys/new/", {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"name", "scopes"}
    assert not ApiKey.objects.exists()


def test_an_admin_revokes_a_key_after_confirming(login, admin_user, client):
    key, raw = ApiKey.create("Old", ["people:read"])
    admin = login(admin_user)
    confirm = admin.get(f"/settings/api-keys/{key.pk}/revoke/")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    key.refresh_from_db()
    assert key.is_active  # a GET changes nothing
    response = admin.post(f"/settings/api-keys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active
    assert AuditEvent.objects.filter(action="apikey.revoke", object_id=str(key.pk)).exists()
    admin.logout()
    assert client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
