"""Behavioural clusters: KMeans on scaled, log-transformed buying habits, each cluster named
and described in words from how its typical member differs from the typical customer.

>>> rng = np.random.default_rng(0)
>>> feats = {"recency_days": np.r_[rng.uniform(1, 20, 50), rng.uniform(300, 400, 50)],
...     "orders": np.r_[rng.uniform(8, 12, 50), rng.uniform(1, 2, 50)],
...     "monetary_mean": rng.uniform(40, 60, 100), "tenure_days": rng.uniform(400, 500, 100),
...     "mean_gap_days": np.full(100, np.nan)}
>>> model = BehaviourClusters(n_clusters=2).fit(feats)
>>> sorted(model.names_)
['Long-gone, one-off buyers', 'Recent, frequent buyers']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from devotion.lib.money import format_money

# Feature -> (word when high, word when low), for names; and what it is, for descriptions.
HABITS: dict[str, tuple[str, str, str]] = {
    "recency_days": ("long-gone", "recent", "days since the last order"),
    "orders": ("frequent", "one-off", "orders"),
    "monetary_mean": ("big-basket", "small-basket", "average order"),
    "tenure_days": ("long-standing", "new", "days as a customer"),
}
SAMPLE = 50_000  # people KMeans learns from; everyone is then assigned to the nearest centre


def _matrix(features: Mapping[str, np.ndarray]) -> np.ndarray:
    cols = [
        np.log1p(np.clip(np.nan_to_num(np.asarray(features[k], float)), 0, None)) for k in HABITS
    ]
    return np.column_stack(cols)


class BehaviourClusters:
    """KMeans over :data:`HABITS`. Learned: ``names_`` and ``descriptions_`` per cluster.

    ``currency`` and ``locale``: how the descriptions write an average order (the amounts
    are in the business's reporting currency); no currency writes a plain number.
    """

    def __init__(
        self, n_clusters: int = 5, random_state: int = 0, currency: str = "", locale: str = "en"
    ) -> None:
        self.n_clusters = n_clusters
        self.random_state = random_state
        self.currency = currency
        self.locale = locale

    def _money(self, amount: float) -> str:
        if not self.currency or not np.isfinite(amount):
            return f"{amount:,.2f}"
        return format_money(round(amount, 2), self.currency, self.locale)

    def fit(self, features: Mapping[str, np.ndarray]) -> BehaviourClusters:
        X = _matrix(features)
        if len(X) < self.n_clusters * 5:
            raise ValueError(f"clusters need at least {self.n_clusters * 5} customers")
        rng = np.random.default_rng(self.random_state)
        sample = X if len(X) <= SAMPLE else X[rng.choice(len(X), SAMPLE, replace=False)]
        self.scaler_ = StandardScaler().fit(sample)
        self.kmeans_ = KMeans(self.n_clusters, n_init=4, random_state=self.random_state)
        self.kmeans_.fit(self.scaler_.transform(sample))
        labels = self.kmeans_.labels_
        raw = {k: np.asarray(features[k], float) for k in HABITS}
        if len(X) > SAMPLE:
            labels = self.predict(features)
        overall = {k: float(np.nanmedian(v)) for k, v in raw.items()}
        self.names_: list[str] = []
        self.descriptions_: list[str] = []
        centres = self.kmeans_.cluster_centers_
        for c in range(self.n_clusters):
            members = labels == c
            typical = {
                k: float(np.nanmedian(v[members])) if members.any() else 0.0 for k, v in raw.items()
            }
            # The two habits that set the cluster apart most (in standard deviations).
            strongest = np.argsort(-np.abs(centres[c]))[:2]
            words = []
            for j in sorted(strongest):
                key = list(HABITS)[j]
                high, low, _ = HABITS[key]
                words.append(high if centres[c][j] > 0 else low)
            name = f"{', '.join(words).capitalize()} buyers"
            if name in self.names_:
                name = f"{name} ({c + 1})"
            self.names_.append(name)
            t, o = typical, overall
            self.descriptions_.append(
                f"Typically last ordered {t['recency_days']:,.0f} days ago "
                f"(all customers: {o['recency_days']:,.0f}), {t['orders']:,.0f} orders "
                f"({o['orders']:,.0f}), {self._money(t['monetary_mean'])} an order "
                f"({self._money(o['monetary_mean'])}), a customer for {t['tenure_days']:,.0f} days "
                f"({o['tenure_days']:,.0f})."
            )
        return self

    def predict(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.kmeans_.predict(self.scaler_.transform(_matrix(features))))
