"""The demo's Retention page steps: a second scoring run, so the page shows how RFM segments
moved since the last run; and owners for the most valuable customers at risk, so the at-risk
list shows who is on them.

The demo is scored once as of today (``demo/scoring.py``); a business that has run Devotion
for a while has a run from before. This step scores as of 30 days ago and then as of today
again (retraining, so the report card shows a model trained on everything up to today): the
last two runs are a month apart and their segment sizes differ as customers came and went.

Idempotent: the runs only while there are fewer than two finished scoring runs; the owners
only while nobody at risk has one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devotion.core import jobs, queues
from devotion.followup.models import PersonOwner
from devotion.retention import views_scores
from devotion.retention.models import ScoringRun
from devotion.retention.scoring import run_scoring
from devotion.team.models import StaffMember

MONTH_AGO = 30  # days between the two runs
OWNED_AT_RISK = 5  # the most valuable customers at risk the account team took on


def ensure_segment_movement() -> str:
    """Score as of a month ago, then today; what moved, in one line."""
    if ScoringRun.objects.filter(finished_at__isnull=False).count() >= 2:
        return "Scoring history is already here (the Retention page compares the last two runs)."
    earlier = datetime.now(UTC).date() - timedelta(days=MONTH_AGO)
    job = jobs.create("score", f"Score the demo as of {earlier}", queue=queues.SCORING)
    before = jobs.run(job, lambda j: run_scoring(earlier, job=j)).run
    job = jobs.create("score", "Score the demo as of today", queue=queues.SCORING)
    after = jobs.run(job, lambda j: run_scoring(retrain=True, job=j)).run
    moved = sum(
        abs(after.segments.get(name, 0) - before.segments.get(name, 0))
        for name in set(after.segments) | set(before.segments)
    )
    return (
        f"Scored as of {earlier} and again today: RFM segment sizes moved by {moved:,} people "
        "in all (see Retention > Value at risk by RFM segment)."
    )


def ensure_at_risk_owners() -> int:
    """The team takes on the most valuable customers at risk (after follow-up made the team);
    how many it took on."""
    staff = list(StaffMember.objects.filter(user__isnull=False).order_by("pk"))
    at_risk = views_scores.at_risk_page(None, 1)["rows"]
    if not staff or any(row["owner"] is not None for row in at_risk):
        return 0
    taken = [row["person"] for row in at_risk[:OWNED_AT_RISK]]
    PersonOwner.objects.bulk_create(
        [PersonOwner(person=p, owner=staff[i % len(staff)]) for i, p in enumerate(taken)],
        ignore_conflicts=True,
    )
    return len(taken)
