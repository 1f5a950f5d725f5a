"""What each survey kind asks, its answer scale, and how its score is worked out.

No Django: pages, the API and the demo read these, and so can an analytics job.

- **NPS** (Net Promoter Score): 0-10 "how likely are you to recommend us"; the score is the
  share of promoters (9-10) minus the share of detractors (0-6), from -100 to 100.
- **CSAT** (customer satisfaction): 1-5; the score is the share of 4s and 5s, 0-100 %.
- **CES** (customer effort): 1-7 "how easy was it"; the score is the average answer (7 = easiest).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Scale:
    """One survey kind: its answer range, the words at each end, and its default question."""

    kind: str
    label: str
    low: int
    high: int
    low_words: str
    high_words: str
    question: str
    follow_up: str
    score_unit: str

    @property
    def values(self) -> range:
        return range(self.low, self.high + 1)

    def score(self, answers: Sequence[int]) -> float | None:
        """The survey's score over ``answers`` (None when there are none).

        >>> SCALES["nps"].score([10, 9, 8, 3])
        25.0
        >>> SCALES["csat"].score([5, 4, 2, 1])
        50.0
        >>> SCALES["ces"].score([7, 5, 6])
        6.0
        >>> SCALES["nps"].score([]) is None
        True
        """
        if not answers:
            return None
        n = len(answers)
        if self.kind == "nps":
            promoters = sum(1 for a in answers if a >= 9)
            detractors = sum(1 for a in answers if a <= 6)
            return round((promoters - detractors) * 100 / n, 1)
        if self.kind == "csat":
            return round(sum(1 for a in answers if a >= 4) * 100 / n, 1)
        return round(sum(answers) / n, 2)

    def group(self, answer: int) -> str:
        """Which group an answer falls in: promoter/passive/detractor for NPS, else
        satisfied/neutral/unsatisfied (CSAT) or easy/neutral/hard (CES).

        >>> [SCALES["nps"].group(a) for a in (10, 7, 6)]
        ['promoter', 'passive', 'detractor']
        >>> SCALES["csat"].group(4), SCALES["ces"].group(2)
        ('satisfied', 'hard')
        """
        if self.kind == "nps":
            return "promoter" if answer >= 9 else "passive" if answer >= 7 else "detractor"
        if self.kind == "csat":
            return "satisfied" if answer >= 4 else "neutral" if answer == 3 else "unsatisfied"
        return "easy" if answer >= 5 else "neutral" if answer == 4 else "hard"

    @property
    def groups(self) -> tuple[str, ...]:
        """The answer groups, best first.

        >>> SCALES["nps"].groups
        ('promoter', 'passive', 'detractor')
        """
        if self.kind == "nps":
            return ("promoter", "passive", "detractor")
        if self.kind == "csat":
            return ("satisfied", "neutral", "unsatisfied")
        return ("easy", "neutral", "hard")

    @property
    def group_choices(self) -> list[tuple[str, str]]:
        """(group, how a filter names its answers), best first.

        >>> SCALES["csat"].group_choices[0]
        ('satisfied', 'Satisfied')
        """
        return [(g, GROUP_LABELS[g]) for g in self.groups]

    def answers_in(self, group: str) -> range:
        """The answers that fall in ``group`` (empty for a group the scale does not have).

        >>> list(SCALES["nps"].answers_in("passive")), list(SCALES["ces"].answers_in("hard"))
        ([7, 8], [1, 2, 3])
        """
        return (
            range(0)
            if group not in self.groups
            else range(
                min(v for v in self.values if self.group(v) == group),
                max(v for v in self.values if self.group(v) == group) + 1,
            )
        )

    @property
    def score_range(self) -> tuple[float, float]:
        """The lowest and highest score possible (for charts)."""
        if self.kind == "nps":
            return (-100.0, 100.0)
        if self.kind == "csat":
            return (0.0, 100.0)
        return (float(self.low), float(self.high))

    def format(self, score: float | None) -> str:
        """A score as people read it.

        >>> SCALES["nps"].format(32.0), SCALES["csat"].format(87.5), SCALES["ces"].format(5.25)
        ('+32', '88 %', '5.2')
        >>> SCALES["nps"].format(-0.4), SCALES["nps"].format(-12.0)
        ('0', '-12')
        >>> SCALES["nps"].format(None)
        '—'
        """
        if score is None:
            return "—"
        if self.kind == "nps":
            return "0" if round(score) == 0 else f"{score:+.0f}"
        if self.kind == "csat":
            return f"{score:.0f} %"
        return f"{score:.1f}"


GROUP_LABELS = {
    "promoter": "Promoters",
    "passive": "Passives",
    "detractor": "Detractors",
    "satisfied": "Satisfied",
    "unsatisfied": "Unsatisfied",
    "neutral": "Neutral",
    "easy": "Easy",
    "hard": "Hard",
}

SCALES: dict[str, Scale] = {
    "nps": Scale(
        "nps",
        "NPS (Net Promoter Score)",
        0,
        10,
        "Not at all likely",
        "Extremely likely",
        "How likely are you to recommend us to a friend or colleague?",
        "What is the main reason for your score?",
        "",
    ),
    "csat": Scale(
        "csat",
        "CSAT (satisfaction)",
        1,
        5,
        "Very unsatisfied",
        "Very satisfied",
        "How satisfied were you with the help you got?",
        "What could we have done better?",
        "%",
    ),
    "ces": Scale(
        "ces",
        "CES (effort)",
        1,
        7,
        "Very difficult",
        "Very easy",
        "How easy was it to get what you needed from us?",
        "What made it easy or hard?",
        "",
    ),
}


@dataclass(frozen=True, slots=True)
class Point:
    """The score of the answers given in one period, and how many answers it rests on."""

    start: date
    score: float
    count: int


def period_start(day: date, period: str) -> date:
    """The first day of the week (Monday) or month ``day`` falls in.

    >>> period_start(date(2026, 3, 19), "week"), period_start(date(2026, 3, 19), "month")
    (datetime.date(2026, 3, 16), datetime.date(2026, 3, 1))
    """
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def pick_period(first: date, last: date) -> str:
    """Weeks for up to about four months of answers, months beyond.

    >>> pick_period(date(2026, 1, 1), date(2026, 2, 1))
    'week'
    >>> pick_period(date(2025, 1, 1), date(2026, 1, 1))
    'month'
    """
    return "week" if (last - first).days <= 120 else "month"


def over_time(
    scale: Scale, answers: Iterable[tuple[datetime, int]], period: str = ""
) -> list[Point]:
    """The score per week or month (``period``; chosen from the span when empty), oldest first,
    with the number of answers behind each point.

    >>> pts = over_time(SCALES["nps"], [(datetime(2026, 3, 2), 10), (datetime(2026, 3, 3), 0),
    ...                                (datetime(2026, 3, 10), 9)])
    >>> [(p.start.isoformat(), p.score, p.count) for p in pts]
    [('2026-03-02', 0.0, 2), ('2026-03-09', 100.0, 1)]
    """
    rows = sorted((when.date(), value) for when, value in answers)
    if not rows:
        return []
    period = period or pick_period(rows[0][0], rows[-1][0])
    buckets: dict[date, list[int]] = {}
    for day, value in rows:
        buckets.setdefault(period_start(day, period), []).append(value)
    points = []
    for start, values in sorted(buckets.items()):
        score = scale.score(values)
        assert score is not None
        points.append(Point(start, score, len(values)))
    return points
