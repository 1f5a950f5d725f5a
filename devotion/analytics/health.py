"""The health scorecard: a 0-100 score anyone can check by hand.

Each factor turns one thing we know into a fraction between 0 (bad) and 1 (good); the factor
earns that fraction of its weight in points; the score is the points earned out of the weights
in play, times 100. Weights are a plain dict a manager can edit (:data:`DEFAULT_WEIGHTS`); a
weight of 0 switches a factor off. A factor we know nothing about for a person (``feeling``
for someone with no analysed message) is out of play for them: its weight leaves their total,
so the other factors count as they would without it.

=================== ===========================================================================
factor              how the fraction is worked out
=================== ===========================================================================
recency             days since the last order against the person's own rhythm (their usual gap
                    between orders, or the business's usual gap for one-order customers): 1 up
                    to one usual gap, falling to 0 at three gaps
frequency           orders in the last year against the business's usual customer: 1 at twice
                    the median or more, 0 with none
spend_trend         spend in the last 180 days against the 180 days before: 0.5 when level,
                    1 when it all came recently, 0 when it all stopped
open_problems       complaints (reviews of 1-2 stars, CSAT 1-2) in the last 90 days: 1 with
                    none, 0.4 with one, 0 with two or more
unanswered          their messages still waiting for our reply: 1 with none, 0.3 with one, 0
                    with more
survey              the latest answer: NPS 9-10 is 1, 7-8 is 0.6, 0-6 is 0; CSAT 5 is 1, 4 is
                    0.8, 3 is 0.4, 1-2 is 0; no answer counts 0.5 (we do not know)
feeling             the sentiment of their own messages in the last 90 days
                    (:func:`feeling_by_person`, -1 to 1): (1 + feeling) / 2, so 0 when all
                    negative, 0.5 neutral, 1 all positive; out of play with no analysed message
=================== ===========================================================================

>>> card = scorecard({"recency_days": [10.0], "mean_gap_days": [20.0], "orders_365": [4.0],
...     "spend_recent": [100.0], "spend_prior": [100.0], "complaints_90": [0.0],
...     "unanswered": [1.0], "last_nps": [float("nan")], "last_csat": [5.0]},
...     typical_gap=30.0, typical_orders=2.0)
>>> [round(float(f.points[0]), 1) for f in card.factors]
[30.0, 15.0, 7.5, 15.0, 3.0, 15.0, 0.0]
>>> round(float(card.score[0]), 1)
85.5

The same person whose messages read -0.5 on the whole: 2.5 of the 10 feeling points, out of
110 in play.

>>> card = scorecard({"recency_days": [10.0], "mean_gap_days": [20.0], "orders_365": [4.0],
...     "spend_recent": [100.0], "spend_prior": [100.0], "complaints_90": [0.0],
...     "unanswered": [1.0], "last_nps": [float("nan")], "last_csat": [5.0],
...     "feeling": [-0.5]}, typical_gap=30.0, typical_orders=2.0)
>>> round(float(card.score[0]), 1)
80.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

DEFAULT_WEIGHTS: dict[str, float] = {
    "recency": 30.0,
    "frequency": 15.0,
    "spend_trend": 15.0,
    "open_problems": 15.0,
    "unanswered": 10.0,
    "survey": 15.0,
    "feeling": 10.0,
}
LABELS: dict[str, str] = {
    "recency": "Buying on their usual rhythm",
    "frequency": "How often they buy",
    "spend_trend": "Spend trend",
    "open_problems": "Open problems",
    "unanswered": "Messages waiting for us",
    "survey": "What they told us in surveys",
    "feeling": "How they feel in their messages",
}
FEELING_DAYS = 90  # the messages the feeling factor reads: the last 90 days'
FEELING_HALF_LIFE = 30.0  # days: a message a month old counts half as much as today's
NEGATIVE_WEIGHT = 2.0  # a negative message counts twice: one angry message is news


@dataclass(frozen=True, slots=True)
class Factor:
    """One line of the scorecard for everyone: the fraction earned and the points."""

    key: str
    weight: float
    fraction: np.ndarray
    points: np.ndarray


@dataclass(frozen=True, slots=True)
class Scorecard:
    factors: list[Factor]  # a factor out of play for a person has fraction NaN, points 0
    score: np.ndarray  # 0-100; NaN for people with nothing to score (no order, no answer)


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weights, checked: known factors, numbers from 0 to 100, at least one above 0.

    >>> check_weights({"recency": 50})["recency"], check_weights({"recency": 50})["survey"]
    (50.0, 15.0)
    >>> check_weights({"mood": 3})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown health factor 'mood' (known: recency, frequency, ...)
    """
    out = dict(DEFAULT_WEIGHTS)
    for key, value in weights.items():
        if key not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise ValueError(f"unknown health factor {key!r} (known: {known})")
        number = float(value)
        if not 0 <= number <= 100:
            raise ValueError(f"the weight of {key} must be between 0 and 100, not {number:g}")
        out[key] = number
    if sum(out.values()) <= 0:
        raise ValueError("at least one health factor needs a weight above 0")
    return out


def _survey_fraction(nps: np.ndarray, csat: np.ndarray) -> np.ndarray:
    from_nps = np.select([nps >= 9, nps >= 7, nps >= 0], [1.0, 0.6, 0.0], default=np.nan)
    from_csat = np.select(
        [csat >= 5, csat >= 4, csat >= 3, csat >= 1], [1.0, 0.8, 0.4, 0.0], default=np.nan
    )
    # The mean of the answers there are; 0.5 (neutral) with none.
    known = (~np.isnan(from_nps)).astype(float) + (~np.isnan(from_csat)).astype(float)
    total = np.nan_to_num(from_nps) + np.nan_to_num(from_csat)
    return np.where(known > 0, total / np.maximum(known, 1), 0.5)


def feeling_by_person(
    person_id: object, age_days: object, sentiment: object
) -> tuple[np.ndarray, np.ndarray]:
    """Each person's feeling, -1 (negative) to 1 (positive), from their analysed messages:
    one row per message with its writer, its age in days at the scoring day, and its sentiment
    score (-1 to 1). A weighted mean where a message's weight halves every
    :data:`FEELING_HALF_LIFE` days and a negative one counts :data:`NEGATIVE_WEIGHT` times, so
    a recent complaint is not drowned by older praise. Returns (sorted person ids, feeling);
    messages older than :data:`FEELING_DAYS` or from the future are left out.

    >>> ids, feeling = feeling_by_person([7, 7, 9], [0.0, 30.0, 5.0], [-1.0, 1.0, 0.5])
    >>> ids.tolist(), [round(float(v), 2) for v in feeling]
    ([7, 9], [-0.6, 0.5])
    """
    ids = np.asarray(person_id, dtype=np.int64)
    age = np.asarray(age_days, dtype=float)
    score = np.clip(np.asarray(sentiment, dtype=float), -1.0, 1.0)
    keep = (age >= 0) & (age <= FEELING_DAYS) & ~np.isnan(score)
    ids, age, score = ids[keep], age[keep], score[keep]
    weight = 0.5 ** (age / FEELING_HALF_LIFE) * np.where(score < 0, NEGATIVE_WEIGHT, 1.0)
    people, which = np.unique(ids, return_inverse=True)
    total = np.bincount(which, weights=weight, minlength=len(people))
    summed = np.bincount(which, weights=weight * score, minlength=len(people))
    return people, summed / np.where(total > 0, total, 1.0)


def scorecard(
    features: Mapping[str, object],
    *,
    typical_gap: float,
    typical_orders: float,
    weights: Mapping[str, float] | None = None,
) -> Scorecard:
    """Score everyone in ``features`` (arrays named as in :mod:`devotion.analytics.features`).

    ``typical_gap`` is the business's median days between orders and ``typical_orders`` its
    median orders per customer in a year: the yardsticks for people with too little history of
    their own. ``feeling`` (see :func:`feeling_by_person`; NaN for no analysed message) is
    optional: without it the feeling factor is out of play for everyone.
    """
    w = check_weights(weights or {})
    f = {k: np.asarray(v, dtype=float) for k, v in features.items()}
    recency = f["recency_days"]
    feeling = f.get("feeling", np.full(len(recency), np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(np.isnan(f["mean_gap_days"]), typical_gap, f["mean_gap_days"])
        gap = np.maximum(gap, 1.0)
        ratio = recency / gap
        recent, prior = f["spend_recent"], f["spend_prior"]
        most = np.maximum(recent, prior)
        trend = np.where(most > 0, 0.5 + 0.5 * (recent - prior) / np.where(most > 0, most, 1), 0)
    fractions = {
        "recency": np.where(np.isnan(ratio), 0.0, np.clip(1 - (ratio - 1) / 2, 0, 1)),
        "frequency": np.clip(f["orders_365"] / max(2 * typical_orders, 1.0), 0, 1),
        "spend_trend": trend,
        "open_problems": np.select(
            [f["complaints_90"] <= 0, f["complaints_90"] <= 1], [1.0, 0.4], 0.0
        ),
        "unanswered": np.select([f["unanswered"] <= 0, f["unanswered"] <= 1], [1.0, 0.3], 0.0),
        "survey": _survey_fraction(f["last_nps"], f["last_csat"]),
        "feeling": np.clip((1 + feeling) / 2, 0, 1),  # NaN stays NaN: out of play
    }
    factors = [
        Factor(key, w[key], fractions[key], np.nan_to_num(fractions[key] * w[key]))
        for key in DEFAULT_WEIGHTS
    ]
    # The weights in play for each person: a factor with no fraction leaves their total.
    total = sum(
        (np.where(np.isnan(factor.fraction), 0.0, factor.weight) for factor in factors),
        np.zeros(len(recency)),
    )
    points = sum((factor.points for factor in factors), np.zeros(len(recency)))
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(total > 0, points / total * 100, np.nan)
    return Scorecard(factors, np.round(score, 1))


def explain(key: str, value: float | None, fraction: float) -> str:
    """One factor in a sentence for one person (``value`` is the fact behind it).

    >>> explain("recency", 1.4, 0.8)
    'Last order 1.4 usual gaps ago: a little late.'
    >>> explain("survey", None, 0.5)
    'No survey answer yet: counted as neutral.'
    """
    if key == "recency":
        if value is None:
            return "No order yet."
        mood = "on time" if value <= 1 else ("a little late" if value < 2 else "well overdue")
        return f"Last order {value:.1f} usual gaps ago: {mood}."
    if key == "frequency":
        n = int(value or 0)
        return f"{n} order{'s' if n != 1 else ''} in the last year."
    if key == "spend_trend":
        if fraction == 0 and not value:
            return "No spend in the last year."
        word = "up" if fraction > 0.55 else ("down" if fraction < 0.45 else "level")
        return f"Spend over the last 180 days is {word} on the 180 days before."
    if key == "open_problems":
        n = int(value or 0)
        return "No complaints lately." if n == 0 else f"{n} complaint(s) in the last 90 days."
    if key == "unanswered":
        n = int(value or 0)
        return (
            "Nothing waiting for our reply." if n == 0 else f"{n} message(s) waiting for our reply."
        )
    if key == "survey":
        if value is None:
            return "No survey answer yet: counted as neutral."
        return f"Latest survey answer scores {fraction:.0%} on our scale."
    if key == "feeling":
        if value is None:
            return "No message of theirs analysed in the last 90 days: left out."
        word = "negative" if value < -0.25 else ("positive" if value > 0.25 else "mixed or neutral")
        return (
            f"Their messages of the last 90 days read {word} ({value:+.2f} from -1 to 1; "
            "recent and negative ones count most)."
        )
    return ""
