"""The demo's Retention page step: two scoring runs a month apart, so segment movement
shows, and nothing added the second time."""

from __future__ import annotations

import pytest

from devotion.demo.retention_page import MONTH_AGO, ensure_segment_movement
from devotion.retention import views_scores
from devotion.retention.models import ScoringRun
from tests.scoring_helpers import store_business

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
