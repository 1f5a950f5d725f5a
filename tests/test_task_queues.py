"""Every task runs on its own queue, and a worker per queue group keeps one backlog from
holding up another: thousands of queued webhook deliveries never keep an upload waiting."""

from __future__ import annotations

import sys

import pytest
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from devotion.core import queues
from devotion.core.management.commands.worker import worker_commands
from devotion.ingest.models import ImportRun
from devotion.ingest.tasks import run_import, start_import
from devotion.touchpoints.models import Touchpoint
from devotion.webhooks.tasks import deliver_many

ORDERS = "external_id,occurred_at,email,amount,currency\no-1,2025-05-01T10:00:00Z,a@x.com,5,EUR\n"


def test_each_task_is_declared_on_its_own_queue():
    assert run_import.queue_name == queues.IMPORTS
    assert deliver_many.queue_name == queues.WEBHOOKS
    assert set(queues.QUEUES) == {"default", "imports", "scoring", "analysis", "webhooks"}


def test_the_worker_groups_serve_every_queue_exactly_once_with_imports_and_webhooks_apart():
    served = [name for names in queues.WORKER_GROUPS.values() for name in names]
    assert sorted(served) == sorted(queues.QUEUES)
    assert [queues.IMPORTS] in queues.WORKER_GROUPS.values()
    assert [queues.WEBHOOKS] in queues.WORKER_GROUPS.values()
    commands = worker_commands()
    assert len(commands) == len(queues.WORKER_GROUPS)
    assert all(
        command[:4] == [sys.executable, "-m", "devotion.cli", "worker"]
        for command in commands.values()
    )
    assert commands["worker (imports)"][4:6] == ["--queues", "imports"]


@pytest.mark.django_db(transaction=True)
def test_an_import_is_picked_up_while_thousands_of_webhook_deliveries_wait(tmp_path):
    # 1. A backlog of failing deliveries, queued before the upload (the worker used to take
    #    the oldest task first, whatever its queue).
    template = deliver_many.enqueue([1])
    backlog = DBTaskResult.objects.get(pk=template.id)
    DBTaskResult.objects.bulk_create(
        [
            DBTaskResult(
                **{
                    f.attname: getattr(backlog, f.attname)
                    for f in DBTaskResult._meta.fields
                    if not f.primary_key
                }
            )
            for _ in range(3000)
        ]
    )
    # 2. A one-row upload, queued on the imports queue.
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    run = ImportRun.objects.record(
        kind="orders", source="generic", filename="orders.csv", path=str(path)
    )
    start_import(run)
    # 3. The imports worker runs it; every delivery is still waiting for the webhooks worker.
    call_command("worker", queues="imports", batch=True, verbosity=0)
    run.refresh_from_db()
    run.job.refresh_from_db()
    assert (run.status, run.rows_accepted, Touchpoint.objects.count()) == ("done", 1, 1)
    waiting = DBTaskResult.objects.filter(queue_name="webhooks", status=TaskResultStatus.READY)
    assert waiting.count() == 3001


def test_a_worker_for_an_unknown_queue_is_refused():
    with pytest.raises(CommandError, match="Unknown queue importz: choose from default"):
        call_command("worker", queues="importz", batch=True)
