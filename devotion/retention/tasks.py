"""Scoring as background work on the ``scoring`` queue: a manager's "Recompute" and the
nightly run. Both record a :class:`~devotion.core.models.Job` with progress and log, and
queue the retention analysis (devotion/retention/analysis.py) when scoring ends.

The nightly run keeps itself going: each one first queues the next (for
``SCORING_HOUR`` o'clock in ``DEVOTION_TIME_ZONE``), and :func:`schedule_nightly` starts
the chain (``devotion score``, the demo and a manager's recompute call it; it does nothing
when a nightly run is already waiting).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from devotion.core import jobs, queues
from devotion.core.models import Job
from devotion.retention import analysis
from devotion.retention.pruning import prune_snapshots

KIND = "score"
SCORING_HOUR = 2  # the nightly run starts at 02:00 local time


def start_recompute(started_by: Any, *, retrain: bool = False) -> Job:
    """Queue a scoring run now (a manager's "Recompute", on the Retention page or under
    Settings > Scoring), and the retention analysis after it: its job is recorded now (so
    the page shows both waiting) and queued by the scoring task when scoring ends."""
    label = "Recompute scores" + (" (retrain the models)" if retrain else "")
    job = jobs.create(KIND, label, queue=queues.SCORING, started_by=started_by)
    then = analysis.create_job(started_by)
    jobs.enqueue(job, score_everyone, None, retrain, then.pk)
    schedule_nightly()
    return job


@task(queue_name=queues.SCORING)
def score_everyone(
    job_id: int, as_of: str | None = None, retrain: bool = False, analysis_job: int | None = None
) -> None:
    """Run the scoring of one queued job; then queue the retention analysis job
    ``analysis_job`` (also when scoring failed: the analysis does not need the scores)."""
    day = date.fromisoformat(as_of) if as_of else None
    try:
        jobs.run(job_id, lambda job: run_scoring(day, retrain=retrain, job=job))
    except jobs.NotQueued:
        return  # a duplicated or retried task: the job already ran (and queued the next)
    finally:
        if analysis_job is not None:
            _queue_analysis(analysis_job)


def _queue_analysis(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).first()
    if job is not None:
        jobs.enqueue(job, analysis.analyse_retention)


def run_scoring(*args: Any, **kwargs: Any) -> Any:
    """:func:`devotion.retention.scoring.run_scoring`, imported when a run starts: it brings
    scikit-learn and SciPy (1.5 s to import on a slow machine), and every command's system
    checks import this module through the URLs."""
    from devotion.retention.scoring import run_scoring as run

    return run(*args, **kwargs)


def next_nightly(now: datetime | None = None) -> datetime:
    """The next SCORING_HOUR o'clock, local time."""
    local = timezone.localtime(now or timezone.now())
    at = local.replace(hour=SCORING_HOUR, minute=0, second=0, microsecond=0)
    return (
        at
        if at > local
        else timezone.make_aware(
            datetime.combine(local.date() + timedelta(days=1), time(SCORING_HOUR)),
            local.tzinfo,
        )
    )


def schedule_nightly() -> bool:
    """Queue the next nightly run unless one is waiting; True when it queued one."""
    path = f"{nightly_scoring.func.__module__}.{nightly_scoring.func.__qualname__}"
    if DBTaskResult.objects.filter(task_path=path, status="READY").exists():
        return False
    nightly_scoring.using(run_after=next_nightly()).enqueue()
    return True


@task(queue_name=queues.SCORING)
def nightly_scoring() -> None:
    """Score everyone as of now, after queueing tomorrow's run."""
    nightly_scoring.using(run_after=next_nightly(timezone.now() + timedelta(minutes=1))).enqueue()
    job = jobs.create(KIND, "Nightly scoring", queue=queues.SCORING)
    try:
        jobs.run(job, _score_and_prune)
    finally:
        # The retention analysis after it, so the Retention page is fresh every morning.
        jobs.enqueue(analysis.create_job(), analysis.analyse_retention)


def _score_and_prune(job: Job) -> Any:
    """The nightly run: score, then thin old snapshots (devotion/retention/pruning.py)."""
    outcome = run_scoring(job=job)
    pruned = prune_snapshots(timezone.localdate())
    if pruned:
        job.write_log(
            f"Removed {pruned:,} old score snapshots (kept: daily for 35 days, then weekly "
            "for a year, then monthly)."
        )
    return outcome
