"""The unified timeline: every order, message, answer, review, comment, call and note."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from devotion.people.models import Person


class Kind(models.TextChoices):
    ORDER = "order", "Order"
    MESSAGE = "message", "Message"
    SURVEY_ANSWER = "survey_answer", "Survey answer"
    REVIEW = "review", "Review"
    SOCIAL_COMMENT = "social_comment", "Social comment"
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    NOTE = "note", "Note"
    LEAD = "lead", "Lead"
    SIGNUP = "signup", "Sign-up"


class Direction(models.TextChoices):
    INBOUND = "in", "From the customer"
    OUTBOUND = "out", "From us"
    NONE = "", "Neither"


class Touchpoint(models.Model):
    """One thing a person did or said, or that we said to them, on any channel.

    ``(source, external_id)`` is unique: re-sending or re-importing the same record is a no-op.
    ``thread`` groups the messages of one ticket or conversation.
    """

    # No separate FK index: tp_person_time (person, -occurred_at) serves every person look-up.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=16, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, blank=True)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=40)
    external_id = models.CharField(max_length=200)
    thread = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    rating = models.SmallIntegerField(null=True, blank=True)
    # Indexed only where set (tp_staff below): most touchpoints name no staff member.
    staff = models.ForeignKey(
        "team.StaffMember",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="touchpoint_source_id")
        ]
        # Every index costs each of the millions of imported rows (~3 µs on SQLite, see
        # docs/benchmarks.md): only what a query uses. A feature that lists touchpoints by
        # kind across people, or order lines by product, adds its index with it.
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="tp_person_time"),
            # Only messages in a conversation have a thread; orders and the rest stay out.
            models.Index(fields=["thread"], name="tp_thread", condition=~models.Q(thread="")),
            models.Index(
                fields=["staff"], name="tp_staff", condition=models.Q(staff__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source}:{self.external_id}"


class OrderLine(models.Model):
    """One product on an order, for recommendations and win-back analysis."""

    # No foreign key constraint in the database: lines are only ever written in the
    # transaction that creates their order (which nobody else can see, let alone delete, until
    # it commits) and deleted with it by Django's CASCADE. On PostgreSQL the constraint's check
    # locked each line's order once more and cost ~13% of the server's time in a bulk import
    # (docs/benchmarks.md). The column stays indexed.
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="lines", db_constraint=False
    )
    product_id = models.CharField(max_length=200)
    product_name = models.CharField(max_length=500, blank=True)
    quantity = models.IntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class TextAnalysis(models.Model):
    """What the text of one touchpoint says: feeling, topic, whether it needs a reply.

    Written by the text-understanding task; ``model_version`` lets a new model re-analyse.
    """

    touchpoint = models.OneToOneField(
        Touchpoint, on_delete=models.CASCADE, related_name="analysis", primary_key=True
    )
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.FloatField(null=True, blank=True)  # -1 (negative) .. 1 (positive)
    emotions = models.JSONField(default=dict, blank=True)  # {"anger": 0.8, ...}
    topic = models.CharField(max_length=100, blank=True, db_index=True)
    needs_reply = models.BooleanField(default=False)
    mentions = models.JSONField(default=list, blank=True)  # staff member ids named in the text
    model_version = models.CharField(max_length=40)
    analysed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "text analyses"

    def __str__(self) -> str:
        return f"analysis of {self.touchpoint_id}"


class PromiseState(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class ReplyPromise(models.Model):
    """A reply-time promise for one inbound touchpoint (first reply, next reply, resolution)."""

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="promises")
    target = models.CharField(max_length=20)  # first_reply | next_reply | resolution
    due_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=PromiseState.choices, default="open")
    assignee = models.ForeignKey(
        "team.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    met_at = models.DateTimeField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="promise_queue")]
        constraints = [
            models.UniqueConstraint(fields=["touchpoint", "target"], name="promise_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.target} for {self.touchpoint_id} due {self.due_at:%Y-%m-%d %H:%M}"


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
    WAITING_AFTER = timedelta(minutes=2)

    class Meta:
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
