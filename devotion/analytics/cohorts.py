"""Monthly acquisition cohorts: who came in each month, and how many of them buy again later.

A customer's cohort is the calendar month of their first order. A cohort is *retained* in
month offset ``k`` by the share of its customers with at least one order in the ``k``-th month
after it (offset 0 is the acquisition month itself, always 100 %). Only complete months up to
``as_of`` count: a month still under way would understate retention, so the month holding
``as_of`` is left out unless ``as_of`` is its last day. Orders after ``as_of`` are ignored.

Plain Python, no Django: rows in, a table out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


def month_number(day: date) -> int:
    """Months since year 0, so that month arithmetic is integer arithmetic.

    >>> month_number(date(2025, 3, 9)) - month_number(date(2024, 12, 31))
    3
    """
    return day.year * 12 + day.month - 1


def month_start(number: int) -> date:
    """The first day of a month given by :func:`month_number`.

    >>> month_start(month_number(date(2025, 3, 9)))
    datetime.date(2025, 3, 1)
    """
    return date(number // 12, number % 12 + 1, 1)


def last_complete_month(as_of: date) -> int:
    """The last month wholly on or before ``as_of``.

    >>> month_start(last_complete_month(date(2025, 3, 9)))
    datetime.date(2025, 2, 1)
    >>> month_start(last_complete_month(date(2025, 3, 31)))
    datetime.date(2025, 3, 1)
    """
    if (as_of + timedelta(days=1)).month != as_of.month:
        return month_number(as_of)
    return month_number(as_of) - 1


@dataclass(frozen=True, slots=True)
class Cohort:
    """The customers acquired in one month and how many of them ordered in each later month.

    ``active[k]`` counts the cohort's customers with an order in month ``month + k``; it has
    one entry per complete month observed (so recent cohorts have shorter rows: the triangle).
    """

    month: date
    size: int
    active: tuple[int, ...]

    @property
    def rates(self) -> tuple[float, ...]:
        """``active`` as shares of the cohort's size."""
        return tuple(n / self.size for n in self.active)


def acquisition_cohorts(
    orders: Iterable[tuple[Hashable, date]], as_of: date, *, months: int | None = None
) -> list[Cohort]:
    """Monthly acquisition cohorts from ``(customer, order day)`` rows, oldest first.

    ``months`` keeps only the most recent that many cohorts (the older ones still count as
    acquired before, so nobody is acquired twice).

    Examples
    --------
    Ann and Bo join in January; Ann buys again in February, Bo in March. Cy joins in
    February and buys again in March. Data up to 31 March:

    >>> rows = [("ann", date(2025, 1, 5)), ("ann", date(2025, 2, 7)),
    ...         ("bo", date(2025, 1, 20)), ("bo", date(2025, 3, 2)),
    ...         ("cy", date(2025, 2, 11)), ("cy", date(2025, 3, 30))]
    >>> for c in acquisition_cohorts(rows, date(2025, 3, 31)):
    ...     print(c.month, c.size, c.active)
    2025-01-01 2 (2, 1, 1)
    2025-02-01 1 (1, 1)
    2025-03-01 0 (0,)
    """
    last = last_complete_month(as_of)
    months_by_customer: dict[Hashable, set[int]] = defaultdict(set)
    for customer, day in orders:
        if day <= as_of:
            months_by_customer[customer].add(month_number(day))
    if not months_by_customer:
        return []
    # active[cohort][offset] -> customers
    active: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    sizes: dict[int, int] = defaultdict(int)
    for bought in months_by_customer.values():
        first = min(bought)
        if first > last:
            continue  # acquired in the month still under way
        sizes[first] += 1
        for month in bought:
            if month <= last:
                active[first][month - first] += 1
    if not sizes:
        return []
    start = min(sizes)
    if months is not None:
        start = max(start, last - months + 1)
    return [
        Cohort(
            month=month_start(cohort),
            size=sizes.get(cohort, 0),
            active=tuple(active[cohort].get(k, 0) for k in range(last - cohort + 1)),
        )
        for cohort in range(start, last + 1)
    ]


def average_curve(cohorts: Sequence[Cohort]) -> list[float]:
    """Retention by month offset across cohorts, each offset weighted by the customers of the
    cohorts old enough to have reached it.

    >>> curve = average_curve([Cohort(date(2025, 1, 1), 2, (2, 1, 1)),
    ...                        Cohort(date(2025, 2, 1), 2, (2, 0))])
    >>> [round(x, 2) for x in curve]
    [1.0, 0.25, 0.5]
    """
    length = max((len(c.active) for c in cohorts), default=0)
    curve = []
    for k in range(length):
        reached = [c for c in cohorts if len(c.active) > k and c.size]
        size = sum(c.size for c in reached)
        curve.append(sum(c.active[k] for c in reached) / size if size else 0.0)
    return curve
