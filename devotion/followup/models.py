"""Follow-up: conversations, the reply promises (SLA policies) on them, their alerts, notes
and who owns a customer.

A :class:`Conversation` gathers the messages of one ticket, chat or comment thread
(``Touchpoint.thread``; a review or comment without one is a conversation of its own). Each
inbound message that needs a reply opens :class:`ReplyPromise` s (first reply, next reply,
resolution) with targets from the first matching :class:`SlaPolicy`, counted in the business
hours of a :class:`SupportTeam`. The timer sweep (``timers.py``) warns before and escalates
on a breach through :class:`Alert` rows, each sent once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from devotion.lib.business_hours import BusinessHours, HoursError
from devotion.people.models import Person
from devotion.touchpoints import kinds
from devotion.touchpoints.models import Touchpoint

DEFAULT_HOURS = "mon-fri 09:00-17:00"


class SupportTeam(models.Model):
    """A team that answers customers: its business hours (time zone, holidays), its members
    and the manager who hears of breaches. Reply targets count only its open hours."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    hours = models.CharField(
        max_length=500,
        default=DEFAULT_HOURS,
        help_text='Opening hours like "mon-fri 09:00-17:00; sat 10:00-14:00".',
    )
    holidays = models.JSONField(default=list, blank=True)  # ISO dates, closed all day
    # Channels it answers first ([] = any); the first team naming a channel gets it.
    channels = models.JSONField(default=list, blank=True)
    manager = models.ForeignKey(
        "team.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField("team.StaffMember", blank=True, related_name="support_teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def business_hours(self) -> BusinessHours:
        """Its hours as a :class:`BusinessHours` (around the clock if they cannot be read)."""
        try:
            return BusinessHours.parse(self.hours, tz=self.timezone, holidays=self.holidays)
        except HoursError:
            return BusinessHours.always(self.timezone if _zone_ok(self.timezone) else "UTC")


def _zone_ok(name: str) -> bool:
    try:
        BusinessHours.always(name)
    except HoursError:
        return False
    return True


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Target(models.TextChoices):
    FIRST_REPLY = "first_reply", "First reply"
    NEXT_REPLY = "next_reply", "Next reply"
    RESOLUTION = "resolution", "Resolution"


class SlaPolicy(models.Model):
    """A reply promise a manager sets: for items matching its conditions (kinds, channels,
    priorities, negative feeling, customer value), the first, next reply and resolution
    targets in business minutes. The first active policy in ``position`` order that matches
    an item applies."""

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    kinds = models.JSONField(default=list, blank=True)  # touchpoint kinds; [] = any
    channels = models.JSONField(default=list, blank=True)  # [] = any
    priorities = models.JSONField(default=list, blank=True)  # [] = any
    negative_only = models.BooleanField(
        default=False, help_text="Only complaints: negative feeling or a low rating."
    )
    min_customer_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Total spent at least."
    )
    first_reply_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_reply_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Whose business hours count (null: the conversation's team, else the first team).
    team = models.ForeignKey(SupportTeam, null=True, blank=True, on_delete=models.SET_NULL)
    warn_at_percent = models.PositiveSmallIntegerField(default=75)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "reply promise policy"
        verbose_name_plural = "reply promise policies"

    def __str__(self) -> str:
        return self.name

    def matches(
        self, *, kind: str, channel: str, priority: str, negative: bool, value: Decimal
    ) -> bool:
        """Whether an item with these traits falls under this policy."""
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.channels or channel in self.channels)
            and (not self.priorities or priority in self.priorities)
            and (not self.negative_only or negative)
            and (self.min_customer_value is None or value >= self.min_customer_value)
        )

    def minutes_for(self, target: str) -> int | None:
        return {
            Target.FIRST_REPLY: self.first_reply_minutes,
            Target.NEXT_REPLY: self.next_reply_minutes,
            Target.RESOLUTION: self.resolution_minutes,
        }[Target(target)]


class Conversation(models.Model):
    """The messages of one thread (a ticket, a chat, a review and its reply) handled as one:
    status, priority, assignee and the reply times."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting on customer"
        SOLVED = "solved", "Solved"

    key = models.CharField(max_length=200, unique=True)  # the thread, or "<kind>-<touchpoint id>"
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(max_length=20)  # of the first inbound touchpoint
    channel = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=40, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        "team.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(SupportTeam, null=True, blank=True, on_delete=models.SET_NULL)
    negative = models.BooleanField(default=False)  # a complaint: negative feeling or low rating
    awaiting_reply = models.BooleanField(default=False)
    opened_at = models.DateTimeField()
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    # The latest message filed (time, then id): filing it again changes nothing.
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-opened_at"], name="conversation_person"),
            models.Index(fields=["status", "-last_inbound_at"], name="conversation_status"),
        ]

    def __str__(self) -> str:
        return self.subject or self.key

    @property
    def kind_label(self) -> str:
        return kinds.label(self.kind)

    @property
    def channel_label(self) -> str:
        return kinds.CHANNELS.get(self.channel, self.channel)

    @property
    def first_reply_time(self) -> timedelta | None:
        return self.first_reply_at - self.opened_at if self.first_reply_at else None

    @property
    def resolution_time(self) -> timedelta | None:
        return self.solved_at - self.opened_at if self.solved_at else None

    def touchpoints(self) -> models.QuerySet[Touchpoint]:
        """Its messages, oldest first."""
        if self.key.startswith("tp-"):
            return Touchpoint.objects.filter(pk=int(self.key[3:]))
        # The exclude restates the tp_thread index's condition: SQLite uses a partial index
        # only when the query states its condition (else it scans every touchpoint).
        return (
            Touchpoint.objects.filter(thread=self.key)
            .exclude(thread="")
            .order_by("occurred_at", "pk")
        )


class PromiseState(models.TextChoices):
    OPEN = "open", "Running"
    PAUSED = "paused", "Paused (waiting on customer)"
    KEPT = "kept", "Fulfilled"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class ReplyPromise(models.Model):
    """A reply-time promise for one inbound touchpoint (first reply, next reply, resolution).

    Its timer is stored, not held in memory: ``due_at`` and ``warn_at`` are moments (business
    time already counted), so any worker, after any restart, finds what is due. ``used_minutes``
    is the business time spent before a pause; ``running_since`` when the clock last started.
    ``log`` is its event log: started, paused, resumed, warned, fulfilled, breached, cancelled.
    """

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="promises")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="promises"
    )
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL)
    team = models.ForeignKey(SupportTeam, null=True, blank=True, on_delete=models.SET_NULL)
    target = models.CharField(max_length=20, choices=Target.choices)
    # The conversation's channel, copied (it never changes): the queue's channel filter walks
    # its own index in due order instead of joining every conversation of that channel.
    channel = models.CharField(max_length=16, blank=True, default="")
    target_minutes = models.PositiveIntegerField(default=0)
    warn_at_percent = models.PositiveSmallIntegerField(default=75)
    started_at = models.DateTimeField(default=timezone.now)
    running_since = models.DateTimeField(null=True, blank=True)
    used_minutes = models.FloatField(default=0)
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=PromiseState.choices, default="open")
    assignee = models.ForeignKey(
        "team.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    met_at = models.DateTimeField(null=True, blank=True)
    # The reply that met it (an outbound touchpoint), for coverage: was it complete?
    answered_by = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            # The live queue: promises not yet met, by time left. The condition has no
            # parameters (IS NULL), so SQLite can use the index for a query that also
            # filters on state: it walks it in due order and stops at the page's end.
            models.Index(
                fields=["due_at"],
                name="promise_waiting",
                condition=models.Q(met_at__isnull=True),
            ),
            # The queue of one channel, in due order (SQLite otherwise scans the conversations
            # of that channel and sorts them all before taking the first page).
            models.Index(
                fields=["channel", "due_at"],
                name="promise_waiting_channel",
                condition=models.Q(met_at__isnull=True),
            ),
            # One agent's queue (or the unassigned), in due order.
            models.Index(
                fields=["assignee", "due_at"],
                name="promise_waiting_assignee",
                condition=models.Q(met_at__isnull=True),
            ),
            # The timer's warnings still to give (parameter-free condition, as above).
            models.Index(
                fields=["warn_at"],
                name="promise_to_warn",
                condition=models.Q(met_at__isnull=True, warned_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["touchpoint", "target"], name="promise_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.target} for {self.touchpoint_id} due {self.due_at:%Y-%m-%d %H:%M}"

    def note(self, event: str, at: datetime, **details: Any) -> None:
        """Append ``event`` to the log (saved with the row)."""
        self.log = [*self.log, {"event": event, "at": at.isoformat(), **details}]

    def time_left(self, now: datetime | None = None) -> timedelta:
        """Wall-clock time until it breaks (negative once broken)."""
        return self.due_at - (now or timezone.now())

    @property
    def is_waiting(self) -> bool:
        """Still waiting for its reply (running, or already broken but not yet answered)."""
        return self.met_at is None and self.state in (PromiseState.OPEN, PromiseState.BREACHED)


class Alert(models.Model):
    """One warning or escalation of one promise on one channel (e-mail or webhook).

    Created in the same transaction that marks the promise warned or breached, unique per
    (promise, kind, channel): a crash after that commit leaves it pending for the next sweep,
    and no sweep can create it twice. Sent once: a sender claims it (pending → sending) in
    the transaction that sends it.
    """

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        BREACH = "breach", "Breach"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Nobody to send to"
        FAILED = "failed", "Failed"

    promise = models.ForeignKey(ReplyPromise, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    recipients = models.CharField(max_length=1000, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["promise", "kind", "channel"], name="alert_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="alert_pending",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} for promise {self.promise_id} ({self.status})"


class Note(models.Model):
    """An internal note by staff on a conversation or on a person (never shown to them)."""

    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="staff_notes")
    author = models.ForeignKey(
        "team.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "-created_at"], name="note_person")]

    def __str__(self) -> str:
        return f"note on {self.conversation_id or self.person_id}"


class PersonOwner(models.Model):
    """Who on the team owns a customer (their account manager or regular agent)."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="owner"
    )
    owner = models.ForeignKey("team.StaffMember", on_delete=models.CASCADE, related_name="+")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.owner} owns {self.person_id}"


class Reply(models.Model):
    """A reply an agent wrote in Devotion: the outbound touchpoint it became, how it went out
    (e-mailed, or recorded for copy-posting on a review site or social network) and what the
    coach found in it at send time."""

    class Delivery(models.TextChoices):
        EMAIL = "email", "E-mailed"
        RECORDED = "recorded", "Recorded (post it by hand)"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    touchpoint = models.OneToOneField(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        "team.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    message_id = models.CharField(max_length=300, blank=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    coach = models.JSONField(default=dict, blank=True)
    misses_points = models.BooleanField(default=False)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"reply to {self.conversation_id}"


def holidays_text(days: list[str]) -> str:
    return ", ".join(days)


def parse_holidays(text: str) -> list[str]:
    """Dates written one per line or comma-separated, as ISO strings (ValueError if not)."""
    out = []
    for part in filter(None, (p.strip() for p in text.replace("\n", ",").split(","))):
        try:
            out.append(date.fromisoformat(part).isoformat())
        except ValueError:
            raise ValueError(f"{part!r} is not a date like 2026-12-25") from None
    return sorted(set(out))
