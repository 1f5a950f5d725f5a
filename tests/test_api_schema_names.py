"""Every response and request schema of the API has its own name.

django-ninja names each OpenAPI component after its class: two classes called ``PointOut`` (the
coach's points and a survey's score over time) became one component, so the surveys endpoint
was documented with the coach's shape (found by Schemathesis: response_schema_conformance).
"""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from devotion.api.api import api  # noqa: F401 - imports every router, so every schema exists


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_no_two_api_schemas_share_a_name():
    by_name: dict[str, set[str]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("devotion."):
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared, f"schemas with the same OpenAPI name: {shared}"


def test_the_openapi_components_are_the_classes_they_are_named_after(client):
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert {"count", "period_start", "score"} <= set(schema["SurveyPointOut"]["properties"])
    assert {"text", "kind", "answered"} <= set(schema["PointOut"]["properties"])
