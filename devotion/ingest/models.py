"""Import runs: one row per file imported, with its counts, progress and rejects."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ImportRun(models.Model):
    """One bulk import of a file: what, from where, how it went, and where the rejects are.

    Counts are of records (a Shopify order spanning three rows counts once) and are saved after
    every batch, so the web page can show progress while the import runs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20)
    source = models.CharField(max_length=40)
    filename = models.CharField(max_length=500)
    # Where the file is (an upload under MEDIA_ROOT/imports/, or the CLI's input path).
    path = models.CharField(max_length=1000, blank=True)
    format = models.CharField(max_length=8, blank=True)  # csv | jsonl
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    # The first rejects, for the web page; the full list is in the rejects file.
    rejects_preview = models.JSONField(default=list, blank=True)
    rejects_path = models.CharField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    # When the importer last saved progress (after every batch, every few seconds): a run that
    # stops reporting has lost its worker.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # A running import reports progress every few seconds; a queued one starts within seconds
    # when a worker runs. Past these, the page says what is probably wrong.
    STALLED_AFTER = timedelta(minutes=10)
    CHANGED_IDS_KEPT = 200
    WAITING_AFTER = timedelta(minutes=2)

    class Meta:
        # The table keeps the name it had in the touchpoints app: moving the model moved no data.
        db_table = "touchpoints_importrun"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"import {self.kind} {self.filename}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_stalled(self) -> bool:
        """Running, but no progress for a long time: its worker stopped (a restart, a crash)."""
        last = self.progress_at or self.started_at
        return (
            self.status == self.Status.RUNNING
            and last is not None
            and timezone.now() - last > self.STALLED_AFTER
        )

    @property
    def is_waiting_for_worker(self) -> bool:
        """Queued for longer than a running worker would leave it: no worker is running."""
        return (
            self.status == self.Status.QUEUED
            and self.started_at is not None
            and timezone.now() - self.started_at > self.WAITING_AFTER
        )

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
        from devotion.ingest.reader import ENCODING_LABELS

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
