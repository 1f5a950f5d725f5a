"""JSON nested thousands of levels deep is a 400 invalid_json, never a crash."""

from __future__ import annotations

import json

import pytest

from devotion.api.errors import MAX_JSON_DEPTH
from devotion.api.models import ApiKey

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def auth():
    _, raw = ApiKey.create("all", ["events:write", "people:read"])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _invalid_json(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert "deep" in error["message"]


def test_a_deeply_nested_body_is_refused_as_invalid_json(client, auth):
    _invalid_json(client.post("/api/v1/events", DEEP, content_type="application/json", **auth))


def test_a_deeply_nested_value_inside_an_event_is_refused(client, auth, make_event):
    body = (
        '{"events": [{"kind": "order", "source": "s", "person": {}, "extra": {"a": ' + DEEP + "}}]}"
    )
    _invalid_json(client.post("/api/v1/events", body, content_type="application/json", **auth))


def test_nesting_just_past_the_limit_is_refused_and_at_the_limit_accepted(client, auth, make_event):
    def nested(depth):
        # The event object is level 1 and "extra" level 2: fill up to `depth` levels.
        event = make_event(extra={"v": "FILL"})
        inner = "[" * (depth - 2) + "]" * (depth - 2)
        body = json.dumps(event).replace('"FILL"', inner)
        return client.post("/api/v1/events", body, content_type="application/json", **auth)

    _invalid_json(nested(MAX_JSON_DEPTH + 1))
    assert nested(MAX_JSON_DEPTH).status_code == 200


def test_every_json_parsing_endpoint_uses_the_same_guard():
    from devotion.api.api import api
    from devotion.api.errors import ApiError

    with pytest.raises(ApiError) as caught:
        api.parser.parse_body(_FakeRequest(DEEP.encode()))
    assert caught.value.code == "invalid_json"


class _FakeRequest:
    def __init__(self, body: bytes) -> None:
        self.body = body


def test_a_cursor_hiding_deeply_nested_json_is_an_invalid_cursor(client, auth):
    import base64

    cursor = base64.urlsafe_b64encode(DEEP.encode()).decode()
    response = client.get(f"/api/v1/people?cursor={cursor}", **auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"
