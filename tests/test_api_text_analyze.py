"""POST /api/v1/text/analyze, and the analysis on each touchpoint of the people API."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from devotion.api.models import ApiKey
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.team.models import StaffMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client):
    _, raw = ApiKey.create("texts", ["text:analyze"])

    def _post(body, key=raw):
        return client.post(
            "/api/v1/text/analyze",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    return _post


def test_it_answers_each_text_in_input_order_with_the_model(post):
    StaffMember.objects.create(display_name="Maria Lopez")
    texts = [
        "Thank you Maria, you were wonderful!",
        "I want to speak to a manager. My parcel never arrived.",
        "¿Dónde está mi pedido? Lo pedí hace dos semanas.",
        "",
    ]
    response = post({"texts": texts})
    assert response.status_code == 200
    body = response.json()
    assert body["model"]["kind"] == "shipped"
    thanks, manager, spanish, empty = body["results"]
    assert thanks["sentiment"]["label"] == "positive"
    assert thanks["emotions"]["joy"] > 0
    assert thanks["mentions"][0]["kind"] == "staff"
    assert thanks["mentions"][0]["name"] == "Maria"
    assert manager["needs_reply"] is True
    assert manager["reply_reasons"] == ["complaint", "request", "escalation"]
    assert manager["sentiment"]["label"] == "negative"
    assert manager["topic"] == "late delivery"
    assert spanish["language"] == "es" and spanish["sentiment"] == {"label": None, "score": None}
    assert empty["language"] == "und"


@pytest.mark.parametrize("texts", [[], ["x"] * 1001, "just one", [1, 2]])
def test_it_refuses_a_bad_batch_with_a_json_error(post, texts):
    response = post({"texts": texts})
    assert response.status_code == 422
    assert response.json()["error"]["code"]


def test_it_refuses_a_text_too_long(post):
    response = post({"texts": ["ok", "a" * 20_001]})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "20000" in json.dumps(response.json()["error"])


def test_it_needs_the_text_scope(post):
    _, raw = ApiKey.create("reader", ["people:read"])
    response = post({"texts": ["hi"]}, key=raw)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


def test_the_people_api_shows_each_touchpoints_analysis(client, make_event):
    ingest(
        [
            make_event(kind="message", text="Where is my refund?", amount=None, currency=None),
            make_event(),
        ]
    )
    call_command("analyze", quiet=True)
    _, raw = ApiKey.create("reader", ["people:read"])
    person = Person.objects.get()
    response = client.get(
        f"/api/v1/people/{person.pk}/timeline", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    items = response.json()["items"]
    by_kind = {item["kind"]: item for item in items}
    assert by_kind["order"]["analysis"] is None
    analysis = by_kind["message"]["analysis"]
    assert analysis["topic"] == "refund" and analysis["reply_reasons"][0] == "question"
    assert analysis["corrected"] is False and analysis["model"] == "shipped-1"
    detail = client.get(f"/api/v1/people/{person.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    recent = {item["kind"]: item["analysis"] for item in detail.json()["recent_touchpoints"]}
    assert recent["message"]["topic"] == "refund" and recent["order"] is None


def test_a_body_that_is_not_json_is_a_documented_400(client):
    _, raw = ApiKey.create("t", ["text:analyze"])
    response = client.post(
        "/api/v1/text/analyze",
        b"\x00",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    schema = client.get("/api/openapi.json").json()
    assert "400" in schema["paths"]["/api/v1/text/analyze"]["post"]["responses"]
