"""The OpenAPI schema builds and the docs page loads nothing from outside the server."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_builds_and_lists_the_endpoints(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/events", "/api/v1/people", "/api/v1/people/{person_id}"} <= set(
        schema["paths"]
    )
    components = schema["components"]["schemas"]
    assert {"EventIn", "EventBatchIn", "PersonRefIn", "EventsOut", "ErrorOut"} <= set(components)
    assert "description" in components["EventIn"]["properties"]["external_id"]
    body = schema["paths"]["/api/v1/events"]["post"]["requestBody"]
    titles = [part["title"] for part in body["content"]["application/json"]["schema"]["oneOf"]]
    assert titles == ["One event", "A batch (see EventBatchIn)"]
    assert schema["components"]["securitySchemes"]


def test_the_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, "expected the page to load Swagger UI assets"
    for url in urls:
        assert url.startswith("/static/"), url
    assert "cdn" not in html.lower()
    assert not re.search(r"https?://", html)


def test_the_documented_event_kinds_are_the_ones_validation_accepts():
    """The schema's Literal is written out for the docs; it must not drift from events.KINDS."""
    from typing import get_args

    from devotion.api.schemas import EventKind
    from devotion.ingest.events import KINDS

    assert set(get_args(EventKind)) == KINDS
