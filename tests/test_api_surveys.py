"""GET /api/v1/surveys, /surveys/{id} and /surveys/{id}/responses: scope, shapes, paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devotion.api.models import ApiKey
from devotion.voice.surveys import answers
from tests.survey_helpers import customers, invitation_of, sent_survey, survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(client):
    _, raw = ApiKey.create("reader", ["surveys:read"])

    def _get(path, **params):
        return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {raw}")

    return _get


@pytest.fixture
def nps():
    customers()
    s = sent_survey()
    now = timezone.now()
    answers.record(invitation_of(s, "ada@example.com"), 9, "Lovely", now=now - timedelta(days=1))
    answers.record(invitation_of(s, "grace@example.com"), 2, "Rude reply", now=now)
    return s


def test_a_key_without_the_surveys_scope_is_refused(client, nps):
    _, raw = ApiKey.create("people", ["people:read"])
    response = client.get("/api/v1/surveys", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert client.get("/api/v1/surveys").status_code == 401


def test_the_list_gives_each_survey_with_its_numbers(get, nps):
    survey(name="Draft CES", kind="ces", question="How easy?")
    body = get("/api/v1/surveys").json()
    assert [s["name"] for s in body["items"]] == ["Draft CES", "Spring NPS"]
    sent = body["items"][1]
    assert (sent["kind"], sent["status"], sent["asked"], sent["answered"]) == ("nps", "sent", 3, 2)
    assert sent["response_rate"] == 66.7 and sent["score"] == 0.0
    assert (sent["scale_low"], sent["scale_high"]) == (0, 10)
    assert sent["target"] == {
        "touchpoint_kind": "order",
        "days": 30,
        "segment_id": None,
        "label": "Order in the last 30 days",
    }
    assert body["items"][0]["score"] is None and body["items"][0]["response_rate"] is None
    assert get("/api/v1/surveys", kind="ces").json()["items"][0]["name"] == "Draft CES"


def test_the_list_pages_with_a_cursor(get, nps):
    for n in range(3):
        survey(name=f"Draft {n}")
    first = get("/api/v1/surveys", limit=2).json()
    assert [s["name"] for s in first["items"]] == ["Draft 2", "Draft 1"]
    second = get("/api/v1/surveys", limit=2, cursor=first["next_cursor"]).json()
    assert [s["name"] for s in second["items"]] == ["Draft 0", "Spring NPS"]
    assert second["next_cursor"] is None


def test_one_survey_has_its_score_over_time_and_groups(get, nps):
    body = get(f"/api/v1/surveys/{nps.pk}").json()
    assert body["period"] == "week"
    assert sum(p["count"] for p in body["over_time"]) == 2
    assert body["groups"] == {"promoter": 1, "detractor": 1}


def test_an_unknown_survey_is_a_json_404(get):
    response = get("/api/v1/surveys/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "survey_not_found"
    assert get("/api/v1/surveys/999999/responses").status_code == 404


def test_the_responses_newest_first_with_person_ids_and_paging(get, nps):
    first = get(f"/api/v1/surveys/{nps.pk}/responses", limit=1).json()
    item = first["items"][0]
    grace = invitation_of(nps, "grace@example.com")
    assert (item["person_id"], item["score"], item["group"], item["comment"]) == (
        grace.person_id,
        2,
        "detractor",
        "Rude reply",
    )
    assert item["touchpoint_id"] == grace.touchpoint_id and item["analysis"] is None
    assert "email" not in item  # personal details are the people API's
    second = get(f"/api/v1/surveys/{nps.pk}/responses", cursor=first["next_cursor"]).json()
    assert [i["comment"] for i in second["items"]] == ["Lovely"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["nope", "n123.4", "o999999999999999999999999.1", "!!"])
def test_a_cursor_this_api_did_not_give_is_a_clear_422(get, nps, cursor):
    response = get(f"/api/v1/surveys/{nps.pk}/responses", cursor=cursor)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert get("/api/v1/surveys", cursor=cursor).status_code == 422


def test_the_responses_carry_the_text_analysis_when_there_is_one(get, nps):
    from devotion.voice.models import TextAnalysis

    TextAnalysis.objects.create(
        touchpoint=invitation_of(nps, "grace@example.com").touchpoint,
        sentiment=-0.8,
        emotions={"anger": 0.7, "note": "x"},
        topic="rude reply",
        model_version="lexicon-1",
    )
    item = get(f"/api/v1/surveys/{nps.pk}/responses").json()["items"][0]
    assert item["analysis"] == {
        "sentiment": -0.8,
        "topic": "rude reply",
        "emotions": {"anger": 0.7},
        "model_version": "lexicon-1",
    }


def test_the_openapi_schema_lists_the_survey_operations(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/responses",
    } <= set(paths)


def test_the_list_endpoints_cost_a_fixed_number_of_queries(get, nps, django_assert_max_num_queries):
    for n in range(5):
        survey(name=f"Draft {n}")
    with django_assert_max_num_queries(6):
        assert get("/api/v1/surveys").status_code == 200
    with django_assert_max_num_queries(7):
        assert get(f"/api/v1/surveys/{nps.pk}/responses").status_code == 200
