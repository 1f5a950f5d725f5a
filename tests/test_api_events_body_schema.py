"""The OpenAPI body schema of POST /api/v1/events matches what the endpoint refuses as a whole.

Found by Schemathesis (negative_data_rejection): the schema said every event must match
EventIn, yet an event with a wrong value is that event's own rejection in a 200. A client or
fuzzer reading the schema must be able to tell which bodies are refused.
"""

from __future__ import annotations

import jsonschema_rs
import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").json()


def _body_is_valid(spec, body) -> bool:
    content = spec["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]
    schema = {**content["application/json"]["schema"], "components": spec["components"]}
    return jsonschema_rs.Draft202012Validator(schema).is_valid(body)


@pytest.mark.parametrize(
    "overrides",
    [
        {"facts": -234},
        {"consent": {"email": {}}},
        {"person": {"email": "ada@example.com", "country": {}}},
        {"kind": "not-a-kind"},
        {"lines": [{"quantity": 0}]},
        {"rating": 11},
    ],
    ids=["facts", "consent", "country", "kind", "quantity", "rating"],
)
def test_an_event_the_endpoint_rejects_alone_is_a_valid_body_in_the_schema(
    spec, post_events, make_event, overrides
):
    body = {"events": [make_event(**overrides)]}
    response = post_events(body)
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "rejected"
    assert _body_is_valid(spec, body)
    single = make_event(**overrides)
    assert post_events(single).status_code == 200
    assert _body_is_valid(spec, single)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "order", "source": "shop"},
        {"kind": "order", "source": "shop", "person": "ada@example.com"},
        {"events": []},
        {"events": {"kind": "order"}},
        {"events": [{"kind": "order"}]},
        [],
    ],
)
def test_a_body_the_endpoint_refuses_as_a_whole_is_invalid_in_the_schema(spec, post_events, body):
    assert post_events(body).status_code == 422
    assert not _body_is_valid(spec, body)


def test_the_schema_still_documents_every_event_field_in_event_in(spec):
    components = spec["components"]["schemas"]
    assert set(components["EventIn"]["required"]) == {"kind", "source", "person"}
    assert "EventIn" in spec["paths"]["/api/v1/events"]["post"]["description"]
