"""Models of the core app: the record of every piece of long work (jobs), and the outbox of
e-mail Devotion sends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from devotion.core import queues

# -- Jobs ---------------------------------------------------------------------------------------


class Job(models.Model):
    """One piece of long work (an import, a scoring run, an analysis): what it is, who started
    it, on which queue it runs, how far it got, its log, and how it ended.

    Created when the work is asked for (queued), marked running by the worker that picks it up,
    and done or failed when the work returns or raises; ``devotion.core.jobs`` does all three.
    Work that runs from the command line gets a row too, so every run has a record.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=40)  # import, score, analyze, ...
    label = models.CharField(max_length=300)  # for people: "Import orders from Shopify: x.csv"
    queue = models.CharField(max_length=40, default=queues.DEFAULT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Progress: ``done`` of ``total`` (null: unknown) ``unit``s (bytes, people, rows).
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # Append-only lines "2026-12-07 15:00:00 message", the oldest dropped past LOG_MAX_CHARS.
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # null: the command line or a schedule
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # When the work last reported progress: running work that stops reporting lost its worker.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Running work reports progress every few seconds; past its kind's limit (or the default)
    # it has probably lost its worker. Queued work starts within seconds when a worker runs.
    STALLED_AFTER: dict[str, timedelta] = {"import": timedelta(minutes=10)}
    DEFAULT_STALLED_AFTER = timedelta(minutes=10)
    WAITING_AFTER = timedelta(minutes=2)
    LOG_MAX_CHARS = 20_000

    class Meta:
        # Newest first by id: ids follow creation (the jobs page pages on the primary key).
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.label or f"{self.kind} job {self.pk}"

    # -- state --------------------------------------------------------------------------------

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def stalled_after(self) -> timedelta:
        return self.STALLED_AFTER.get(self.kind, self.DEFAULT_STALLED_AFTER)

    @property
    def is_stalled(self) -> bool:
        """Running, but no progress for longer than its kind allows: its worker stopped (a
        restart, a crash)."""
        last = self.progress_at or self.started_at or self.created_at
        return self.status == self.Status.RUNNING and timezone.now() - last > self.stalled_after

    @property
    def is_waiting_for_worker(self) -> bool:
        """Queued for longer than a running worker would leave it: no worker serves its queue."""
        return (
            self.status == self.Status.QUEUED
            and timezone.now() - self.created_at > self.WAITING_AFTER
        )

    @property
    def percent(self) -> int:
        """How far the work is, 0-100 (0 while the total is unknown)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def log_lines(self) -> list[str]:
        return self.log.splitlines()

    # -- the progress and log API the work uses ----------------------------------------------

    def set_progress(self, done: int, total: int | None = None, unit: str | None = None) -> None:
        """Record how far the work is (and that it is alive), with the log lines written
        since the last save; saved at once."""
        self.done = done
        if total is not None:
            self.total = total
        if unit is not None:
            self.unit = unit
        self.progress_at = timezone.now()
        self.save(update_fields=["done", "total", "unit", "progress_at", "log"])

    def write_log(self, message: str, *, save: bool = True) -> None:
        """Append a timestamped line to the log, dropping the oldest lines past the limit."""
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        lines = [f"{stamp} {line}" for line in (message.splitlines() or [""])]
        log = self.log + "".join(f"{line}\n" for line in lines)
        if len(log) > self.LOG_MAX_CHARS:
            # Keep the newest whole lines, and say that earlier ones went.
            cut = log.find("\n", len(log) - self.LOG_MAX_CHARS + 40) + 1
            log = f"{stamp} (earlier lines dropped)\n" + log[cut:]
        self.log = log
        if save:
            self.save(update_fields=["log"])

    # -- lifecycle (devotion.core.jobs drives these) -----------------------------------------

    def claim(self) -> bool:
        """Mark a queued job running, saving the log lines written so far with it; False when
        it is not queued any more (already running, done, or cancelled): a duplicated or
        retried task then leaves it alone."""
        now = timezone.now()
        claimed = Job.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(
            status=self.Status.RUNNING, started_at=now, progress_at=now, log=self.log
        )
        if claimed:
            self.status, self.started_at, self.progress_at = self.Status.RUNNING, now, now
        return bool(claimed)

    def finish(self, status: str, error: str = "", **fields: Any) -> None:
        self.status = status
        self.error = error
        self.finished_at = timezone.now()
        if status == self.Status.DONE and self.total is not None:
            self.done = self.total
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "error", "finished_at", "done", "log", *fields.keys()])

    def cancel(self) -> bool:
        """Cancel a job that has not started; False if it already has."""
        cancelled = Job.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(
            status=self.Status.CANCELLED, finished_at=timezone.now()
        )
        if cancelled:
            self.refresh_from_db()
        return bool(cancelled)


# -- end of jobs --------------------------------------------------------------------------------


# -- Outbox -------------------------------------------------------------------------------------


class OutboxMessage(models.Model):
    """One e-mail Devotion sent (or kept instead of sending), as it was written.

    Written by the mail backends in :mod:`devotion.core.mail`: with SMTP each message is logged
    as ``sent`` or ``failed`` (with the server's error); in outbox mode (the demo) it is
    ``kept`` here and goes nowhere. Admins read it under Settings → Outbox.
    """

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        KEPT = "kept", "Kept (not sent)"

    to = models.TextField()  # every recipient (to, cc, bcc), comma-separated
    from_email = models.CharField(max_length=300)
    subject = models.CharField(max_length=998)  # the longest line RFC 5322 allows
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    mailer = models.CharField(max_length=60, blank=True)  # the MAILERS alias that handled it
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The outbox screen: newest first, keyset-paged, optionally one status.
            models.Index(fields=["-created_at", "-id"], name="outbox_newest"),
            models.Index(fields=["status", "-created_at", "-id"], name="outbox_status_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.status})"
