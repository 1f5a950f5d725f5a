"""Monthly acquisition cohorts: a retention triangle worked out by hand."""

from __future__ import annotations

from datetime import date

from devotion.analytics.cohorts import acquisition_cohorts, average_curve


def _rows() -> list[tuple[str, date]]:
    # January: ann, bo, cy. ann buys in Feb and Apr; bo in Mar; cy never again.
    # February: di (buys again in Feb: same month, and in Mar) and ed.
    # March: fay. April: gus (April is still under way on 10 April: left out).
    return [
        ("ann", date(2025, 1, 3)),
        ("ann", date(2025, 2, 14)),
        ("ann", date(2025, 4, 2)),
        ("bo", date(2025, 1, 20)),
        ("bo", date(2025, 3, 9)),
        ("cy", date(2025, 1, 31)),
        ("di", date(2025, 2, 1)),
        ("di", date(2025, 2, 27)),
        ("di", date(2025, 3, 15)),
        ("ed", date(2025, 2, 10)),
        ("fay", date(2025, 3, 5)),
        ("gus", date(2025, 4, 8)),
        ("ann", date(2025, 5, 1)),  # after as_of: ignored
    ]


def test_the_triangle_counts_each_cohorts_buyers_per_later_month():
    cohorts = acquisition_cohorts(_rows(), date(2025, 4, 10))
    assert [(c.month, c.size, c.active) for c in cohorts] == [
        (date(2025, 1, 1), 3, (3, 1, 1)),  # Feb: ann; Mar: bo; Apr incomplete
        (date(2025, 2, 1), 2, (2, 1)),  # Mar: di
        (date(2025, 3, 1), 1, (1,)),
    ]
    assert [round(r, 3) for r in cohorts[0].rates] == [1.0, 0.333, 0.333]


def test_a_complete_last_month_counts_and_later_orders_are_ignored():
    cohorts = acquisition_cohorts(_rows(), date(2025, 4, 30))
    assert cohorts[0].active == (3, 1, 1, 1)  # ann in April
    assert cohorts[-1].month == date(2025, 4, 1) and cohorts[-1].size == 1


def test_a_month_without_new_customers_is_an_empty_row():
    rows = [("a", date(2025, 1, 5)), ("a", date(2025, 3, 5)), ("b", date(2025, 3, 6))]
    cohorts = acquisition_cohorts(rows, date(2025, 3, 31))
    assert [(c.month.month, c.size, c.active) for c in cohorts] == [
        (1, 1, (1, 0, 1)),
        (2, 0, (0, 0)),
        (3, 1, (1,)),
    ]


def test_the_curve_weighs_each_month_by_the_cohorts_that_reached_it():
    cohorts = acquisition_cohorts(_rows(), date(2025, 4, 10))
    # M1: (1 of 3) + (1 of 2) = 2 of 5; M2: only January reached it, 1 of 3.
    assert [round(v, 3) for v in average_curve(cohorts)] == [1.0, 0.4, 0.333]


def test_no_orders_give_no_cohorts():
    assert acquisition_cohorts([], date(2025, 4, 10)) == []
    assert average_curve([]) == []


def test_months_keeps_only_the_most_recent_cohorts_without_reacquiring_anyone():
    cohorts = acquisition_cohorts(_rows(), date(2025, 4, 10), months=2)
    assert [(c.month.month, c.size) for c in cohorts] == [(2, 2), (3, 1)]
