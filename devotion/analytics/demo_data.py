"""Events of a small made-up shop, for tests and examples: customers who buy on a rhythm of
their own, some of whom stop, with messages, replies and survey answers.

>>> events = toy_events(20, random_state=1)
>>> sorted(set(events.column("kind").to_pylist()))
['message', 'order', 'survey_answer']
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def toy_events(n: int, *, days: float = 900.0, random_state: int | None = None) -> pa.Table:
    """Events of ``n`` customers over ``days`` days, in the shape
    :mod:`devotion.analytics.features` reads."""
    rng = np.random.default_rng(random_state)
    rows: dict[str, list[object]] = {
        "person_id": [],
        "kind": [],
        "direction": [],
        "day": [],
        "amount": [],
        "rating": [],
        "survey": [],
    }

    def add(
        pid: int,
        kind: str,
        direction: str,
        day: float,
        amount: float | None = None,
        rating: float | None = None,
        survey: str = "",
    ) -> None:
        for key, value in zip(
            rows, (pid, kind, direction, day, amount, rating, survey), strict=True
        ):
            rows[key].append(value)

    for pid in range(1, n + 1):
        start = rng.uniform(0, days * 0.7)
        gap = rng.gamma(2.0, 20.0) + 5  # their rhythm, in days
        basket = rng.lognormal(3.5, 0.5)
        # Some leave: after a while they stop buying (and are less happy first).
        leaves_at = start + rng.exponential(days * 0.6)
        t = start
        while t < min(days, leaves_at):
            add(pid, "order", "", t, round(basket * rng.uniform(0.6, 1.4), 2))
            t += rng.exponential(gap)
        unhappy = leaves_at < days
        if rng.random() < 0.5:
            when = min(leaves_at, days) - rng.uniform(1, 30)
            add(pid, "message", "in", when)
            if rng.random() < (0.5 if unhappy else 0.95):
                add(pid, "message", "out", when + rng.uniform(0.01, 2))
        if rng.random() < 0.4:
            score = rng.integers(0, 7) if unhappy and rng.random() < 0.6 else rng.integers(7, 11)
            add(pid, "survey_answer", "in", start + rng.uniform(1, 60), None, float(score), "nps")
    return pa.table(
        {
            "person_id": pa.array(rows["person_id"], pa.int64()),
            "kind": pa.array(rows["kind"], pa.string()),
            "direction": pa.array(rows["direction"], pa.string()),
            "day": pa.array(rows["day"], pa.float64()),
            "amount": pa.array(rows["amount"], pa.float64()),
            "rating": pa.array(rows["rating"], pa.float64()),
            "survey": pa.array(rows["survey"], pa.string()),
        }
    )
