"""A churn reason must read as a reason to leave: the model may give weight to "many orders
so far" (correlated inputs: many orders in all, few this year), but the page never says a
customer is at risk because they ordered a lot or answered a survey happily."""

from __future__ import annotations

import numpy as np

from devotion.analytics.churn import ChurnModel


def _model_that_weighs_orders_toward_leaving() -> tuple[ChurnModel, list[str]]:
    rng = np.random.default_rng(0)
    names = ["orders", "recency_days", "csat"]
    n = 400
    orders = rng.normal(2, 1, n)
    recency = rng.normal(3, 1, n)
    csat = rng.normal(0.8, 0.1, n)
    # In this history customers with more orders left more often.
    logit = 1.5 * (orders - 2) + 1.0 * (recency - 3) - 3 * (csat - 0.8)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = ChurnModel().fit(np.column_stack([orders, recency, csat]), y, names)
    assert model.model_.coef_[0][0] > 0  # the model does weigh "many orders" toward leaving
    return model, names


def _reasons(model: ChurnModel, X: np.ndarray, top: int = 3) -> list[list[dict]]:
    columns = model.reason_columns(X, top=top)
    return [
        [{"feature": c.feature[i], "text": c.text[i]} for c in columns if c.feature[i]]
        for i in range(len(X))
    ]


def test_a_push_that_reads_as_nonsense_is_never_a_reason():
    model, _ = _model_that_weighs_orders_toward_leaving()
    # Many orders (the strongest push), long silent, a low CSAT.
    reasons = _reasons(model, np.array([[6.0, 5.0, 0.5]]))[0]
    texts = [r["text"] for r in reasons]
    assert "many orders so far" not in " ".join(texts)
    assert texts == ["a long time since their last order", "a low satisfaction (CSAT) answer"]


def test_the_listed_reasons_are_the_strongest_readable_pushes_in_order():
    model, _ = _model_that_weighs_orders_toward_leaving()
    reasons = _reasons(model, np.array([[0.0, 6.0, 0.2]]), top=1)[0]
    weights = model.contributions(np.array([[0.0, 6.0, 0.2]]))[0]
    strongest = max((1, 2), key=lambda j: weights[j])
    assert reasons[0]["feature"] == ["orders", "recency_days", "csat"][strongest]
