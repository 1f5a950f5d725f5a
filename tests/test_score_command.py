"""`devotion score`: everyone scored in bulk as of a day, models saved as versioned files,
stages moved by the rules, later data ignored, too little history said, not crashed."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devotion.core.models import Job
from devotion.people.models import Person
from devotion.retention.models import ScoreSnapshot, ScoringModel, ScoringRun
from tests.scoring_helpers import as_of_day, store_business

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path
    return tmp_path


def _score(*args: str) -> str:
    out = StringIO()
    call_command("score", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_scores_every_customer_and_saves_a_versioned_model(home):
    store_business(200)
    out = _score("--as-of", as_of_day(800).isoformat())
    customers = Person.objects.exclude(order_count=0)
    assert "Scored" in out and "models v1 (trained now)" in out
    assert customers.filter(health_score__isnull=True).count() == 0
    assert customers.filter(churn_probability__isnull=True).count() == 0
    assert customers.filter(rfm_segment="").count() == 0
    assert customers.filter(cluster="").count() == 0
    model = ScoringModel.objects.get()
    assert (home / model.path).exists() and model.path.endswith("scoring-v1.pkl")
    assert model.roc_auc is not None and 0.5 < model.roc_auc <= 1
    assert model.calibration and model.trained_on > 30
    run = ScoringRun.objects.get()
    assert run.job.status == Job.Status.DONE and run.job.percent == 100
    assert ScoreSnapshot.objects.filter(run=run).count() == run.customers
    snap = ScoreSnapshot.objects.filter(run=run).first()
    assert {f["key"] for f in snap.health_factors} >= {"recency", "survey"}
    assert sum(f["points"] for f in snap.health_factors) == pytest.approx(
        snap.health_score, abs=0.2
    )


@pytest.mark.slow  # three scoring runs
def test_a_second_run_reuses_the_model_and_keeps_the_previous_health(home):
    store_business(120)
    _score("--as-of", as_of_day(800).isoformat())
    out = _score("--as-of", as_of_day(800).isoformat())
    assert "models v1." in out and ScoringModel.objects.count() == 1
    snap = ScoreSnapshot.objects.filter(run=ScoringRun.objects.first()).first()
    assert snap.previous_health_score == snap.health_score and snap.health_trend == 0
    _score("--as-of", as_of_day(800).isoformat(), "--retrain")
    assert ScoringModel.objects.count() == 2 and (home / "models" / "scoring-v2.pkl").exists()


def test_data_after_as_of_is_ignored(make_event):
    store_business(120)
    _score("--as-of", as_of_day(700).isoformat())
    before = dict(Person.objects.values_list("pk", "health_score"))
    # A flood of later orders changes nothing as of that day.
    late = [
        make_event(person={"email": "p5@shop.example"}, occurred_at="2025-06-01T00:00:00Z")
        for _ in range(5)
    ]
    from devotion.ingest.store import ingest

    ingest(late)
    _score("--as-of", as_of_day(700).isoformat())
    assert dict(Person.objects.values_list("pk", "health_score")) == before


@pytest.mark.slow  # two trainings
def test_a_backtest_never_uses_a_model_trained_on_later_data():
    store_business(150)
    _score("--as-of", as_of_day(850).isoformat())
    out = _score("--as-of", as_of_day(700).isoformat())
    assert "(trained now)" in out
    run = ScoringRun.objects.first()
    assert run.model.trained_as_of <= run.as_of


def test_stages_move_by_the_rules():
    store_business(200)
    _score("--as-of", as_of_day(880).isoformat())
    stages = set(Person.objects.exclude(order_count=0).values_list("stage", flat=True))
    assert {"lapsed", "active"} <= stages
    run = ScoringRun.objects.get()
    assert any(k.endswith(">lapsed") for k in run.stage_moves)


def test_too_little_history_says_so_and_scores_what_it_can(make_event):
    from devotion.ingest.store import ingest

    ingest([make_event(), make_event(occurred_at="2025-07-01T00:00:00Z")])
    out = _score("--as-of", "2025-08-01")
    assert "too little history to learn churn" in out
    assert "No expected purchases or lifetime value" in out
    ada = Person.objects.get()
    assert ada.health_score is not None and ada.churn_probability is None
    assert ada.rfm_segment  # RFM needs no model


def test_an_empty_database_scores_nobody_without_crashing():
    out = _score()
    assert "Scored 0 customers of 0 people" in out


def test_a_bad_as_of_is_a_clear_error():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _score("--as-of", "31/12/2025")


def test_the_cli_knows_score_and_scores():
    from devotion.cli import ALIASES

    assert ALIASES["score"] == "score" and ALIASES["scores"] == "scores"


def test_order_amounts_are_read_in_the_reporting_currency(settings, make_event):
    from decimal import Decimal

    from devotion.ingest.store import ingest
    from devotion.retention.scoring import cutoff_of, read_events

    settings.FX_RATES = {"EUR": Decimal("2")}
    ingest(
        [
            make_event(amount="10.00", currency="USD"),
            make_event(amount="10.00", currency="EUR"),
            make_event(amount="5000", currency="JPY"),  # no rate: counted, no amount
        ]
    )
    events = read_events(cutoff_of(date(2025, 12, 31)))
    amounts = sorted(events.column("amount").to_pylist(), key=lambda a: (a is None, a))
    assert amounts[:2] == [10.0, 20.0] and amounts[2] is None
    assert events.num_rows == 3 and set(events.column("kind").to_pylist()) == {"order"}
