"""Emerging problems: a topic whose latest weekly volume rises beyond its normal range.

The normal range is the topic's own trailing weeks (no Django). A week is flagged when all of
these hold:

- the count is at least :data:`MIN_COUNT` (a handful of messages is no trend);
- under a Poisson law with the trailing mean as its rate, a count this high or higher has a
  probability below :data:`MAX_P` (the upper tail);
- and the z-score against the trailing weeks, with the variance taken as the larger of the
  mean (Poisson) and the weeks' sample variance (a topic that was always bursty is judged by
  its own spread), is at least :data:`MIN_Z`.

>>> spike = emerging([4, 6, 5, 3, 5, 4, 6, 5, 19])
>>> spike.flagged, spike.expected, spike.observed
(True, 4.75, 19)
>>> emerging([5, 4, 6, 5, 3, 6, 5, 4, 7]).flagged
False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_COUNT = 5
MAX_P = 0.001
MIN_Z = 3.0
BASELINE_WEEKS = 8


@dataclass(frozen=True, slots=True)
class Trend:
    """The statistics behind one topic's latest week (see the module docstring)."""

    observed: int
    expected: float  # mean of the trailing weeks
    spread: float  # standard deviation used for z
    z: float
    p_value: float  # Poisson upper tail P(X >= observed | expected)
    ratio: float  # observed / expected
    flagged: bool


def poisson_sf(observed: int, rate: float) -> float:
    """P(X >= observed) for X ~ Poisson(rate).

    >>> round(poisson_sf(10, 3.0), 5)
    0.0011
    >>> poisson_sf(0, 2.0)
    1.0
    """
    if observed <= 0:
        return 1.0
    if rate <= 0:
        return 0.0
    # 1 - P(X <= observed - 1), summed in log space for stability.
    log_rate = math.log(rate)
    cdf = sum(math.exp(k * log_rate - rate - math.lgamma(k + 1)) for k in range(observed))
    return max(0.0, min(1.0, 1.0 - cdf))


def emerging(weekly: Sequence[int], *, baseline_weeks: int = BASELINE_WEEKS) -> Trend:
    """Judge the last value of ``weekly`` (oldest first) against the weeks before it."""
    observed = int(weekly[-1]) if weekly else 0
    history = [int(v) for v in weekly[:-1]][-baseline_weeks:]
    expected = sum(history) / len(history) if history else 0.0
    if len(history) > 1:
        var = sum((v - expected) ** 2 for v in history) / (len(history) - 1)
    else:
        var = 0.0
    # A topic never seen before has a floor of half a message a week as its normal rate.
    rate = max(expected, 0.5)
    spread = math.sqrt(max(var, rate))
    z = (observed - rate) / spread
    p_value = poisson_sf(observed, rate)
    flagged = observed >= MIN_COUNT and p_value < MAX_P and z >= MIN_Z and len(history) >= 3
    return Trend(
        observed=observed,
        expected=round(expected, 2),
        spread=round(spread, 2),
        z=round(z, 2),
        p_value=float(f"{p_value:.3g}"),
        ratio=round(observed / rate, 2),
        flagged=flagged,
    )


def arrow(weekly: Sequence[int]) -> str:
    """ "up", "down" or "flat": the last two weeks against the four before them.

    >>> arrow([2, 2, 2, 2, 6, 7]), arrow([5, 5, 5, 5, 5, 5]), arrow([9, 8, 9, 9, 2, 1])
    ('up', 'flat', 'down')
    """
    if len(weekly) < 3:
        return "flat"
    recent = sum(weekly[-2:]) / 2
    before = weekly[-6:-2] or weekly[:-2]
    base = sum(before) / len(before)
    if recent > base * 1.25 + 1:
        return "up"
    if recent < base * 0.75 - 1:
        return "down"
    return "flat"
