"""Thinning old score snapshots: each scoring run writes one snapshot per customer, so a
nightly run at a million customers would add 365 million rows a year.

Kept: every run of the last :data:`DAILY_DAYS` days, then the last run of each ISO week for
a year, then the last run of each month. The runs themselves stay (their segment sizes and
stage moves are small and feed the Retention page); only the snapshots of the others go.
"""

from __future__ import annotations

from datetime import date

from devotion.retention.models import ScoreSnapshot, ScoringRun

DAILY_DAYS = 35
WEEKLY_DAYS = 365


def runs_to_keep(runs: list[tuple[int, date]], today: date) -> set[int]:
    """Ids of the runs whose snapshots stay, from ``(id, as_of)`` pairs.

    >>> from datetime import timedelta
    >>> d = date(2026, 12, 7)
    >>> runs = [(1, d), (2, d - timedelta(days=40)), (3, d - timedelta(days=39)),
    ...         (4, d - timedelta(days=395)), (5, d - timedelta(days=400))]
    >>> sorted(runs_to_keep(runs, d))
    [1, 3, 4]
    """
    keep: set[int] = set()
    last_of: dict[tuple[str, int, int], tuple[date, int]] = {}
    for run_id, as_of in runs:
        age = (today - as_of).days
        if age < DAILY_DAYS:
            keep.add(run_id)
            continue
        if age < WEEKLY_DAYS:
            year, week, _ = as_of.isocalendar()
            bucket = ("week", year, week)
        else:
            bucket = ("month", as_of.year, as_of.month)
        if bucket not in last_of or (as_of, run_id) > last_of[bucket]:
            last_of[bucket] = (as_of, run_id)
    keep.update(run_id for _, run_id in last_of.values())
    if runs:
        keep.add(max(runs, key=lambda r: (r[1], r[0]))[0])  # the latest run, always
    return keep


def prune_snapshots(today: date) -> int:
    """Delete the snapshots of runs not kept (see the module); how many went."""
    runs = list(ScoringRun.objects.values_list("id", "as_of"))
    gone = [run_id for run_id, _ in runs if run_id not in runs_to_keep(runs, today)]
    if not gone:
        return 0
    deleted, _ = ScoreSnapshot.objects.filter(run_id__in=gone).delete()
    return deleted
