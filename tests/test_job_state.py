"""A job knows when it is stalled, when no worker picks it up, and keeps its log bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devotion.core.models import Job

pytestmark = pytest.mark.django_db


def _job(kind="score", status=Job.Status.RUNNING, **fields) -> Job:
    return Job.objects.create(kind=kind, label="x", status=status, **fields)


def test_running_without_progress_past_its_kinds_limit_is_stalled(monkeypatch):
    ago = timezone.now() - timedelta(minutes=11)
    assert _job(progress_at=ago).is_stalled
    assert not _job(progress_at=timezone.now()).is_stalled
    monkeypatch.setitem(Job.STALLED_AFTER, "analyze", timedelta(hours=1))
    assert not _job(kind="analyze", progress_at=ago).is_stalled


def test_finished_or_queued_work_is_never_stalled():
    ago = timezone.now() - timedelta(days=1)
    assert not _job(status=Job.Status.DONE, progress_at=ago).is_stalled
    assert not _job(status=Job.Status.QUEUED, created_at=ago).is_stalled


def test_queued_for_minutes_means_no_worker_serves_its_queue():
    assert _job(
        status=Job.Status.QUEUED, created_at=timezone.now() - timedelta(minutes=3)
    ).is_waiting_for_worker
    assert not _job(status=Job.Status.QUEUED).is_waiting_for_worker
    assert not _job(created_at=timezone.now() - timedelta(hours=1)).is_waiting_for_worker


def test_the_log_keeps_the_newest_lines_within_its_limit(monkeypatch):
    monkeypatch.setattr(Job, "LOG_MAX_CHARS", 500)
    job = _job()
    for number in range(100):
        job.write_log(f"line {number}")
    job.refresh_from_db()
    assert len(job.log) <= 500
    assert job.log_lines[0].endswith("(earlier lines dropped)")
    assert job.log_lines[-1].endswith("line 99")
    assert all(line[:4].isdigit() for line in job.log_lines)  # every line has its time


def test_a_multi_line_message_stamps_every_line():
    job = _job()
    job.write_log("first\nsecond")
    assert [line.split(" ", 2)[2] for line in job.log_lines] == ["first", "second"]
