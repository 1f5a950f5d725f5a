"""Background tasks of the touchpoints app: running an uploaded import off the request."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.tasks import task

from devotion.ingest.importer import Importer, ImportFailed
from devotion.ingest.models import ImportRun

log = logging.getLogger(__name__)


@task
def run_import(run_id: int) -> None:
    """Import the file of one queued :class:`ImportRun`; the run row records how it went."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status != ImportRun.Status.QUEUED:
        return  # already ran (a retried or duplicated task): never import twice at once
    path = Path(run.path)
    try:
        Importer(run.kind, run.source, fmt=run.format or None).run(path, run=run)
    except ImportFailed as exc:
        # A bad file, not a bug: the run page shows the message.
        log.info("import %s failed: %s", run_id, exc)
    finally:
        forget_upload(path)


def forget_upload(path: Path) -> None:
    """Delete an uploaded file once its import has run: it holds every customer's rows as
    uploaded, and nothing reads it again (the rejects report next to it stays). Only files
    under MEDIA_ROOT/imports/ are uploads; a file the CLI imported is the user's own."""
    uploads = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    if path.resolve().parent == uploads:
        path.unlink(missing_ok=True)
