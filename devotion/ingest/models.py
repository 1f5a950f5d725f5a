"""Import runs: one row per file imported, with its counts, progress and rejects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q

from devotion.core import queues
from devotion.core.models import Job

# The lifecycle fields an ImportRun used to hold; now its Job's (ImportRun.objects.create()
# still takes them, so callers and tests read as before).
JOB_FIELDS = {
    "status": "status",
    "error": "error",
    "created_by": "started_by",
    "started_at": "created_at",
    "progress_at": "progress_at",
    "finished_at": "finished_at",
}


class ImportRunManager(models.Manager["ImportRun"]):
    def create(self, **kwargs: Any) -> ImportRun:
        """Create the run and its :class:`~devotion.core.models.Job` (queued on ``imports``);
        takes the lifecycle fields (``status``, ``created_by``, ...) for the job."""
        if "job" not in kwargs and "job_id" not in kwargs:
            job_fields = {JOB_FIELDS[k]: kwargs.pop(k) for k in list(kwargs) if k in JOB_FIELDS}
            kwargs["job"] = self._new_job(kwargs, job_fields)
        return super().create(**kwargs)

    def record(self, *, started_by: Any = None, **fields: Any) -> ImportRun:
        """Record an import asked for by ``started_by`` (a user; None from the command line)."""
        fields["job"] = self._new_job(fields, {"started_by": started_by})
        return super().create(**fields)

    @staticmethod
    def _new_job(fields: dict[str, Any], job_fields: dict[str, Any]) -> Job:
        if not getattr(job_fields.get("started_by"), "is_authenticated", False):
            job_fields["started_by"] = None
        return Job.objects.create(
            kind="import",
            label=f"Import {fields.get('kind', '')} from {fields.get('source', '')}: "
            f"{fields.get('filename', '')}"[:300],
            queue=queues.IMPORTS,
            total=fields.get("bytes_total") or None,
            unit="bytes",
            **job_fields,
        )


class ImportRun(models.Model):
    """One bulk import of a file: what, from where, how it went, and where the rejects are.

    Counts are of records (a Shopify order spanning three rows counts once) and are saved after
    every batch, so the web page can show progress while the import runs. Its lifecycle (status,
    who started it, when, progress times, error, stalled or waiting) is its :class:`Job`'s.
    """

    Status = Job.Status

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="import_run")
    kind = models.CharField(max_length=20)
    source = models.CharField(max_length=40)
    filename = models.CharField(max_length=500)
    # Where the file is (an upload under MEDIA_ROOT/imports/, or the CLI's input path).
    path = models.CharField(max_length=1000, blank=True)
    format = models.CharField(max_length=8, blank=True)  # csv | jsonl
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    # The first rejects, for the web page; the full list is in the rejects file.
    rejects_preview = models.JSONField(default=list, blank=True)
    rejects_path = models.CharField(max_length=1000, blank=True)
    # The text encoding the file was read with (utf-8 or cp1252), detected from its bytes.
    encoding = models.CharField(max_length=20, blank=True)
    # The people the import created (person ids only grow: a range, cheap at a million rows;
    # people another writer created meanwhile fall in it too) and changed (how many, and the
    # first CHANGED_IDS_KEPT ids), for the run page's "see them" link.
    people_created = models.PositiveIntegerField(default=0)
    people_created_first = models.PositiveBigIntegerField(null=True, blank=True)
    people_created_last = models.PositiveBigIntegerField(null=True, blank=True)
    people_changed = models.PositiveIntegerField(default=0)
    people_changed_ids = models.JSONField(default=list, blank=True)

    CHANGED_IDS_KEPT = 200

    objects = ImportRunManager()

    class Meta:
        # The table keeps the name it had in the touchpoints app: moving the model moved no data.
        db_table = "touchpoints_importrun"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"import {self.kind} {self.filename}"

    # The lifecycle, read from the job (select_related("job") on lists).
    @property
    def status(self) -> str:
        return self.job.status

    @property
    def error(self) -> str:
        return self.job.error

    @property
    def created_by(self) -> Any:
        return self.job.started_by

    @property
    def started_at(self) -> datetime:
        return self.job.started_at or self.job.created_at

    @property
    def progress_at(self) -> datetime | None:
        return self.job.progress_at

    @property
    def finished_at(self) -> datetime | None:
        return self.job.finished_at

    @property
    def is_finished(self) -> bool:
        return self.job.is_finished

    @property
    def is_stalled(self) -> bool:
        """Running, but no progress for a long time: its worker stopped (a restart, a crash)."""
        return self.job.is_stalled

    @property
    def is_waiting_for_worker(self) -> bool:
        """Queued for longer than a running worker would leave it: no worker is running."""
        return self.job.is_waiting_for_worker

    @property
    def percent(self) -> int:
        """How far through the file the import is, 0-100, by bytes read."""
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(100, int(self.bytes_read * 100 / self.bytes_total))

    @property
    def encoding_label(self) -> str:
        """The encoding as a person knows it: "UTF-8", "Windows-1252 (Latin-1)"."""
        from devotion.ingest.detect import ENCODING_LABELS

        return ENCODING_LABELS.get(self.encoding, self.encoding)

    def people_ids(self) -> tuple[tuple[int, int] | None, list[int]]:
        """(first, last) of the people created, or None, and the people changed kept."""
        created = None
        if self.people_created_first is not None and self.people_created_last is not None:
            created = (self.people_created_first, self.people_created_last)
        return created, [int(pk) for pk in self.people_changed_ids]

    def people_filter(self) -> Q:
        """The people this import created or changed, as a filter on people (by id only)."""
        created, changed = self.people_ids()
        found = Q(pk__in=changed)
        if created is not None:
            found |= Q(pk__range=created)
        return found
