"""Satisfied defectors: customers whose latest survey answer says happy while their behaviour
says they are leaving (most defectors had said they were satisfied).

The rule, stated once:

- **Said happy**: their *latest* survey answer is an NPS of 9-10 (a promoter) or a CSAT of
  4-5 (on the 1-5 scale). An answer whose survey type is unknown is not read (a 4 is unhappy on
  NPS and happy on CSAT).
- **Behaves as leaving**: overdue against their own rhythm (see
  :mod:`devotion.analytics.winbacks`: longer since the last order than their rhythm allows),
  or at the journey stage *at risk* or *lapsed*.

Plain Python, no Django.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from devotion.analytics.winbacks import Overdue

LEAVING_STAGES = frozenset({"at_risk", "lapsed"})


def said_happy(survey: str, rating: int | None) -> bool:
    """Whether an answer counts as happy: NPS 9-10, CSAT 4-5; anything else, no.

    >>> said_happy("nps", 9), said_happy("nps", 8), said_happy("csat", 4), said_happy("", 10)
    (True, False, True, False)
    """
    if rating is None:
        return False
    if survey == "nps":
        return 9 <= rating <= 10
    if survey == "csat":
        return 4 <= rating <= 5
    return False


@dataclass(frozen=True, slots=True)
class Answer:
    """One survey answer: who, when, which survey (``nps``, ``csat``...), the score."""

    person: Hashable
    day: date
    survey: str
    rating: int | None


@dataclass(frozen=True, slots=True)
class Defector:
    """A customer who said happy and behaves as leaving: both signals side by side."""

    person: Hashable
    survey: str
    rating: int
    answered_on: date
    stage: str
    overdue: Overdue | None

    @property
    def signals(self) -> list[str]:
        """The behaviour that says leaving, in words."""
        out = []
        if self.overdue is not None and self.overdue.is_overdue:
            out.append(
                f"no order for {self.overdue.days_since} days "
                f"(their rhythm allows {self.overdue.allowed_days:.0f})"
            )
        if self.stage in LEAVING_STAGES:
            out.append(f"stage {self.stage.replace('_', ' ')}")
        return out


def _lateness(late: Overdue | None) -> float:
    """How far past their allowed gap, as a multiple of it (a loyal weekly buyer silent for
    a season is later than a once-a-year buyer silent for a year)."""
    return late.days_since / late.allowed_days if late and late.allowed_days else 0.0


def latest_answers(answers: Iterable[Answer]) -> dict[Hashable, Answer]:
    """Each person's latest answer of a known survey type.

    >>> a = latest_answers([Answer(1, date(2025, 1, 1), "nps", 10),
    ...                     Answer(1, date(2025, 3, 1), "csat", 2),
    ...                     Answer(1, date(2025, 4, 1), "", 10)])
    >>> a[1].survey, a[1].rating
    ('csat', 2)
    """
    latest: dict[Hashable, Answer] = {}
    for answer in answers:
        if answer.survey not in ("nps", "csat"):
            continue
        seen = latest.get(answer.person)
        if seen is None or answer.day >= seen.day:
            latest[answer.person] = answer
    return latest


def satisfied_defectors(
    answers: Iterable[Answer],
    stages: Mapping[Hashable, str],
    overdue: Mapping[Hashable, Overdue | None],
) -> list[Defector]:
    """Customers whose latest answer said happy and who are overdue or at risk / lapsed,
    the most overdue against their own rhythm first.

    Examples
    --------
    >>> late = Overdue(days_since=150, allowed_days=90, typical_gap=30)
    >>> fine = Overdue(days_since=10, allowed_days=90, typical_gap=30)
    >>> answers = [Answer("ann", date(2025, 1, 5), "nps", 10),   # happy, overdue
    ...            Answer("bo", date(2025, 1, 5), "csat", 5),    # happy, lapsed stage
    ...            Answer("cy", date(2025, 1, 5), "nps", 10),    # happy, buying
    ...            Answer("di", date(2025, 1, 5), "nps", 3)]     # unhappy, overdue
    >>> stages = {"ann": "active", "bo": "lapsed", "cy": "active", "di": "active"}
    >>> found = satisfied_defectors(answers, stages,
    ...                             {"ann": late, "bo": None, "cy": fine, "di": late})
    >>> [(d.person, d.signals) for d in found]
    [('ann', ['no order for 150 days (their rhythm allows 90)']), ('bo', ['stage lapsed'])]
    """
    found = []
    for person, answer in latest_answers(answers).items():
        if not said_happy(answer.survey, answer.rating):
            continue
        late = overdue.get(person)
        stage = stages.get(person, "")
        if (late is not None and late.is_overdue) or stage in LEAVING_STAGES:
            assert answer.rating is not None  # said_happy checked it
            found.append(Defector(person, answer.survey, answer.rating, answer.day, stage, late))
    found.sort(key=lambda d: (-_lateness(d.overdue), str(d.person)))
    return found
