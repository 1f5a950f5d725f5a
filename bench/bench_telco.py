"""The churn model on the real Telco churn data, by its SOURCE.md protocol: the 19 raw
columns, categoricals one-hot, numbers standardised, blank TotalCharges = 0; ROC-AUC under
5x5 repeated stratified cross-validation (seed 0), no resampling.

Our ChurnModel (devotion/analytics/churn.py: logistic regression on standardised inputs) is
run beside scikit-learn's HistGradientBoosting, same folds, same run. Telco has no dates, so
this measures the model, not the time split (see tests/test_churn_no_leakage.py for that).

    uv run python bench/bench_telco.py [--data ../shared/data/telco-customer-churn]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold

from devotion.analytics.churn import ChurnModel

NUMERIC = ("tenure", "MonthlyCharges", "TotalCharges", "SeniorCitizen")


def load(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    with path.open() as f:
        rows = list(csv.DictReader(f))
    categorical = [c for c in rows[0] if c not in (*NUMERIC, "customerID", "Churn")]
    columns: list[np.ndarray] = []
    names: list[str] = []
    for name in NUMERIC:
        columns.append(np.array([float(r[name].strip() or 0) for r in rows]))
        names.append(name)
    for name in categorical:
        values = sorted({r[name] for r in rows})
        for value in values[1:]:  # one level dropped: no perfectly collinear columns
            columns.append(np.array([float(r[name] == value) for r in rows]))
            names.append(f"{name}={value}")
    y = np.array([int(r["Churn"] == "Yes") for r in rows])
    return np.column_stack(columns), y, names


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "telco-customer-churn"
    parser.add_argument("--data", type=Path, default=default)
    X, y, names = load(parser.parse_args().data / "WA_Fn-UseC_-Telco-Customer-Churn.csv")
    folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=5, random_state=0)
    ours, boosted = [], []
    started = time.perf_counter()
    for train, test in folds.split(X, y):
        model = ChurnModel(C=1.0).fit(X[train], y[train], names)
        ours.append(roc_auc_score(y[test], model.predict_proba(X[test])))
        gbm = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=0
        ).fit(X[train], y[train])
        boosted.append(roc_auc_score(y[test], gbm.predict_proba(X[test])[:, 1]))
    seconds = time.perf_counter() - started
    print(f"Telco churn, {len(y):,} customers, 5x5 repeated stratified CV ({seconds:.1f} s)")
    print(f"ChurnModel (ours)        ROC-AUC {np.mean(ours):.3f} ± {np.std(ours):.3f}")
    print(f"HistGradientBoosting     ROC-AUC {np.mean(boosted):.3f} ± {np.std(boosted):.3f}")
    print("published: 0.84 (AdaBoost/XGBoost, Lalwani et al. 2022), 0.85 (random forest, 2024)")


if __name__ == "__main__":
    main()
