"""A backtest through the product itself: the CDNOW sample's transactions imported with
`devotion import`, scored `--as-of` the end of week 39 (1997-09-30), and compared with what the
customers did in weeks 40-78 (1997-10-01 … 1998-06-30), beside a recency-only baseline.

- Churn: ROC-AUC of the product's churn probability against "no purchase in the holdout",
  and of days since the last purchase (the recency-only baseline), same customers.
- Purchases: the saved model's BG/NBD expectation over the 39 holdout weeks against the
  purchase days actually made, in total and per person (mean absolute error), beside a
  baseline that repeats each person's calibration rate.

    uv run python bench/bench_cdnow_backtest.py [--data ../shared/data/cdnow]

Runs in a fresh DEVOTION_HOME under /tmp; nothing else is touched.
"""

from __future__ import annotations

import argparse
import csv
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CAL_END, HOLD_END = date(1997, 9, 30), date(1998, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "cdnow")
    folder = parser.parse_args().data
    home = Path(tempfile.mkdtemp(prefix="devotion-cdnow-"))
    env = {**os.environ, "DEVOTION_HOME": str(home)}
    env.pop("DATABASE_URL", None)

    # 1. The transactions as a generic orders export (one order per transaction).
    orders = home / "cdnow_orders.csv"
    days: dict[str, set[date]] = defaultdict(set)
    with (folder / "cdnow_sample.csv").open() as f, orders.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "occurred_at", "customer_id", "amount", "currency"])
        for n, row in enumerate(csv.DictReader(f)):
            when = date.fromisoformat(row["date"])
            days[row["customer_id"]].add(when)
            writer.writerow(
                [f"t{n}", f"{when}T12:00:00Z", f"c{row['customer_id']}", row["dollar_value"], "USD"]
            )
    devotion = [sys.executable, "-m", "devotion.cli"]
    run = lambda *args: subprocess.run(  # noqa: E731
        [*devotion, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    run("migrate")
    started = time.perf_counter()
    run("import", "orders", str(orders), "--source", "generic")
    imported = time.perf_counter() - started
    started = time.perf_counter()
    out = run("score", "--as-of", CAL_END.isoformat(), "--retrain").stdout
    scored = time.perf_counter() - started
    print(out.strip())
    run("scores", "export", str(home / "scores.csv"))

    # 2. What the product said as of week 39, and what happened next.
    os.environ["DEVOTION_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotion.settings")
    import django

    django.setup()
    from sklearn.metrics import roc_auc_score

    from devotion.analytics.features import build_features, collect
    from devotion.analytics.pipeline import _bgnbd_inputs
    from devotion.people.models import Identity
    from devotion.retention.models import ScoringModel
    from devotion.retention.scoring import cutoff_of, day_number, read_events

    who = dict(
        Identity.objects.filter(kind="external").values_list("person_id", "value")
    )  # person id -> "cN"
    with (home / "scores.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["churn_probability"]]
    customer = [who[int(r["person_id"])].removeprefix("c") for r in rows]
    holdout = np.array(
        [sum(CAL_END < d <= HOLD_END for d in days[c]) for c in customer], dtype=float
    )
    left = (holdout == 0).astype(int)
    churn = np.array([float(r["churn_probability"]) for r in rows])
    last = np.array([max(d for d in days[c] if d <= CAL_END) for c in customer])
    recency = np.array([(CAL_END - d).days for d in last], dtype=float)
    print(f"{len(rows):,} customers; {left.mean():.1%} made no purchase in weeks 40-78")
    print(
        f"churn ROC-AUC: product {roc_auc_score(left, churn):.3f}, "
        f"recency only {roc_auc_score(left, recency):.3f}"
    )

    record = ScoringModel.objects.order_by("-version").first()
    models = pickle.loads((home / record.path).read_bytes())
    cutoff = day_number(cutoff_of(CAL_END))
    feats = collect(build_features(read_events(cutoff_of(CAL_END)), cutoff))
    buyers = feats["orders"] > 0
    f = {k: v[buyers] for k, v in feats.items()}
    x, t_x, T = _bgnbd_inputs(f, cutoff)
    expected = models.bgnbd.expected_purchases(39.0, x, t_x, T)
    pid_customer = {pid: who[int(pid)].removeprefix("c") for pid in f["person_id"]}
    actual = np.array(
        [sum(CAL_END < d <= HOLD_END for d in days[pid_customer[p]]) for p in f["person_id"]],
        dtype=float,
    )
    naive = x / np.maximum(T, 1e-9) * 39.0  # the calibration repeat rate, carried on
    print(
        f"holdout purchase days: actual {actual.sum():,.0f}, BG/NBD {expected.sum():,.0f}, "
        f"rate baseline {naive.sum():,.0f}"
    )
    print(
        f"per person MAE: BG/NBD {np.abs(expected - actual).mean():.3f}, "
        f"rate baseline {np.abs(naive - actual).mean():.3f}"
    )
    print(f"BG/NBD parameters (weeks): {models.bgnbd.params_}")
    print(f"import {imported:.1f} s, score {scored:.1f} s; files in {home}")


if __name__ == "__main__":
    main()
