"""Win-backs: lapsed customers who came back, how long each return lasted and what it cost.

The rules, stated once (:class:`LapseRule`, :class:`PaybackRule`):

- **Rhythm.** A customer's rhythm is the median gap between their consecutive order days,
  counting only the gaps that were not lapses (a long absence does not stretch the rhythm).
- **Lapse.** A gap is a lapse when it is longer than ``rhythm_factor`` x their rhythm so far,
  and never shorter than ``min_days``; with no rhythm yet (one earlier order day) a gap is a
  lapse past ``first_gap_days``. Only what was known before the gap is used.
- **Win-back.** The order that ends a lapse. It came *with an incentive* when that order
  carried a discount (order lines with money off) or a coupon; its *cost* is the money off.
- **Stay.** The orders from the win-back until the next lapse (or until ``as_of``): how many
  days from the return to the last of them, how many orders, what they brought in. A stay
  not yet ended by a lapse (the customer is still within their allowed gap) is *ongoing*.
- **Payback.** Another discount is unlikely to pay back when the margin (``margin`` x net
  revenue) expected from the next return is smaller than the last discount. The next return
  is expected to bring what the last one did, shrunk by the ratio of the last return's revenue
  to the one before (the decay), never grown.

Plain Python, no Django: order rows in, win-backs and tables out.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import median


@dataclass(frozen=True, slots=True)
class LapseRule:
    """When a gap between orders counts as a lapse (see the module's rules)."""

    min_days: int = 120
    rhythm_factor: float = 4.0
    first_gap_days: int = 365

    def allowed_gap(self, rhythm_gaps: Sequence[int]) -> float:
        """The longest gap that is not a lapse, given the non-lapse gaps so far.

        >>> rule = LapseRule()
        >>> rule.allowed_gap([]), rule.allowed_gap([20, 30, 40]), rule.allowed_gap([50, 60])
        (365, 120, 220.0)
        """
        if not rhythm_gaps:
            return max(self.min_days, self.first_gap_days)
        return max(self.min_days, self.rhythm_factor * median(rhythm_gaps))


@dataclass(frozen=True, slots=True)
class PaybackRule:
    """When another win-back discount is unlikely to pay back (see the module's rules)."""

    margin: float = 0.4


@dataclass(frozen=True, slots=True)
class Order:
    """One order: who, when, net amount (after discounts, reporting currency), money off,
    and whether it carried an incentive (a discount or a coupon)."""

    person: Hashable
    day: date
    amount: float = 0.0
    discount: float = 0.0
    coupon: bool = False

    @property
    def incentive(self) -> bool:
        return self.coupon or self.discount > 0


@dataclass(slots=True)
class WinBack:
    """One return of a lapsed customer and the stay that followed."""

    person: Hashable
    number: int  # 1 for their first win-back, 2 for the second...
    returned_on: date
    lapsed_days: int  # the gap that ended with this return
    incentive: bool
    cost: float  # money off the returning order
    orders: int = 1  # in the stay, the return included
    revenue: float = 0.0  # net, over the stay
    last_order: date = field(default=date.min)
    ongoing: bool = False

    @property
    def stayed_days(self) -> int:
        """Days from the return to the last order of the stay."""
        return (self.last_order - self.returned_on).days


def _order_days(orders: Iterable[Order], as_of: date) -> dict[Hashable, list[Order]]:
    """Each person's orders up to ``as_of``, one per day (same-day orders added together)."""
    by_day: dict[tuple[Hashable, date], Order] = {}
    for order in orders:
        if order.day > as_of:
            continue
        key = (order.person, order.day)
        seen = by_day.get(key)
        if seen is not None:
            order = Order(
                order.person,
                order.day,
                seen.amount + order.amount,
                seen.discount + order.discount,
                seen.coupon or order.coupon,
            )
        by_day[key] = order
    people: dict[Hashable, list[Order]] = defaultdict(list)
    for (person, _), order in sorted(by_day.items(), key=lambda item: item[0][1]):
        people[person].append(order)
    return people


def rhythm(days: Sequence[date], rule: LapseRule = LapseRule()) -> list[int]:
    """The non-lapse gaps (days) between consecutive order days: the person's rhythm.

    >>> rhythm([date(2025, 1, 1), date(2025, 1, 31), date(2025, 3, 2), date(2025, 12, 1)])
    [30, 30]
    """
    gaps: list[int] = []
    for before, after in itertools.pairwise(days):
        gap = (after - before).days
        if gap <= rule.allowed_gap(gaps):
            gaps.append(gap)
    return gaps


def detect_winbacks(
    orders: Iterable[Order], as_of: date, rule: LapseRule = LapseRule()
) -> list[WinBack]:
    """Every win-back in ``orders`` up to ``as_of``, per person in order.

    Examples
    --------
    Monthly for three months, gone for 200 days, back with a discount for two orders, gone
    again, back once more with a discount and still within their rhythm on ``as_of``:

    >>> d = date
    >>> rows = [Order("ann", d(2024, 1, 1), 50), Order("ann", d(2024, 2, 1), 50),
    ...         Order("ann", d(2024, 3, 2), 50),
    ...         Order("ann", d(2024, 9, 18), 40, discount=10), Order("ann", d(2024, 10, 18), 50),
    ...         Order("ann", d(2025, 6, 1), 40, discount=10)]
    >>> for w in detect_winbacks(rows, d(2025, 6, 20)):
    ...     print(w.number, w.returned_on, w.lapsed_days, w.cost, w.orders, w.revenue,
    ...           w.stayed_days, w.ongoing)
    1 2024-09-18 200 10 2 90 30 False
    2 2025-06-01 226 10 1 40 0 True
    """
    found: list[WinBack] = []
    for person, days in _order_days(orders, as_of).items():
        gaps: list[int] = []
        current: WinBack | None = None
        for before, order in itertools.pairwise(days):
            gap = (order.day - before.day).days
            if gap > rule.allowed_gap(gaps):
                number = current.number + 1 if current else 1
                current = WinBack(
                    person=person,
                    number=number,
                    returned_on=order.day,
                    lapsed_days=gap,
                    incentive=order.incentive,
                    cost=order.discount,
                    revenue=order.amount,
                    last_order=order.day,
                )
                found.append(current)
                continue
            gaps.append(gap)
            if current is not None:
                current.orders += 1
                current.revenue += order.amount
                current.last_order = order.day
        if current is not None and current.last_order == days[-1].day:
            current.ongoing = (as_of - current.last_order).days <= rule.allowed_gap(gaps)
    return found


@dataclass(frozen=True, slots=True)
class DecayRow:
    """The win-backs with one number (1st, 2nd...; the last row gathers the later ones)."""

    number: int
    label: str
    winbacks: int
    with_incentive: int
    mean_stay_days: float  # over all stays, an ongoing one counted to its latest order
    median_stay_days: float | None  # over ended stays
    mean_orders: float  # per stay, ended or not
    mean_revenue: float
    mean_cost: float  # per win-back with an incentive
    total_cost: float
    ongoing: int
    revenue_per_cost: float | None  # revenue of incentive win-backs per unit of money off


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd...

    >>> [_ordinal(n) for n in (1, 2, 3, 4, 11, 22)]
    ['1st', '2nd', '3rd', '4th', '11th', '22nd']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def decay_table(winbacks: Iterable[WinBack], *, last: int = 4) -> list[DecayRow]:
    """Win-backs grouped by number (the ``last``-th row holds that number and later ones).

    >>> d = date
    >>> rows = [WinBack("a", 1, d(2024, 1, 1), 120, True, 10, 3, 150, d(2024, 3, 1)),
    ...         WinBack("a", 2, d(2024, 9, 1), 150, True, 10, 1, 40, d(2024, 9, 1)),
    ...         WinBack("b", 1, d(2024, 2, 1), 100, False, 0, 2, 80, d(2024, 2, 21))]
    >>> for r in decay_table(rows):
    ...     print(r.label, r.winbacks, r.with_incentive, r.median_stay_days, r.mean_cost,
    ...           r.revenue_per_cost)
    1st 2 1 40.0 10.0 15.0
    2nd 1 1 0.0 10.0 4.0
    """
    groups: dict[int, list[WinBack]] = defaultdict(list)
    for winback in winbacks:
        groups[min(winback.number, last)].append(winback)
    rows = []
    for number in sorted(groups):
        group = groups[number]
        paid = [w for w in group if w.incentive]
        ended = [w.stayed_days for w in group if not w.ongoing]
        cost = sum(w.cost for w in paid)
        rows.append(
            DecayRow(
                number=number,
                label=_ordinal(number) + (" or later" if number == last else ""),
                winbacks=len(group),
                with_incentive=len(paid),
                mean_stay_days=sum(w.stayed_days for w in group) / len(group),
                median_stay_days=float(median(ended)) if ended else None,
                mean_orders=sum(w.orders for w in group) / len(group),
                mean_revenue=sum(w.revenue for w in group) / len(group),
                mean_cost=cost / len(paid) if paid else 0.0,
                total_cost=cost,
                ongoing=sum(1 for w in group if w.ongoing),
                revenue_per_cost=sum(w.revenue for w in paid) / cost if cost else None,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class PaybackFlag:
    """A customer for whom another win-back discount is unlikely to pay back, and why."""

    person: Hashable
    winbacks: int  # how many times they were won back
    paid_winbacks: int  # ... of which with an incentive
    last_cost: float
    last_revenue: float
    decay: float  # last return's revenue / the one before (1.0 with one return), at most 1
    expected_margin: float  # from the next return, at the rule's margin


def payback_flags(
    winbacks: Iterable[WinBack], rule: PaybackRule = PaybackRule()
) -> list[PaybackFlag]:
    """People whose latest win-back came with a discount that the next return is unlikely to
    earn back (the rule is in the module docstring), the costliest first.

    >>> d = date
    >>> rows = [WinBack("a", 1, d(2024, 1, 1), 120, True, 10, 3, 150, d(2024, 3, 1)),
    ...         WinBack("a", 2, d(2024, 9, 1), 150, True, 12, 1, 36, d(2024, 9, 1)),
    ...         WinBack("b", 1, d(2024, 2, 1), 100, True, 10, 2, 80, d(2024, 2, 21))]
    >>> [(f.person, round(f.decay, 2), round(f.expected_margin, 2)) for f in payback_flags(rows)]
    [('a', 0.24, 3.46)]
    """
    by_person: dict[Hashable, list[WinBack]] = defaultdict(list)
    for winback in winbacks:
        by_person[winback.person].append(winback)
    flags = []
    for person, returns in by_person.items():
        returns.sort(key=lambda w: w.number)
        latest = returns[-1]
        if not latest.incentive or latest.cost <= 0:
            continue  # no discount to repeat, or its size unknown: nothing to judge
        decay = 1.0
        if len(returns) > 1 and returns[-2].revenue > 0:
            decay = min(1.0, latest.revenue / returns[-2].revenue)
        expected = rule.margin * latest.revenue * decay
        if expected < latest.cost:
            flags.append(
                PaybackFlag(
                    person=person,
                    winbacks=len(returns),
                    paid_winbacks=sum(1 for w in returns if w.incentive),
                    last_cost=latest.cost,
                    last_revenue=latest.revenue,
                    decay=decay,
                    expected_margin=expected,
                )
            )
    flags.sort(key=lambda f: (-f.last_cost, str(f.person)))
    return flags


@dataclass(frozen=True, slots=True)
class Overdue:
    """How long since a customer's last order against how long their rhythm allows."""

    days_since: int
    allowed_days: float
    typical_gap: float | None  # their median gap; None with a single order day

    @property
    def is_overdue(self) -> bool:
        return self.days_since > self.allowed_days


def overdue(days: Sequence[date], as_of: date, rule: LapseRule = LapseRule()) -> Overdue | None:
    """Whether a customer with these order days is overdue on ``as_of`` (None: no orders).

    >>> overdue([date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)], date(2025, 7, 1))
    Overdue(days_since=122, allowed_days=120, typical_gap=29.5)
    >>> overdue([date(2025, 1, 1)], date(2025, 3, 1)).is_overdue
    False
    """
    days = sorted(d for d in set(days) if d <= as_of)
    if not days:
        return None
    gaps = rhythm(days, rule)
    return Overdue(
        days_since=(as_of - days[-1]).days,
        allowed_days=rule.allowed_gap(gaps),
        typical_gap=float(median(gaps)) if gaps else None,
    )
