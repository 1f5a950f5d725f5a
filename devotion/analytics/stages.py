"""Journey stages moved by stated rules (for customers: people with at least one order).

With ``gap`` the person's usual days between orders (the business's usual gap when they have
ordered only once):

1. **Lapsed**: no order for more than 3 gaps and at least 180 days.
2. **At risk**: not lapsed, but no order for more than 1.5 gaps and at least 30 days, or a
   churn probability of 70 % or more.
3. **Won back**: neither, and the wait before their latest order was longer than the lapse
   rule (3 of the business's usual gaps and at least 180 days): they had lapsed and came back.
4. Otherwise **new** with one order, **active** with more.

People without an order keep the stage they have (a prospect stays a prospect).

>>> nan = np.nan
>>> move_stages(np.array([400.0, 60.0, 5.0, 5.0, nan]), np.array([30.0, 30.0, 30.0, nan, nan]),
...     np.array([np.nan, np.nan, 300.0, np.nan, np.nan]), np.array([3, 3, 5, 1, 0]),
...     np.array([0.1, 0.2, 0.1, 0.1, np.nan]), typical_gap=40.0,
...     current=["active", "active", "active", "new", "prospect"])
['lapsed', 'at_risk', 'won_back', 'new', 'prospect']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LAPSE_GAPS, LAPSE_MIN_DAYS = 3.0, 180.0
RISK_GAPS, RISK_MIN_DAYS, RISK_PROBABILITY = 1.5, 30.0, 0.7

RULES = {
    "lapsed": f"no order for more than {LAPSE_GAPS:g} of their usual gaps and at least "
    f"{LAPSE_MIN_DAYS:g} days",
    "at_risk": f"no order for more than {RISK_GAPS:g} usual gaps and at least "
    f"{RISK_MIN_DAYS:g} days, or a churn probability of {RISK_PROBABILITY:.0%} or more",
    "won_back": "came back after a wait long enough to count as lapsed",
    "new": "one order",
    "active": "more than one order, buying on rhythm",
}


def move_stages(
    recency_days: np.ndarray,
    mean_gap_days: np.ndarray,
    last_gap_days: np.ndarray,
    orders: np.ndarray,
    churn_probability: np.ndarray,
    *,
    typical_gap: float,
    current: Sequence[str],
) -> list[str]:
    """The stage each person moves to under the rules above."""
    gap = np.maximum(np.where(np.isnan(mean_gap_days), typical_gap, mean_gap_days), 1.0)
    with np.errstate(invalid="ignore"):
        lapsed = recency_days > np.maximum(LAPSE_GAPS * gap, LAPSE_MIN_DAYS)
        at_risk = ~lapsed & (
            (recency_days > np.maximum(RISK_GAPS * gap, RISK_MIN_DAYS))
            | (np.nan_to_num(churn_probability, nan=0.0) >= RISK_PROBABILITY)
        )
        won_back = np.nan_to_num(last_gap_days, nan=0.0) > max(
            LAPSE_GAPS * typical_gap, LAPSE_MIN_DAYS
        )
    orders = np.asarray(orders)
    moved = np.select(
        [lapsed, at_risk, won_back, orders == 1], ["lapsed", "at_risk", "won_back", "new"], "active"
    )
    # People with no order keep the stage they have.
    return np.where(orders > 0, moved, np.asarray(current, dtype=object)).tolist()
