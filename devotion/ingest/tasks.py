"""Background tasks of the ingest app: running an uploaded import off the request, as a job on
the ``imports`` queue (its own worker process: no other backlog holds it up)."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.tasks import task

from devotion.core import jobs, queues
from devotion.ingest.importer import Importer, ImportFailed
from devotion.ingest.models import ImportRun

log = logging.getLogger(__name__)


def start_import(run: ImportRun) -> None:
    """Queue a recorded import for the imports worker."""
    jobs.enqueue(run.job, run_import)


@task(queue_name=queues.IMPORTS)
def run_import(job_id: int) -> None:
    """Import the file of one queued :class:`ImportRun` (by its job); the run and its job
    record how it went."""
    run = ImportRun.objects.select_related("job").get(job_id=job_id)
    path = Path(run.path)
    try:
        Importer(run.kind, run.source, fmt=run.format or None).run(path, run=run)
    except jobs.NotQueued:
        return  # already ran (a retried or duplicated task): never import twice at once
    except ImportFailed as exc:
        # A bad file, not a bug: the run page shows the message.
        log.info("import %s failed: %s", run.pk, exc)
    finally:
        if run.job.status != ImportRun.Status.RUNNING:
            forget_upload(path)


def forget_upload(path: Path) -> None:
    """Delete an uploaded file once its import has run: it holds every customer's rows as
    uploaded, and nothing reads it again (the rejects report next to it stays). Only files
    under MEDIA_ROOT/imports/ are uploads; a file the CLI imported is the user's own."""
    uploads = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    if path.resolve().parent == uploads:
        path.unlink(missing_ok=True)
