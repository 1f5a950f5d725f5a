"""The demo's voice step: every text analysed, an emerging problem, an escalation and a rude
reply of ours flagged; a second run adds nothing."""

from __future__ import annotations

import pytest

from devotion.core.models import Job
from devotion.demo.generator import generate
from devotion.demo.loading import ensure_staff, load
from devotion.demo.voice import ensure_voice
from devotion.touchpoints.models import Touchpoint
from devotion.voice import topics
from devotion.voice.models import TextAnalysis

pytestmark = pytest.mark.django_db


def test_the_demo_shows_an_emerging_problem_an_escalation_and_a_rude_reply(
    django_capture_on_commit_callbacks,
):
    ensure_staff()
    with django_capture_on_commit_callbacks(execute=True):
        load(generate(seed=7, size="small"))
    first = ensure_voice()
    assert first["added"] == 20 and first["analysed"] > 400
    emerging = topics.emerging_problems(topics.summaries())
    # The grinders first (the most unusual); the demo's own holiday shipping delays may rise too.
    assert emerging[0].label == "damaged item"
    assert emerging[0].people >= 15
    assert TextAnalysis.objects.filter(escalation=True, touchpoint__source="demo-voice").exists()
    assert TextAnalysis.objects.filter(rude=True, touchpoint__source="demo-voice").exists()
    # The per-batch jobs loading queued were done by the demo's own step.
    assert not Job.objects.filter(kind="analyze", status=Job.Status.QUEUED).exists()
    counts = (Touchpoint.objects.count(), TextAnalysis.objects.count(), Job.objects.count())
    assert ensure_voice() == {"added": 0, "analysed": 0, "total": counts[1]}
    assert (Touchpoint.objects.count(), TextAnalysis.objects.count(), Job.objects.count()) == counts
