"""Long work runs as a Job: queued → running → done or failed, never twice, always recorded."""

from __future__ import annotations

import pytest
from django.tasks import task
from django_tasks_db.models import DBTaskResult

from devotion.core import jobs, queues
from devotion.core.models import Job

pytestmark = pytest.mark.django_db


def _job(**fields) -> Job:
    return jobs.create("score", "Score every customer", queue=queues.SCORING, **fields)


def test_a_job_runs_its_work_and_is_done_with_its_progress_and_log():
    def work(job: Job) -> str:
        job.set_progress(5, total=10, unit="people")
        job.write_log("Half way.")
        return "scored"

    job = _job()
    assert jobs.run(job, work) == "scored"
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.done, job.total, job.unit, job.percent) == (10, 10, "people", 100)
    assert job.started_at is not None and job.finished_at is not None
    assert [line.split(" ", 2)[2] for line in job.log_lines] == ["Started.", "Half way.", "Done."]


def test_a_failing_job_records_the_error_and_still_raises():
    def work(job: Job) -> None:
        raise ZeroDivisionError("division by zero")

    job = _job()
    with pytest.raises(ZeroDivisionError):
        jobs.run(job.pk, work)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "division by zero")
    assert "Failed: ZeroDivisionError: division by zero" in job.log
    assert job.finished_at is not None


def test_an_exception_without_a_message_is_named_by_its_type():
    def work(job: Job) -> None:
        raise KeyboardInterrupt

    job = _job()
    with pytest.raises(KeyboardInterrupt):
        jobs.run(job, work)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "KeyboardInterrupt")


@pytest.mark.parametrize("status", ["running", "done", "failed", "cancelled"])
def test_a_duplicated_task_finds_the_job_not_queued_and_runs_nothing(status):
    job = _job()
    Job.objects.filter(pk=job.pk).update(status=status)
    calls = []
    with pytest.raises(jobs.NotQueued):
        jobs.run(job.pk, calls.append)
    assert calls == []
    job.refresh_from_db()
    assert job.status == status


def test_a_queued_job_can_be_cancelled_and_a_running_one_cannot():
    job = _job()
    assert job.cancel()
    assert job.status == "cancelled" and job.finished_at is not None
    running = _job()
    running.claim()
    assert not running.cancel()


@task(queue_name=queues.SCORING)
def _score(job_id: int, factor: int) -> None:
    jobs.run(job_id, lambda job: job.write_log(f"factor {factor}"))


def test_enqueue_puts_the_task_on_the_jobs_queue_with_its_id():
    job = _job()
    jobs.enqueue(job, _score, 3)
    queued = DBTaskResult.objects.get()
    assert queued.queue_name == "scoring"
    assert queued.args_kwargs["args"] == [job.pk, 3]


def test_who_started_a_job_is_kept_and_the_command_line_is_nobody(manager):
    assert _job(started_by=manager).started_by == manager
    assert _job().started_by is None
