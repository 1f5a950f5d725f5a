"""Upgrading moves every existing import's lifecycle onto a Job, with the values it had."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("ingest", "0001_initial"), ("core", "0001_job")]
AFTER = [("ingest", "0003_import_run_lifecycle_on_job")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    """Leave the database at the newest migrations, as the tests after this one expect."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_each_existing_import_run_gets_a_job_with_its_status_times_and_author(django_user_model):
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="manon")
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    OldRun = old.get_model("ingest", "ImportRun")
    done = OldRun.objects.create(
        kind="orders",
        source="shopify",
        filename="a.csv",
        status="done",
        created_by=user,
        bytes_total=100,
        bytes_read=100,
        rows_accepted=7,
    )
    OldRun.objects.filter(pk=done.pk).update(started_at=when, progress_at=when, finished_at=when)
    failed = OldRun.objects.create(
        kind="tickets", source="zendesk", filename="b.csv", status="failed", error="not UTF-8"
    )

    new = _migrate(AFTER)
    NewRun = new.get_model("ingest", "ImportRun")
    first = NewRun.objects.select_related("job").get(pk=done.pk)
    assert (first.job.kind, first.job.queue, first.job.status) == ("import", "imports", "done")
    assert first.job.started_by_id == user.pk
    assert first.job.created_at == first.job.finished_at == when
    assert first.job.label == "Import orders from shopify: a.csv"
    assert first.rows_accepted == 7
    second = NewRun.objects.select_related("job").get(pk=failed.pk)
    assert (second.job.status, second.job.error, second.job.started_by_id) == (
        "failed",
        "not UTF-8",
        None,
    )
