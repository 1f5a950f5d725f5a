"""Win-backs: detection against each customer's own rhythm, the decay from one win-back to
the next, and the rule that says another discount will not pay back."""

from __future__ import annotations

from datetime import date, timedelta

from devotion.analytics.winbacks import (
    LapseRule,
    Order,
    PaybackRule,
    decay_table,
    detect_winbacks,
    overdue,
    payback_flags,
)

START = date(2024, 1, 1)


def _monthly(person: str, start: date, count: int, every: int = 30, **kw) -> list[Order]:
    return [Order(person, start + timedelta(days=every * i), 50.0, **kw) for i in range(count)]


def test_a_long_gap_against_their_own_rhythm_is_a_lapse_and_the_return_a_winback():
    orders = _monthly("ann", START, 4)  # every 30 days: a lapse is past 4 x 30 = 120 days
    back = START + timedelta(days=90 + 150)
    orders += [Order("ann", back, 40.0, discount=10.0), Order("ann", back + timedelta(30), 50.0)]
    (winback,) = detect_winbacks(orders, back + timedelta(days=40))
    assert (winback.number, winback.returned_on, winback.lapsed_days) == (1, back, 150)
    assert winback.incentive and winback.cost == 10.0
    assert (winback.orders, winback.revenue, winback.stayed_days) == (2, 90.0, 30)
    assert winback.ongoing  # 10 days since their last order: still within their rhythm


def test_a_gap_within_their_rhythm_is_not_a_lapse():
    # An occasional buyer (every 100 days) waiting 300 days has not lapsed (4 x 100 = 400).
    orders = _monthly("bo", START, 3, every=100)
    orders.append(Order("bo", START + timedelta(days=500), 50.0))
    assert detect_winbacks(orders, START + timedelta(days=510)) == []


def test_the_minimum_and_the_first_gap_thresholds_apply():
    rule = LapseRule(min_days=120, rhythm_factor=4, first_gap_days=365)
    # Weekly buyer: 4 x 7 = 28 days, but never under 120.
    weekly = _monthly("cy", START, 5, every=7)
    weekly.append(Order("cy", START + timedelta(days=28 + 100), 50.0))
    assert detect_winbacks(weekly, START + timedelta(days=200), rule) == []
    # A one-order customer lapses only past first_gap_days.
    once = [Order("di", START, 50.0), Order("di", START + timedelta(days=300), 50.0)]
    assert detect_winbacks(once, START + timedelta(days=301), rule) == []
    once[1] = Order("di", START + timedelta(days=400), 50.0)
    assert len(detect_winbacks(once, START + timedelta(days=401), rule)) == 1


def test_a_coupon_without_money_off_is_an_incentive_of_unknown_cost():
    back = Order("ed", START + timedelta(days=300), 50.0, coupon=True)
    orders = [*_monthly("ed", START, 3), back]
    (winback,) = detect_winbacks(orders, START + timedelta(days=301))
    assert winback.incentive and winback.cost == 0.0
    assert payback_flags([winback]) == []  # nothing to judge without the discount's size


def test_orders_after_as_of_are_ignored():
    orders = [*_monthly("fay", START, 3), Order("fay", START + timedelta(days=300), 50.0)]
    assert detect_winbacks(orders, START + timedelta(days=200)) == []


def _three_winbacks() -> list[Order]:
    """Ann: monthly, then won back three times with bigger coupons for shorter stays."""
    orders = _monthly("ann", START, 5)
    day = START + timedelta(days=120)
    for stay, cut in ((4, 8.0), (2, 10.0), (1, 15.0)):
        day += timedelta(days=150)
        orders.append(Order("ann", day, 50.0 - cut, discount=cut))
        orders += _monthly("ann", day + timedelta(days=30), stay - 1)
        day += timedelta(days=30 * (stay - 1))
    return orders


def test_each_winback_is_numbered_and_the_stays_shrink():
    winbacks = detect_winbacks(_three_winbacks(), date(2026, 6, 1))
    assert [w.number for w in winbacks] == [1, 2, 3]
    assert [w.orders for w in winbacks] == [4, 2, 1]
    assert [w.stayed_days for w in winbacks] == [90, 30, 0]
    assert [w.cost for w in winbacks] == [8.0, 10.0, 15.0]
    assert [w.ongoing for w in winbacks] == [False, False, False]


def test_the_decay_table_shows_shorter_stays_for_more_money_off():
    orders = _three_winbacks()
    # Bo: one win-back with no incentive, a long stay.
    orders += _monthly("bo", START, 3)
    orders += _monthly("bo", START + timedelta(days=60 + 200), 6)
    rows = decay_table(detect_winbacks(orders, date(2026, 6, 1)))
    assert [r.label for r in rows] == ["1st", "2nd", "3rd"]
    first, second, third = rows
    assert (first.winbacks, first.with_incentive) == (2, 1)
    assert first.median_stay_days == (90 + 150) / 2
    assert second.mean_stay_days == 30 and third.mean_stay_days == 0
    assert (first.mean_cost, second.mean_cost, third.mean_cost) == (8.0, 10.0, 15.0)
    # Revenue per unit of discount falls: 192/8, 90/10, 35/15.
    assert [round(r.revenue_per_cost, 2) for r in rows] == [24.0, 9.0, 2.33]


def test_later_winbacks_gather_in_the_last_row():
    rows = decay_table(detect_winbacks(_three_winbacks(), date(2026, 6, 1)), last=2)
    assert [(r.label, r.winbacks) for r in rows] == [("1st", 1), ("2nd or later", 2)]


def test_it_flags_a_customer_whose_next_return_would_not_earn_the_discount_back():
    flags = payback_flags(detect_winbacks(_three_winbacks(), date(2026, 6, 1)))
    (flag,) = flags
    # Last return: 35 after a 15 discount; the one before brought 90 -> decay 35/90.
    # Expected margin of the next: 0.4 x 35 x 35/90 = 5.44 < 15.
    assert flag.person == "ann" and flag.winbacks == 3 and flag.paid_winbacks == 3
    assert round(flag.decay, 3) == round(35 / 90, 3)
    assert round(flag.expected_margin, 2) == 5.44


def test_a_return_that_still_earns_its_discount_back_is_not_flagged():
    winbacks = detect_winbacks(_three_winbacks(), date(2026, 6, 1))
    assert payback_flags([w for w in winbacks if w.number == 1]) == []  # 0.4 x 192 >= 8
    # After the 2nd: 0.4 x 90 x 90/192 = 16.9 >= 10.
    assert payback_flags([w for w in winbacks if w.number <= 2]) == []
    # A thinner margin makes even that one a loss: 0.2 x 90 x 90/192 = 8.4 < 10.
    assert len(payback_flags([w for w in winbacks if w.number <= 2], PaybackRule(0.2))) == 1


def test_overdue_compares_time_since_the_last_order_with_their_rhythm():
    days = [START + timedelta(days=30 * i) for i in range(4)]
    late = overdue(days, days[-1] + timedelta(days=121))
    assert late is not None and late.is_overdue and late.typical_gap == 30
    assert not overdue(days, days[-1] + timedelta(days=100)).is_overdue
    assert overdue([], START) is None
