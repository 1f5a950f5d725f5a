"""The scoring pipeline, start to end, with no Django: train (a separate step, saved as a
versioned file by the caller), then score everyone as of a day.

>>> from devotion.analytics.demo_data import toy_events
>>> events = toy_events(300, random_state=3)
>>> models = train(events, as_of=800.0)
>>> result = score(events, 800.0, models)
>>> sorted(set(result.rfm_segment) - {""}) <= sorted(rfm.SEGMENTS)
True
>>> bool(np.nanmax(result.health_score) <= 100), models.churn is not None
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from devotion.analytics import health, rfm
from devotion.analytics.churn import (
    ChurnModel,
    ChurnReport,
    ReasonColumn,
    TooLittleHistory,
    design_matrix,
    train_churn,
)
from devotion.analytics.clusters import BehaviourClusters
from devotion.analytics.clv import BetaGeoModel, GammaGammaModel, lifetime_value
from devotion.analytics.features import build_features, collect
from devotion.analytics.stages import move_stages

MODEL_FORMAT = 1  # bump when a saved Models from older code can no longer be read
WEEK = 7.0
# Training learns rates and shapes (how often people buy, what comes before leaving), not who
# is who: past this many people, every model learns from a random sample of them (all of each
# one's events), as well and in a fraction of the time; everyone is still scored.
TRAIN_SAMPLE = 200_000


def sample_people(events: Any, limit: int, *, seed: int = 0) -> tuple[Any, int]:
    """Every event of at most ``limit`` people drawn at random (the same draw for the same
    people and seed), and how many people there were. A table that is not Arrow (a Spark
    frame) comes back whole.

    >>> import pyarrow as pa
    >>> table = pa.table({"person_id": [1, 1, 2, 3, 3, 3], "day": [1.0, 2, 3, 4, 5, 6]})
    >>> part, people = sample_people(table, 2)
    >>> people, len(set(part.column("person_id").to_pylist())), part.num_rows in (3, 4, 5)
    (3, 2, True)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(events, pa.Table):
        return events, 0
    people = pc.unique(events.column("person_id"))
    if len(people) <= limit:
        return events, len(people)
    chosen = np.random.default_rng(seed).choice(
        np.sort(people.to_numpy(zero_copy_only=False)), limit, replace=False
    )
    keep = pc.is_in(events.column("person_id"), value_set=pa.array(chosen))
    return events.filter(keep), len(people)


@dataclass
class Models:
    """Everything training learns, saved together as one versioned file."""

    trained_as_of: float
    horizon_days: float
    typical_gap: float
    typical_orders: float
    customers: int
    churn: ChurnModel | None = None
    churn_report: ChurnReport | None = None
    bgnbd: BetaGeoModel | None = None
    gamma_gamma: GammaGammaModel | None = None
    clusters: BehaviourClusters | None = None
    notes: list[str] = field(default_factory=list)
    format: int = MODEL_FORMAT


@dataclass(frozen=True, slots=True)
class FactorColumn:
    """One scorecard factor for everyone: points of ``max``, the fact behind it (NaN when
    unknown) and the fraction earned; NaN points for people not scored."""

    key: str
    max: float
    points: np.ndarray
    value: np.ndarray
    fraction: np.ndarray


@dataclass
class Scores:
    """One entry per person seen before the scoring day (in ``person_id`` order); the score
    fields are NaN / "" for people with no order yet (prospects). Factors and reasons are
    columns too (one array per factor, per reason rank): :meth:`factors_of` and
    :meth:`reasons_of` give one person's as the dicts the snapshots keep."""

    person_id: np.ndarray
    is_customer: np.ndarray
    health_score: np.ndarray
    health_factors: list[FactorColumn]
    churn_probability: np.ndarray
    churn_reasons: list[ReasonColumn]
    expected_purchases_90d: np.ndarray
    expected_purchases_365d: np.ndarray
    lifetime_value: np.ndarray
    rfm_r: np.ndarray
    rfm_f: np.ndarray
    rfm_m: np.ndarray
    rfm_segment: np.ndarray  # of str
    cluster: np.ndarray  # of str
    cluster_description: np.ndarray  # of str
    features: dict[str, np.ndarray]
    notes: list[str]

    def factors_of(self, i: int) -> list[dict[str, Any]] | None:
        """Person ``i``'s scorecard lines, or None when they were not scored."""
        if not self.is_customer[i]:
            return None
        return [
            {
                "key": c.key,
                "points": float(c.points[i]),
                # A factor out of play for this person (no fraction: no analysed message for
                # the feeling) has no weight: not shown, and the points add up to the score.
                "max": 0.0 if np.isnan(c.fraction[i]) else c.max,
                "value": None if np.isnan(c.value[i]) else float(c.value[i]),
                "fraction": 0.0 if np.isnan(c.fraction[i]) else float(c.fraction[i]),
            }
            for c in self.health_factors
        ]

    def reasons_of(self, i: int) -> list[dict[str, Any]] | None:
        """Person ``i``'s top reasons to leave, strongest first (None without a churn model)."""
        if not self.is_customer[i] or not self.churn_reasons:
            return None
        return [
            {"feature": r.feature[i], "text": r.text[i], "weight": float(r.weight[i])}
            for r in self.churn_reasons
            if r.feature[i]
        ]


def _bgnbd_inputs(f: Mapping[str, np.ndarray], as_of: float) -> tuple[np.ndarray, ...]:
    x = np.maximum(f["order_days"] - 1, 0)
    t_x = (f["last_order_day"] - f["first_order_day"]) / WEEK
    T = (as_of - f["first_order_day"]) / WEEK
    return x, np.nan_to_num(t_x), np.nan_to_num(T)


def train(
    events: Any,
    as_of: float,
    *,
    horizon_days: float = 90.0,
    n_clusters: int = 5,
    currency: str = "",
    locale: str = "en",
) -> Models:
    """Learn every model from events before ``as_of``. Parts with too little history are
    left out, and ``notes`` says which and why; nothing raises for a small business.
    ``currency`` and ``locale`` write amounts in the cluster descriptions. More than
    :data:`TRAIN_SAMPLE` people: the models learn from a random sample of them."""
    events, people = sample_people(events, TRAIN_SAMPLE)
    feats = collect(build_features(events, as_of))
    buyers = feats["orders"] > 0
    f = {k: v[buyers] for k, v in feats.items()}
    gaps = f["mean_gap_days"][~np.isnan(f["mean_gap_days"])]
    yearly = f["orders_365"][f["orders_365"] > 0]
    models = Models(
        trained_as_of=as_of,
        horizon_days=horizon_days,
        typical_gap=float(np.median(gaps)) if len(gaps) else 90.0,
        typical_orders=float(np.median(yearly)) if len(yearly) else 1.0,
        customers=int(buyers.sum()),
    )
    if people > TRAIN_SAMPLE:
        models.notes.append(
            f"Trained on a random sample of {TRAIN_SAMPLE:,} of {people:,} people "
            "(every model learns as well from them; everyone is scored)."
        )
    # Churn, by time split.
    try:
        models.churn, models.churn_report = train_churn(events, as_of, horizon_days)
        if models.churn_report.roc_auc is None:
            models.notes.append("No churn backtest: too little history before the training window.")
    except TooLittleHistory as exc:
        models.notes.append(f"No churn model: {exc}.")
    # Expected purchases and value.
    try:
        models.bgnbd = BetaGeoModel().fit(*_bgnbd_inputs(f, as_of))
        models.gamma_gamma = GammaGammaModel().fit(f["orders"], f["monetary_mean"])
    except ValueError as exc:
        models.bgnbd = models.gamma_gamma = None
        models.notes.append(f"No expected purchases or lifetime value: {exc}.")
    # Behavioural clusters.
    try:
        models.clusters = BehaviourClusters(
            n_clusters=n_clusters, currency=currency, locale=locale
        ).fit(f)
    except ValueError as exc:
        models.notes.append(f"No behavioural clusters: {exc}.")
    return models


def _lookup(found: tuple[np.ndarray, np.ndarray] | None, ids: np.ndarray) -> np.ndarray:
    """``found``'s value for each of ``ids`` (sorted unique keys, values), NaN where absent.

    >>> _lookup((np.array([2, 5]), np.array([0.5, -1.0])), np.array([5, 3, 2])).tolist()
    [-1.0, nan, 0.5]
    """
    out = np.full(len(ids), np.nan)
    if found is None or not len(found[0]):
        return out
    keys, values = found
    pos = np.clip(np.searchsorted(keys, ids), 0, len(keys) - 1)
    hit = keys[pos] == ids
    out[hit] = values[pos[hit]]
    return out


def score(
    events: Any,
    as_of: float,
    models: Models,
    *,
    weights: Mapping[str, float] | None = None,
    feelings: tuple[np.ndarray, np.ndarray] | None = None,
) -> Scores:
    """Score everyone seen before ``as_of`` with trained ``models``. ``feelings`` is
    (sorted person ids, feeling) from :func:`devotion.analytics.health.feeling_by_person`:
    the health scorecard's feeling factor, out of play for people not in it."""
    feats = collect(build_features(events, as_of))
    n = len(feats["person_id"])
    buyers = feats["orders"] > 0
    f = {k: v[buyers] for k, v in feats.items()}
    f["feeling"] = _lookup(feelings, f["person_id"])
    idx = np.flatnonzero(buyers)
    notes = list(models.notes)
    if not buyers.any():
        notes.append("Nobody has ordered yet: there is nothing to score.")

    def spread(values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        out = np.full(n, fill, dtype=float)
        out[idx] = values
        return out

    def spread_list(values: Sequence[Any] | np.ndarray, fill: Any) -> np.ndarray:
        out = np.full(n, fill, dtype=object)
        out[idx] = np.asarray(values, dtype=object)
        return out

    # 1. Health: the scorecard.
    card = health.scorecard(
        f, typical_gap=models.typical_gap, typical_orders=models.typical_orders, weights=weights
    )
    gap = np.where(np.isnan(f["mean_gap_days"]), models.typical_gap, f["mean_gap_days"])
    facts = {
        "recency": f["recency_days"] / np.maximum(gap, 1.0),
        "frequency": f["orders_365"],
        "spend_trend": f["spend_recent"] + f["spend_prior"],
        "open_problems": f["complaints_90"],
        "unanswered": f["unanswered"],
        "survey": np.where(np.isnan(f["last_nps"]), f["last_csat"], f["last_nps"]),
        "feeling": f["feeling"],
    }
    # A factor out of play for a person (no fraction) is stored with no weight: it is not
    # shown, and the points shown add up to their score.
    factors = [
        FactorColumn(
            fac.key,
            fac.weight,
            spread(np.round(fac.points, 1)),
            spread(np.round(facts[fac.key], 2)),
            spread(np.round(fac.fraction, 3)),
        )
        for fac in card.factors
    ]
    # 2. Churn probability and reasons.
    if models.churn is not None and len(idx):
        X, _ = design_matrix(f)
        churn = models.churn.predict_proba(X)
        reasons = [
            ReasonColumn(spread_list(r.feature, ""), spread_list(r.text, ""), spread(r.weight))
            for r in models.churn.reason_columns(X)
        ]
    else:
        churn, reasons = np.full(len(idx), np.nan), []
    # 3. Expected purchases and lifetime value.
    if models.bgnbd is not None and models.gamma_gamma is not None and len(idx):
        x, t_x, T = _bgnbd_inputs(f, as_of)
        p90 = models.bgnbd.expected_purchases(90 / WEEK, x, t_x, T)
        p365 = models.bgnbd.expected_purchases(365 / WEEK, x, t_x, T)
        value = models.gamma_gamma.expected_value(f["orders"], f["monetary_mean"])
        ltv = lifetime_value(models.bgnbd, value, x, t_x, T)
    else:
        p90 = p365 = ltv = np.full(len(idx), np.nan)
    # 4. RFM and clusters.
    r, fr, m = rfm.rfm_scores(f["recency_days"], f["orders"], f["monetary_total"])
    if models.clusters is not None and len(idx):
        which = models.clusters.predict(f)
        names = np.asarray(models.clusters.names_, dtype=object)[which]
        descriptions = np.asarray(models.clusters.descriptions_, dtype=object)[which]
    else:
        names = descriptions = [""] * len(idx)
    return Scores(
        person_id=feats["person_id"],
        is_customer=buyers,
        health_score=spread(card.score),
        health_factors=factors,
        churn_probability=spread(np.round(churn, 4)),
        churn_reasons=reasons,
        expected_purchases_90d=spread(np.round(p90, 3)),
        expected_purchases_365d=spread(np.round(p365, 3)),
        lifetime_value=spread(np.round(ltv, 2)),
        rfm_r=spread(r, 0).astype(int),
        rfm_f=spread(fr, 0).astype(int),
        rfm_m=spread(m, 0).astype(int),
        rfm_segment=spread_list(rfm.segments(r, fr, m), ""),
        cluster=spread_list(names, ""),
        cluster_description=spread_list(descriptions, ""),
        features=feats,
        notes=notes,
    )


def stages(
    scores: Scores, models: Models, current: Sequence[str], rows: np.ndarray | None = None
) -> list[str]:
    """The journey stage of each scored person under :mod:`devotion.analytics.stages`: of the
    people at positions ``rows`` (default: everyone), whose stages now are ``current``."""
    at = slice(None) if rows is None else rows
    f = scores.features
    return move_stages(
        f["recency_days"][at],
        f["mean_gap_days"][at],
        f["last_gap_days"][at],
        f["orders"][at],
        scores.churn_probability[at],
        typical_gap=models.typical_gap,
        current=current,
    )
