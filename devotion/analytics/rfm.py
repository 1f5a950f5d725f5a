"""RFM: recency, frequency and monetary scores (1-5) and the eleven named segments.

Scores are quintiles among the people who have ordered: 5 is the most recent fifth, the most
frequent fifth, the biggest-spending fifth. Ties share a score (a rank is the average of the
tied places), so two people with the same figures always get the same score.

Segments come from R and FM, the rounded-up mean of F and M, by the first matching rule of
:data:`SEGMENT_RULES` (the common R x FM grid, with "Lost" carved out of "Hibernating"):

=================== ========= ==========
segment             R         FM
=================== ========= ==========
Champions           4-5       4-5  (R 5, FM 4-5; or R 4, FM 5)
Loyal               3-4       4-5
Can't lose them     1-2       5
At risk             1-2       3-4
Lost                1         1
Hibernating         1-2       1-2
About to sleep      3         1-2
Need attention      3         3
New                 5         1
Promising           4         1
Potential loyalist  4-5       2-3
=================== ========= ==========

>>> r, f, m = rfm_scores([5, 40, 200, 400, 10], [9, 3, 1, 2, 6], [900.0, 80, 20, 60, 300])
>>> r.tolist(), f.tolist(), m.tolist()
([5, 3, 2, 1, 4], [5, 3, 1, 2, 4], [5, 3, 1, 2, 4])
>>> segments(r, f, m)
['Champions', 'Need attention', 'Hibernating', 'Hibernating', 'Loyal']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
)

# (segment, R scores, FM scores): the first rule that matches names the segment.
SEGMENT_RULES: tuple[tuple[str, frozenset[int], frozenset[int]], ...] = (
    ("Champions", frozenset({5}), frozenset({4, 5})),
    ("Champions", frozenset({4}), frozenset({5})),
    ("Loyal", frozenset({3, 4}), frozenset({4, 5})),
    ("Can't lose them", frozenset({1, 2}), frozenset({5})),
    ("At risk", frozenset({1, 2}), frozenset({3, 4})),
    ("Lost", frozenset({1}), frozenset({1})),
    ("Hibernating", frozenset({1, 2}), frozenset({1, 2})),
    ("About to sleep", frozenset({3}), frozenset({1, 2})),
    ("Need attention", frozenset({3}), frozenset({3})),
    ("New", frozenset({5}), frozenset({1})),
    ("Promising", frozenset({4}), frozenset({1})),
    ("Potential loyalist", frozenset({4, 5}), frozenset({2, 3})),
)

# What each segment means, in words for people (pages and exports).
MEANINGS: dict[str, str] = {
    "Champions": "bought recently, buy often and spend the most",
    "Loyal": "buy regularly and spend well",
    "Potential loyalist": "recent customers with a few orders who could become loyal",
    "New": "bought for the first time very recently",
    "Promising": "recent first-time buyers who have not come back yet",
    "Need attention": "average recency, frequency and spend: could go either way",
    "About to sleep": "have not bought for a while and did not buy much",
    "At risk": "used to buy often and spend well, but not for a long time",
    "Can't lose them": "among the best customers once, now silent for a long time",
    "Hibernating": "last bought long ago, seldom and for little",
    "Lost": "the longest gone, with the fewest and smallest orders",
}


def quintile_scores(
    values: Sequence[float] | np.ndarray, *, higher_is_better: bool = True
) -> np.ndarray:
    """1-5 by fifths of the ranks (ties averaged); NaN values score 0.

    >>> quintile_scores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintile_scores([3, 3, 3]).tolist(), quintile_scores([1.0, float("nan")]).tolist()
    ([3, 3, 3], [3, 0])
    """
    x = np.asarray(values, dtype=float)
    out = np.zeros(len(x), dtype=np.int64)
    known = ~np.isnan(x)
    if not known.any():
        return out
    v = x[known] if higher_is_better else -x[known]
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(1, len(v) + 1)
    # Average the ranks of ties so equal values score the same.
    uniq, inverse = np.unique(v, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks, minlength=len(uniq))
    counts = np.bincount(inverse, minlength=len(uniq))
    avg = (sums / counts)[inverse]
    out[known] = np.clip(np.ceil((avg - 0.5) * 5 / len(v)), 1, 5).astype(np.int64)
    return out


def rfm_scores(
    recency_days: Sequence[float] | np.ndarray,
    frequency: Sequence[float] | np.ndarray,
    monetary: Sequence[float] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R, F and M scores 1-5 (0 for people with no order: NaN recency)."""
    r = quintile_scores(recency_days, higher_is_better=False)
    no_order = r == 0
    f = quintile_scores(np.where(no_order, np.nan, np.asarray(frequency, dtype=float)))
    m = quintile_scores(np.where(no_order, np.nan, np.asarray(monetary, dtype=float)))
    return r, f, m


def segment_of(r: int, f: int, m: int) -> str:
    """The named segment for one person's scores ("" without an order).

    >>> segment_of(5, 5, 4), segment_of(1, 1, 1), segment_of(1, 5, 4), segment_of(5, 1, 1)
    ('Champions', 'Lost', "Can't lose them", 'New')
    """
    if r == 0:
        return ""
    fm = (f + m + 1) // 2
    for name, rs, fms in SEGMENT_RULES:
        if r in rs and fm in fms:
            return name
    return "Need attention"  # unreachable: the rules cover every R x FM pair


def segments(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> list[str]:
    """:func:`segment_of` for everyone."""
    return [segment_of(int(a), int(b), int(c)) for a, b, c in zip(r, f, m, strict=True)]
