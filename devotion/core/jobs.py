"""Running long work as a :class:`~devotion.core.models.Job`: one record, one way to run it.

In a request (or anywhere that should not wait)::

    job = jobs.create("score", "Score every customer", queue=queues.SCORING, started_by=user)
    jobs.enqueue(job, score_everyone)     # a django task taking the job id, on the job's queue

In the task, which the worker serving that queue runs::

    @task(queue_name=queues.SCORING)
    def score_everyone(job_id: int) -> None:
        jobs.run(job_id, work)            # work(job) gets job.set_progress() and job.write_log()

From the command line, the same work runs synchronously with a record of its own::

    jobs.run(jobs.create("score", "Score every customer", queue=queues.SCORING), work)

``run`` marks the job running (only if it is still queued: a duplicated or retried task finds
it running or done and does nothing), calls the work, and marks it done, or failed with the
exception's message and type in the log before re-raising, so no failure goes unrecorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.tasks import Task

from devotion.core.models import Job

log = logging.getLogger(__name__)


class NotQueued(Exception):
    """The job was not queued any more when run: it already ran, runs, or was cancelled."""


def create(
    kind: str,
    label: str,
    *,
    queue: str,
    started_by: Any = None,
    total: int | None = None,
    unit: str = "",
) -> Job:
    """Record a piece of work asked for (queued). ``started_by`` is a user or None (CLI, cron)."""
    return Job.objects.create(
        kind=kind,
        label=label[:300],
        queue=queue,
        started_by=started_by if getattr(started_by, "is_authenticated", False) else None,
        total=total,
        unit=unit,
    )


def enqueue(job: Job, task: Task[Any, Any], *args: Any) -> None:
    """Enqueue ``task(job.pk, *args)`` on the job's queue; the task should call :func:`run`."""
    task.using(queue_name=job.queue).enqueue(job.pk, *args)


def run(job: Job | int, work: Callable[[Job], Any]) -> Any:
    """Run ``work(job)`` as the job: queued → running → done (returns what work returned) or
    failed (records the error, then raises). Raises :class:`NotQueued`, running nothing, when
    the job is not queued."""
    if not isinstance(job, Job):
        job = Job.objects.get(pk=job)
    job.write_log("Started.", save=False)  # saved by the claim
    if not job.claim():
        job.refresh_from_db(fields=["status", "log"])
        raise NotQueued(f"job {job.pk} is {job.status}, not queued")
    try:
        result = work(job)
    except BaseException as exc:
        # BaseException too: a worker stopped mid-job (SystemExit) leaves a record, not a
        # job that looks running forever.
        message = str(exc) or type(exc).__name__
        job.write_log(f"Failed: {type(exc).__name__}: {message}", save=False)
        job.finish(Job.Status.FAILED, error=message)
        log.info("job %s (%s) failed: %s", job.pk, job.kind, message)
        raise
    job.write_log("Done.", save=False)
    job.finish(Job.Status.DONE)
    return result
