"""The demo's Retention page step: two scoring runs a month apart, so segment movement
shows, and nothing added the second time."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from devotion.demo.retention_page import MONTH_AGO, ensure_segment_movement
from devotion.retention import views_scores
from devotion.retention.models import ScoringRun
from tests.scoring_helpers import as_of_day, store_business

pytestmark = pytest.mark.django_db


def test_two_runs_a_month_apart_then_nothing_more(settings, tmp_path):
    settings.HOME = tmp_path
    store_business(80)
    said = ensure_segment_movement()
    assert "moved by" in said
    last, previous = views_scores.latest_runs()
    assert last is not None and previous is not None
    assert (last.as_of - previous.as_of).days == MONTH_AGO
    assert last.model is not None and last.model.trained_as_of == last.as_of
    assert "already here" in ensure_segment_movement()
    assert ScoringRun.objects.count() == 2


def test_the_team_takes_on_the_most_valuable_customers_at_risk(settings, tmp_path, agent):
    from devotion.demo.retention_page import OWNED_AT_RISK, ensure_at_risk_owners
    from devotion.team.models import StaffMember

    settings.HOME = tmp_path
    store_business(120)
    call_command(
        "score", "--as-of", as_of_day(800).isoformat(), stdout=StringIO(), stderr=StringIO()
    )
    StaffMember.objects.get_or_create(user=agent, defaults={"display_name": "Agnes"})
    rows = views_scores.at_risk_page(None, 1)["rows"]
    assert ensure_at_risk_owners() == min(OWNED_AT_RISK, len(rows)) > 0
    rows = views_scores.at_risk_page(None, 1)["rows"]
    assert all(row["owner"] is not None for row in rows[:OWNED_AT_RISK])
    assert ensure_at_risk_owners() == 0
