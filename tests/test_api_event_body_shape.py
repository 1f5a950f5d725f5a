"""POST /api/v1/events refuses a body that is neither one event nor a batch, with a JSON 4xx."""

from __future__ import annotations

import pytest

from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def _error(response, status=422):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def test_an_empty_object_is_refused(post_events):
    error = _error(post_events({}))
    assert error["code"] == "invalid_body"
    assert "kind" in error["message"] and "events" in error["message"]
    assert Touchpoint.objects.count() == 0


def test_an_empty_batch_is_refused(post_events):
    assert _error(post_events({"events": []}))["code"] == "empty_batch"


def test_an_event_without_its_required_fields_is_refused(post_events):
    error = _error(post_events({"source": "shop", "external_id": "1"}))
    assert error["code"] == "invalid_body"
    assert error["details"] == [
        {"loc": ["body", "kind"], "message": "Field required"},
        {"loc": ["body", "person"], "message": "Field required"},
    ]


def test_a_batch_item_that_is_not_an_event_object_is_refused(post_events, make_event):
    error = _error(post_events({"events": [make_event(), 7, {"kind": "order"}]}))
    assert error["code"] == "invalid_body"
    locs = [detail["loc"] for detail in error["details"]]
    assert ["body", "events", "1"] in locs
    assert ["body", "events", "2", "source"] in locs
    assert Touchpoint.objects.count() == 0


def test_a_person_that_is_not_an_object_is_refused(post_events, make_event):
    error = _error(post_events(make_event(person="ada@example.com")))
    assert error["details"][0]["loc"] == ["body", "person"]


def test_events_that_is_not_a_list_is_refused(post_events):
    assert _error(post_events({"events": {"kind": "order"}}))["code"] == "invalid_body"


def test_a_well_formed_event_with_a_bad_value_is_still_a_per_event_rejection(
    post_events, make_event
):
    response = post_events(make_event(occurred_at="not a date"))
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "rejected"


def test_the_openapi_schema_says_which_fields_an_event_needs(client):
    schema = client.get("/api/openapi.json").json()
    body = schema["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]
    single, batch = body["application/json"]["schema"]["oneOf"]
    assert set(single["required"]) == {"kind", "source", "person"}
    components = schema["components"]["schemas"]
    assert set(components["EventIn"]["required"]) == {"kind", "source", "person"}
    assert batch["required"] == ["events"]
    assert set(batch["properties"]["events"]["items"]["required"]) == {"kind", "source", "person"}
    assert (
        batch["properties"]["events"]["minItems"],
        batch["properties"]["events"]["maxItems"],
    ) == (1, 1000)
    responses = schema["paths"]["/api/v1/events"]["post"]["responses"]
    assert "422" in responses and "400" in responses
