"""Scores out: `devotion scores export` (.csv, .parquet), GET /api/v1/scores (paged) and the
scores with factors and reasons on GET /api/v1/people/{id}."""

from __future__ import annotations

import csv
from io import StringIO

import duckdb
import pytest
from django.core.management import CommandError, call_command

from devotion.api.models import ApiKey
from devotion.people.models import Person
from devotion.retention.export import EXPORT_COLUMNS
from tests.scoring_helpers import as_of_day, store_business

pytestmark = pytest.mark.django_db

FIRST = [
    "person_id",
    "email",
    "health_score",
    "churn_probability",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "lifetime_value",
    "rfm_segment",
    "cluster",
    "stage",
    "computed_at",
]


@pytest.fixture
def scored(settings, tmp_path):
    settings.HOME = tmp_path
    store_business(120)
    call_command(
        "score", "--as-of", as_of_day(800).isoformat(), stdout=StringIO(), stderr=StringIO()
    )


@pytest.fixture
def get(client):
    _, raw = ApiKey.create("reader", ["people:read"])
    return lambda path, **params: client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_csv_export_has_exactly_the_promised_columns_first(scored, tmp_path):
    path = tmp_path / "scores.csv"
    call_command("scores", "export", str(path), stdout=StringIO())
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert list(EXPORT_COLUMNS) == FIRST and rows[0][: len(FIRST)] == FIRST
    assert len(rows) - 1 == Person.objects.live().count()
    scored_rows = [r for r in rows[1:] if r[2]]
    assert scored_rows and all(0 <= float(r[2]) <= 100 for r in scored_rows)


def test_the_csv_export_is_formula_safe(scored, tmp_path):
    Person.objects.filter(pk=Person.objects.first().pk).update(display_name="=HYPERLINK(1)")
    path = tmp_path / "scores.csv"
    call_command("scores", "export", str(path), stdout=StringIO())
    assert "'=HYPERLINK(1)" in path.read_text(encoding="utf-8")


def test_the_parquet_export_reads_back_with_the_same_columns(scored, tmp_path):
    path = tmp_path / "scores.parquet"
    call_command("scores", "export", str(path), stdout=StringIO())
    rel = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}')")
    names = [d[0] for d in rel.description]
    assert names[: len(FIRST)] == FIRST
    assert len(rel.fetchall()) == Person.objects.live().count()


def test_an_export_to_another_format_is_refused(tmp_path):
    with pytest.raises(CommandError, match=r"\.csv or \.parquet"):
        call_command("scores", "export", str(tmp_path / "scores.xlsx"))


def test_the_scores_endpoint_pages_through_everyone(scored, get, django_assert_max_num_queries):
    seen = []
    cursor = None
    while True:
        with django_assert_max_num_queries(6):
            body = get("/api/v1/scores", limit=50, **({"cursor": cursor} if cursor else {})).json()
        seen += [item["person_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(Person.objects.live().values_list("pk", flat=True))
    item = get("/api/v1/scores", scored="true", limit=1).json()["items"][0]
    assert list(item)[: len(FIRST)] == FIRST and item["health_score"] is not None


def test_the_scores_endpoint_filters_by_segment(scored, get):
    segment = Person.objects.exclude(rfm_segment="").values_list("rfm_segment", flat=True).first()
    items = get("/api/v1/scores", rfm_segment=segment, limit=1000).json()["items"]
    assert items and {i["rfm_segment"] for i in items} == {segment}


def test_the_scores_endpoint_needs_the_people_read_scope(scored, client):
    _, raw = ApiKey.create("writer", ["events:write"])
    response = client.get("/api/v1/scores", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403 and response.json()["error"]["code"]
    assert client.get("/api/v1/scores").status_code == 401


def test_a_person_carries_scores_with_factors_and_reasons(scored, get):
    person = Person.objects.filter(churn_probability__gt=0.5).first()
    scores = get(f"/api/v1/people/{person.pk}").json()["scores"]
    assert scores["health_score"] == person.health_score
    assert {f["key"] for f in scores["health_factors"]} == {
        "recency",
        "frequency",
        "spend_trend",
        "open_problems",
        "unanswered",
        "survey",
        "feeling",  # out of play (max_points 0) without analysed messages, with its reason
    }
    assert all(f["explanation"] for f in scores["health_factors"])
    assert scores["churn_reasons"] and scores["churn_reasons"][0]["text"]
    assert scores["rfm_segment"] and scores["rfm_segment_meaning"]
    assert 1 <= scores["rfm"]["recency"] <= 5 and scores["computed_at"]
