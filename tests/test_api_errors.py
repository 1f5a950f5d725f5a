"""Every error from the API is JSON with a stable code and a human message."""

from __future__ import annotations

import pytest

from devotion.api.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth():
    _, raw = ApiKey.create("all", ["events:write", "people:read"])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def test_invalid_query_parameters_are_a_json_validation_error(client, auth):
    error = _error(client.get("/api/v1/people?limit=1000", **auth), 422)
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["query", "limit"]


def test_a_body_that_is_not_json_is_a_400(client, auth):
    response = client.post("/api/v1/events", "{not json", content_type="application/json", **auth)
    assert _error(response, 400)["code"] == "invalid_json"


def test_a_body_that_is_not_an_object_is_a_422(client, auth):
    response = client.post("/api/v1/events", "[1, 2]", content_type="application/json", **auth)
    assert _error(response, 422)["code"] == "invalid_body"


def test_an_unknown_route_under_the_api_is_a_json_404(client):
    for path in ("/api/v1/nothing-here", "/api/", "/api/v2/events"):
        assert _error(client.get(path), 404)["code"] == "unknown_route"


def test_a_wrong_method_is_a_json_405(client, auth):
    response = client.get("/api/v1/events", **auth)
    error = _error(response, 405)
    assert error["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"
    assert _error(client.delete("/api/v1/people", **auth), 405)["code"] == "method_not_allowed"


def test_an_unknown_person_is_a_json_404(client, auth):
    assert _error(client.get("/api/v1/people/999999", **auth), 404)["code"] == "person_not_found"


def test_a_crash_is_a_json_500_without_internals(client, auth, make_event, monkeypatch, caplog):
    def boom(raws):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("devotion.api.events.ingest", boom)
    response = client.post("/api/v1/events", make_event(), content_type="application/json", **auth)
    error = _error(response, 500)
    assert error["code"] == "internal_error"
    assert "secret internals" not in response.content.decode()
    assert "secret internals" in caplog.text
