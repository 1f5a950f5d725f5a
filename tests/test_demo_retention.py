"""The demo's retention story: coupon win-backs whose returns shrink, quiet promoters, saved
segments and a year of spend, analysed, and nothing added the second time."""

from __future__ import annotations

from datetime import date

import pytest

from devotion.demo.retention import QUIET_PROMOTERS, SEGMENTS, ensure_retention
from devotion.retention.models import RetentionReport, RetentionSpend, Segment

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 15)


def test_the_story_shows_winback_decay_and_satisfied_defectors():
    added = ensure_retention(seed=7, today=TODAY)
    assert added["events"] > 500 and added["segments"] == len(SEGMENTS)
    assert added["months"] == 12 and added["reports"] == 1
    data = RetentionReport.latest().data
    first, second, third = data["decay"][:3]
    assert first["with_incentive"] and second["with_incentive"] and third["with_incentive"]
    # Each return is shorter, and earns less per unit of discount, than the one before.
    assert first["mean_stay_days"] > second["mean_stay_days"] > third["mean_stay_days"]
    assert first["revenue_per_cost"] > second["revenue_per_cost"] > third["revenue_per_cost"]
    assert len(data["builtin_members"]["discount_wont_pay"]) >= 10
    assert len(data["builtin_members"]["satisfied_defectors"]) >= QUIET_PROMOTERS
    # A year of spend, the twelve months before this one.
    months = sorted(RetentionSpend.objects.values_list("month", flat=True))
    assert months[0] == date(2025, 3, 1) and months[-1] == date(2026, 2, 1)


def test_a_second_run_adds_nothing_and_keeps_a_managers_figures():
    ensure_retention(seed=7, today=TODAY)
    RetentionSpend.objects.filter(month=date(2026, 2, 1)).update(acquisition_spend=1)
    again = ensure_retention(seed=7, today=TODAY)
    assert again == {"events": 0, "segments": 0, "months": 0, "reports": 0}
    assert RetentionReport.objects.count() == 1
    assert RetentionSpend.objects.get(month=date(2026, 2, 1)).acquisition_spend == 1
    assert Segment.objects.filter(builtin="").count() == len(SEGMENTS)
