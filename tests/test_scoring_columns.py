"""Scoring works on columns (factors and reasons for everyone at once, snapshot JSON built
by DuckDB): what it writes is what the one-person-at-a-time rules say."""

from __future__ import annotations

import numpy as np
import pytest

from devotion.analytics import pipeline
from devotion.analytics.churn import REASONS, ChurnModel
from devotion.retention.models import HealthWeights, ScoreSnapshot
from devotion.retention.scoring import (
    cutoff_of,
    day_number,
    read_events,
    run_scoring,
    usable_models,
)
from tests.scoring_helpers import as_of_day, store_business

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path
    return tmp_path


def test_each_snapshot_keeps_that_persons_factors_and_reasons():
    store_business(200)
    outcome = run_scoring(as_of_day(800))
    cutoff = cutoff_of(as_of_day(800))
    _, models = usable_models(cutoff)
    scores = pipeline.score(
        read_events(cutoff), day_number(cutoff), models, weights=HealthWeights.current()
    )
    where = {int(p): i for i, p in enumerate(scores.person_id)}
    snapshots = ScoreSnapshot.objects.filter(run=outcome.run)
    assert snapshots.count() == outcome.run.customers > 0
    with_reasons = 0
    for snap in snapshots:
        i = where[snap.person_id]
        assert snap.health_factors == scores.factors_of(i)
        assert snap.churn_reasons == scores.reasons_of(i)
        with_reasons += bool(snap.churn_reasons)
    assert with_reasons > 0


def _reasons_one_by_one(model: ChurnModel, X: np.ndarray, top: int = 3) -> list[list[dict]]:
    """The rule a person at a time: the strongest pushes toward leaving (over 0.05 on the
    log-odds) that read as a reason in their direction, in words: the reference."""
    contrib = model.contributions(X)
    z = model.scaler_.transform(X)
    out = []
    for i in range(len(X)):
        items: list[dict] = []
        for j in sorted(range(X.shape[1]), key=lambda j: -contrib[i, j]):
            high, low = REASONS[model.feature_names_[j]]
            text = high if z[i, j] > 0 else low
            if contrib[i, j] <= 0.05 or len(items) == top:
                break
            if text is None:
                continue
            name = model.feature_names_[j]
            items.append({"feature": name, "text": text, "weight": round(float(contrib[i, j]), 3)})
        out.append(items)
    return out


def test_reasons_worked_out_for_everyone_at_once_follow_the_one_person_rule():
    rng = np.random.default_rng(5)
    names = list(REASONS)
    X = rng.normal(size=(400, len(names)))
    y = (X[:, 0] + X[:, 1] - X[:, 14] + rng.normal(size=400) > 0).astype(int)
    model = ChurnModel().fit(X, y, names)
    columns = model.reason_columns(X)
    together = [
        [
            {"feature": c.feature[i], "text": c.text[i], "weight": float(c.weight[i])}
            for c in columns
            if c.feature[i]
        ]
        for i in range(len(X))
    ]
    assert together == _reasons_one_by_one(model, X)
    assert any(len(r) == 3 for r in together) and any(len(r) < 3 for r in together)
