"""Churn: who will not buy again soon, learned from the business's own history, with each
person's top reasons in plain words.

Trained by a time split, never on the future: features are computed as of a cutoff from
events before it, and the label is whether the person placed no order in the ``horizon`` days
after it. To score as of a day, the model trains with its cutoff ``horizon`` days before that
day (so its labels end where scoring starts), and is checked first by a backtest one horizon
earlier still: trained on the window before, evaluated on the window after (ROC-AUC, PR-AUC,
calibration).

The model is a logistic regression on scaled, log-transformed features: a little less
flexible than boosted trees, but each person's reasons are exact (each feature's contribution
to the log-odds, against the average customer) rather than approximated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

from devotion.analytics.features import ORDER, as_lazy, build_features, collect

MIN_PEOPLE = 30  # labelled customers needed to train
MIN_CLASS = 5  # and at least this many who churned, and who stayed

# Model inputs (from devotion.analytics.features), with how a reason reads when the
# feature is high / low for that person and pushes them toward leaving. None where that
# direction cannot be a reason to leave in a reader's eyes ("many orders so far"): with
# correlated inputs a linear model may still give it weight (many orders in all, few this
# year), and the reason shown is then the next one that reads as a reason.
REASONS: dict[str, tuple[str | None, str | None]] = {
    "recency_days": ("a long time since their last order", None),
    "overdue": ("later than usual for their next order", None),
    "orders": (None, "few orders so far"),
    "monetary_total": (None, "spent little in total"),
    "monetary_mean": (None, "small orders"),
    "tenure_days": (None, "a fairly new customer"),
    "mean_gap_days": ("long gaps between orders", None),
    "orders_365": (None, "few orders in the last year"),
    "spend_recent": (None, "spending less in the last 6 months"),
    "spend_prior": ("spent more in the 6 months before", None),
    "messages_90": ("many messages to us lately", "not in touch with us lately"),
    "complaints_90": ("complained recently", None),
    "unanswered": ("messages still waiting for our reply", None),
    "nps": (None, "a low NPS answer"),
    "csat": (None, "a low satisfaction (CSAT) answer"),
    "no_survey": (None, None),
}
LOGGED = {
    "recency_days",
    "orders",
    "monetary_total",
    "monetary_mean",
    "tenure_days",
    "mean_gap_days",
    "orders_365",
    "spend_recent",
    "spend_prior",
    "messages_90",
    "complaints_90",
    "unanswered",
    "overdue",
}


@dataclass(frozen=True, slots=True)
class ReasonColumn:
    """The reason of one rank (1st, 2nd, 3rd) for everyone: the feature ("" for none), its
    words and its push on the log-odds (NaN for none)."""

    feature: np.ndarray
    text: np.ndarray
    weight: np.ndarray


class TooLittleHistory(ValueError):
    """Not enough customers, or not enough who left and who stayed, to learn from."""


def design_matrix(features: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """The model's inputs from feature arrays: logs of counts, days and money, the overdue
    ratio (days since the last order over the usual gap), survey answers with an "answered no
    survey" flag; no NaN left.

    >>> X, names = design_matrix({k: np.array([1.0]) for k in ("recency_days", "orders",
    ...     "monetary_total", "monetary_mean", "tenure_days", "mean_gap_days", "orders_365",
    ...     "spend_recent", "spend_prior", "messages_90", "complaints_90", "unanswered",
    ...     "last_nps", "last_csat", "age_days")})
    >>> X.shape, names[0], bool(np.isfinite(X).all())
    ((1, 16), 'recency_days', True)
    """
    f = {k: np.asarray(v, dtype=float) for k, v in features.items()}
    gap = np.where(np.isnan(f["mean_gap_days"]), f["age_days"], f["mean_gap_days"])
    cols: dict[str, np.ndarray] = {
        "recency_days": f["recency_days"],
        "overdue": f["recency_days"] / np.maximum(np.nan_to_num(gap, nan=1.0), 1.0),
        "orders": f["orders"],
        "monetary_total": f["monetary_total"],
        "monetary_mean": f["monetary_mean"],
        "tenure_days": f["tenure_days"],
        "mean_gap_days": gap,
        "orders_365": f["orders_365"],
        "spend_recent": f["spend_recent"],
        "spend_prior": f["spend_prior"],
        "messages_90": f["messages_90"],
        "complaints_90": f["complaints_90"],
        "unanswered": f["unanswered"],
        "nps": np.nan_to_num(f["last_nps"], nan=7.0) / 10,
        "csat": np.nan_to_num(f["last_csat"], nan=4.0) / 5,
        "no_survey": (np.isnan(f["last_nps"]) & np.isnan(f["last_csat"])).astype(float),
    }
    for name in LOGGED:
        cols[name] = np.log1p(np.clip(np.nan_to_num(cols[name], nan=0.0), 0, None))
    names = list(cols)
    return np.column_stack([cols[n] for n in names]), names


class ChurnModel:
    """Logistic regression on standardised inputs; ``C`` is the inverse regularisation.

    Learned: ``scaler_``, ``model_``, ``feature_names_``.
    """

    def __init__(self, C: float = 1.0, random_state: int | None = 0) -> None:
        self.C = C
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, feature_names: list[str]) -> ChurnModel:
        self.feature_names_ = list(feature_names)
        self.scaler_ = StandardScaler().fit(X)
        self.model_ = LogisticRegression(C=self.C, max_iter=1000, random_state=self.random_state)
        self.model_.fit(self.scaler_.transform(X), y)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of churn (class 1) for each row."""
        return np.asarray(self.model_.predict_proba(self.scaler_.transform(X))[:, 1])

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Each feature's push on each person's log-odds of leaving, against the average
        customer the model was trained on (positive: toward leaving)."""
        return np.asarray(self.scaler_.transform(X) * self.model_.coef_[0])

    def reason_columns(self, X: np.ndarray, top: int = 3) -> list[ReasonColumn]:
        """Everyone's top reasons to leave as ``top`` columns, strongest first: the features
        pushing hardest toward it (by more than 0.05 on the log-odds), in words; "" and NaN
        where a person has fewer. Worked out for all rows at once (no loop per person)."""
        contrib = self.contributions(X)
        z = self.scaler_.transform(X)
        # Only pushes that read as a reason in their direction (REASONS) may be listed.
        names = np.asarray(self.feature_names_, dtype=object)
        high = np.asarray([REASONS[n][0] for n in names], dtype=object)
        low = np.asarray([REASONS[n][1] for n in names], dtype=object)
        has_high = np.array([t is not None for t in high])
        has_low = np.array([t is not None for t in low])
        readable = np.where(z > 0, has_high, has_low)
        listable = readable & (contrib > 0.05)
        ranked = np.where(listable, contrib, -np.inf)
        order = np.argsort(-ranked, axis=1, kind="stable")[:, :top]
        rows = np.arange(len(X))[:, None]
        weight = contrib[rows, order]
        text = np.where(z[rows, order] > 0, high[order], low[order])
        shown = listable[rows, order]
        return [
            ReasonColumn(
                feature=np.where(shown[:, k], names[order[:, k]], ""),
                text=np.where(shown[:, k], text[:, k], ""),
                weight=np.where(shown[:, k], np.round(weight[:, k], 3), np.nan),
            )
            for k in range(order.shape[1])
        ]


@dataclass
class ChurnReport:
    """How the model did in its backtest, and what it was trained on."""

    trained_on: int
    churn_rate: float
    backtest_people: int = 0
    roc_auc: float | None = None
    pr_auc: float | None = None
    calibration: list[dict[str, float]] = field(default_factory=list)
    cutoff: float = 0.0
    horizon_days: float = 0.0


def buyers_between(events: Any, start: float, end: float) -> set[int]:
    """Ids of people with an order on a day in ``[start, end)``."""
    rows = (
        as_lazy(events)
        .filter((nw.col("kind") == ORDER) & (nw.col("day") >= start) & (nw.col("day") < end))
        .select("person_id")
        .unique()
        .collect(backend="pyarrow")
        .to_arrow()
    )
    return set(rows.column("person_id").to_pylist())


def labelled_set(
    events: Any, cutoff: float, horizon: float
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Inputs as of ``cutoff`` for everyone who had ordered by then, and whether they then
    placed no order in the following ``horizon`` days (1: churned). Returns
    ``(X, y, names, person_ids)``."""
    feats = collect(build_features(events, cutoff))
    customers = feats["orders"] > 0
    feats = {k: v[customers] for k, v in feats.items()}
    bought = buyers_between(events, cutoff, cutoff + horizon)
    y = np.array([0 if int(p) in bought else 1 for p in feats["person_id"]], dtype=int)
    X, names = design_matrix(feats)
    return X, y, names, feats["person_id"]


def _check(y: np.ndarray, when: str) -> None:
    if len(y) < MIN_PEOPLE or min(int(y.sum()), int(len(y) - y.sum())) < MIN_CLASS:
        raise TooLittleHistory(
            f"too little history to learn churn {when}: {len(y)} customers had ordered, "
            f"{int(y.sum())} of them then left; at least {MIN_PEOPLE} customers with "
            f"{MIN_CLASS} who left and {MIN_CLASS} who stayed are needed"
        )


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Predicted against observed churn in ``bins`` equal-width bins of the prediction.

    >>> bins = calibration_bins(np.array([0, 1, 1]), np.array([0.1, 0.9, 0.8]), bins=2)
    >>> [(b["predicted"], b["observed"], b["count"]) for b in bins]
    [(0.1, 0.0, 1), (0.85, 1.0, 2)]
    """
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append(
                {
                    "predicted": round(float(p[mask].mean()), 4),
                    "observed": round(float(y[mask].mean()), 4),
                    "count": int(mask.sum()),
                }
            )
    return out


def train_churn(
    events: Any, as_of: float, horizon: float = 90.0, *, C: float = 1.0
) -> tuple[ChurnModel, ChurnReport]:
    """Backtest, then train the model used to score as of ``as_of``. Only events before
    ``as_of`` are read: labels end at ``as_of``. Raises :class:`TooLittleHistory`."""
    # 1. The backtest: learn from the window two horizons back, judge on the next one.
    cutoff = as_of - horizon
    X, y, names, _ = labelled_set(events, cutoff, horizon)
    _check(y, f"as of {horizon:g} days before the scoring date")
    report = ChurnReport(
        trained_on=len(y), churn_rate=float(y.mean()), cutoff=cutoff, horizon_days=horizon
    )
    try:
        Xb, yb, _, _ = labelled_set(events, cutoff - horizon, horizon)
        _check(yb, "for the backtest")
    except TooLittleHistory:
        pass  # the report says no backtest ran
    else:
        early = ChurnModel(C=C).fit(Xb, yb, names)
        p = early.predict_proba(X)
        report.backtest_people = len(y)
        report.roc_auc = round(float(roc_auc_score(y, p)), 4)
        report.pr_auc = round(float(average_precision_score(y, p)), 4)
        report.calibration = calibration_bins(y, p)
    # 2. The model that scores: trained on the latest labels there are.
    return ChurnModel(C=C).fit(X, y, names), report
