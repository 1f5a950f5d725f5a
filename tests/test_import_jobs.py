"""Every import is a job, however it was started, and its task never imports twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from devotion.core.models import Job
from devotion.ingest.models import ImportRun
from devotion.ingest.tasks import run_import
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

ORDERS = (
    "external_id,occurred_at,email,amount,currency\n"
    "o-1,2025-05-01T10:00:00Z,ada@example.com,10.00,USD\n"
    "o-2,2025-05-02T10:00:00Z,not-an-email,5.00,USD\n"
)


def test_a_command_line_import_is_recorded_as_a_job_started_by_nobody(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    call_command("import_data", "orders", str(path))
    job = Job.objects.get()
    assert (job.kind, job.queue, job.status, job.started_by) == ("import", "imports", "done", None)
    assert job.label == "Import orders from generic: orders.csv"
    assert job.import_run.rows_accepted == 1
    assert "2 records: 1 stored, 0 already there, 1 rejected." in job.log
    assert (job.done, job.total, job.unit) == (path.stat().st_size, path.stat().st_size, "bytes")


def test_a_duplicated_import_task_runs_the_import_once(tmp_path, manager):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    run = ImportRun.objects.record(
        kind="orders", source="generic", filename="orders.csv", path=str(path), started_by=manager
    )
    run_import.call(run.job_id)
    Touchpoint.objects.all().delete()  # a second import would store the order again
    run_import.call(run.job_id)
    assert Touchpoint.objects.count() == 0
    run.job.refresh_from_db()
    assert (run.job.status, run.job.started_by) == ("done", manager)
    assert run.job.log.count("Started.") == 1
