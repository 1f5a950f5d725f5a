"""BG/NBD and Gamma-Gamma on the real CDNOW data against Fader, Hardie & Lee (2005).

Fits our own implementation (devotion/analytics/clv.py) on the published calibration summary
(weeks 1-39), compares the parameters and log-likelihood with the paper, checks the published
conditional expectation, and predicts the holdout (weeks 40-78) against the purchases counted
from cdnow_sample.csv (distinct purchase days), by calibration frequency and in total.

    uv run python bench/bench_cdnow.py [--data ../shared/data/cdnow]
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

from devotion.analytics.clv import BetaGeoModel, GammaGammaModel

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "ll": -9582.4}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}
START, CAL_END, HOLD_END = date(1997, 1, 1), date(1997, 9, 30), date(1998, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"
    parser.add_argument("--data", type=Path, default=default)
    folder = parser.parse_args().data

    with (folder / "cdnow_customers_summary.csv").open() as f:
        rows = list(csv.DictReader(f))
    ids = [int(r["ID"]) for r in rows]
    x = np.array([float(r["frequency"]) for r in rows])
    t_x = np.array([float(r["recency"]) for r in rows])
    T = np.array([float(r["T"]) for r in rows])

    started = time.perf_counter()
    model = BetaGeoModel().fit(x, t_x, T)
    seconds = time.perf_counter() - started
    p = model.params_
    print(f"BG/NBD fit on {len(x):,} customers in {seconds * 1000:.0f} ms")
    print("param   ours     published")
    for key in ("r", "alpha", "a", "b"):
        print(f"{key:<7} {p[key]:<8.4f} {PUBLISHED[key]}")
    print(f"LL      {model.log_likelihood_:<8.1f} {PUBLISHED['ll']}")
    one = model.expected_purchases(39.0, [2], [30.43], [38.86])[0]
    print(f"E[Y(39) | x=2, t_x=30.43, T=38.86] = {one:.3f} (published 1.226)")

    # Holdout: distinct purchase days in weeks 40-78, from the sample's transactions.
    days: dict[int, set[date]] = defaultdict(set)
    with (folder / "cdnow_sample.csv").open() as f:
        for r in csv.DictReader(f):
            days[int(r["customer_id"])].add(date.fromisoformat(r["date"]))
    actual = np.array([sum(CAL_END < d <= HOLD_END for d in days[i]) for i in ids], dtype=float)
    horizon = (HOLD_END - CAL_END).days / 7
    predicted = model.expected_purchases(horizon, x, t_x, T)
    print(f"Holdout weeks 40-78: actual {actual.sum():,.0f}, predicted {predicted.sum():,.0f}")
    print("x     customers  actual mean  predicted mean")
    for k in range(8):
        mask = x == k if k < 7 else x >= 7
        label = str(k) if k < 7 else "7+"
        print(
            f"{label:<5} {mask.sum():<10} {actual[mask].mean():<12.3f} {predicted[mask].mean():.3f}"
        )

    with (folder / "cdnow_customers_summary_with_transactions.csv").open() as f:
        rows = list(csv.DictReader(f))
    gx = np.array([float(r["x"]) for r in rows])
    gz = np.array([float(r["zbar"]) for r in rows])
    started = time.perf_counter()
    gg = GammaGammaModel().fit(gx, gz)
    seconds = time.perf_counter() - started
    q = gg.params_
    print(
        f"Gamma-Gamma on {(gx > 0).sum()} repeat buyers ({seconds * 1000:.0f} ms): "
        f"p {q['p']:.3f} (6.25), q {q['q']:.3f} (3.74), v {q['v']:.3f} (15.44)"
    )


if __name__ == "__main__":
    main()
