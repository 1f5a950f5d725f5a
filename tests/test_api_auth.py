"""API key auth: missing, garbage, revoked keys and keys without the needed scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devotion.api.models import ApiKey

pytestmark = pytest.mark.django_db


def _post_event(client, make_event, token=None, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post("/api/v1/events", make_event(), content_type="application/json", **headers)


def test_it_refuses_a_request_without_a_key(client, make_event):
    response = _post_event(client, make_event)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_a_garbage_key(client, make_event):
    response = _post_event(client, make_event, token="dvt_not-a-real-key")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_it_refuses_an_authorization_header_that_is_not_bearer(client, make_event):
    response = _post_event(client, make_event, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_authorization"


def test_it_refuses_a_revoked_key(client, make_event):
    key, raw = ApiKey.create("old", ["events:write"])
    key.revoke()
    response = _post_event(client, make_event, token=raw)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_revoked"


def test_it_rejects_a_key_without_the_events_scope(client, make_event):
    _, raw = ApiKey.create("reader", ["people:read"])
    response = _post_event(client, make_event, token=raw)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "missing_scope"
    assert error["details"]["required_scope"] == "events:write"


def test_it_rejects_a_key_without_the_people_scope(client):
    _, raw = ApiKey.create("writer", ["events:write"])
    for path in ("/api/v1/people", "/api/v1/people/1", "/api/v1/people/1/timeline"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "missing_scope"


def test_it_accepts_a_key_with_the_scope_and_notes_when_it_was_used(client, make_event):
    key, raw = ApiKey.create("shop", ["events:write"])
    assert _post_event(client, make_event, token=raw).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_it_writes_last_used_at_at_most_once_a_minute(client, make_event):
    key, raw = ApiKey.create("shop", ["events:write"])
    recent = timezone.now() - timedelta(seconds=10)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=recent)
    _post_event(client, make_event, token=raw)
    key.refresh_from_db()
    assert key.last_used_at == recent

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=recent - timedelta(minutes=2))
    _post_event(client, make_event, token=raw)
    key.refresh_from_db()
    assert key.last_used_at > recent


def test_the_web_session_does_not_authenticate_the_api(login, admin_user):
    client = login(admin_user)
    assert client.get("/api/v1/people").status_code == 401
