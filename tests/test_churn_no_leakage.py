"""The churn model never learns from the future: features before the cutoff, labels after it,
and nothing after the scoring day read at all."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from devotion.analytics import pipeline
from devotion.analytics.churn import TooLittleHistory, labelled_set, train_churn
from devotion.analytics.demo_data import toy_events
from devotion.analytics.features import build_features, collect

AS_OF = 800.0


@pytest.fixture(scope="module")
def events() -> pa.Table:
    return toy_events(300, random_state=4)


def _with_future(events: pa.Table) -> pa.Table:
    """The same history plus a wild future: everyone orders big every day after AS_OF, and
    complains."""
    people = sorted(set(events.column("person_id").to_pylist()))
    rows = []
    for pid in people:
        for d in range(5):
            rows.append((pid, "order", "", AS_OF + d + 0.5, 5000.0, None, ""))
        rows.append((pid, "review", "in", AS_OF + 1.0, None, 1.0, ""))
    future = pa.table(
        dict(zip(events.column_names, map(list, zip(*rows, strict=True)), strict=True)),
        schema=events.schema,
    )
    return pa.concat_tables([events, future])


def test_features_as_of_a_day_ignore_everything_after_it(events):
    plain = collect(build_features(events, AS_OF))
    flooded = collect(build_features(_with_future(events), AS_OF))
    for name in plain:
        np.testing.assert_array_equal(plain[name], flooded[name])


def test_the_trained_model_and_its_scores_are_the_same_whatever_came_later(events):
    model, report = train_churn(events, AS_OF)
    model2, report2 = train_churn(_with_future(events), AS_OF)
    np.testing.assert_array_equal(model.model_.coef_, model2.model_.coef_)
    assert report.roc_auc == report2.roc_auc and report.trained_on == report2.trained_on
    models = pipeline.train(events, AS_OF)
    a = pipeline.score(events, AS_OF, models)
    b = pipeline.score(_with_future(events), AS_OF, models)
    np.testing.assert_array_equal(a.churn_probability, b.churn_probability)
    np.testing.assert_array_equal(a.health_score, b.health_score)


def test_labels_come_only_from_the_window_after_the_cutoff(events):
    cutoff, horizon = 700.0, 90.0
    X, y, names, people = labelled_set(events, cutoff, horizon)
    days = events.column("day").to_numpy()
    kinds = np.array(events.column("kind").to_pylist())
    pids = events.column("person_id").to_numpy()
    window = (kinds == "order") & (days >= cutoff) & (days < cutoff + horizon)
    bought = set(pids[window].tolist())
    assert y.tolist() == [0 if p in bought else 1 for p in people.tolist()]
    # Features: the recency of the labelled is measured from the cutoff, not later.
    recency = np.expm1(X[:, names.index("recency_days")])
    assert (recency > 0).all()


def test_a_model_trains_only_with_enough_people_who_left_and_stayed():
    tiny = toy_events(8, random_state=1)
    with pytest.raises(TooLittleHistory, match="too little history"):
        train_churn(tiny, AS_OF)
    models = pipeline.train(tiny, AS_OF)
    assert models.churn is None and any("No churn model" in n for n in models.notes)
    scores = pipeline.score(tiny, AS_OF, models)
    assert np.isnan(scores.churn_probability).all()


def test_nobody_at_all_is_scored_without_crashing():
    empty = toy_events(0)
    models = pipeline.train(empty, AS_OF)
    scores = pipeline.score(empty, AS_OF, models)
    assert len(scores.person_id) == 0 and "Nobody has ordered yet" in " ".join(scores.notes)


def test_past_the_sample_size_the_models_learn_from_a_random_sample_and_score_everyone(
    monkeypatch,
):
    """A million customers train as well from 200,000 of them: the models learn rates and
    shapes, not who is who. Everyone is still scored, and the run says it sampled."""
    from devotion.analytics import pipeline
    from devotion.analytics.demo_data import toy_events

    events = toy_events(400, random_state=5)
    monkeypatch.setattr(pipeline, "TRAIN_SAMPLE", 250)
    models = pipeline.train(events, as_of=800.0)
    assert any("random sample of 250 of 400 people" in note for note in models.notes)
    assert models.churn is not None and models.bgnbd is not None
    assert models.customers <= 250
    scores = pipeline.score(events, 800.0, models)
    everyone = len(set(events.column("person_id").to_pylist()))
    assert len(scores.person_id) == everyone
    assert not np.isnan(scores.churn_probability[scores.is_customer]).any()
