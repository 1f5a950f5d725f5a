"""The demo's follow-up: teams and their hours, conversations filed from the generated
tickets, reviews and comments, owners for the best customers, a live queue with replies about
to break and one broken, and the escalation e-mails in the outbox.

Idempotent: the fresh messages have fixed ids (a second run stores nothing new), teams and
owners are only set where missing, and filing the same touchpoints again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from devotion.followup import queue, timers, tracking
from devotion.followup.models import Conversation, PersonOwner, ReplyPromise, SupportTeam
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.team.models import StaffMember
from devotion.touchpoints.models import Touchpoint
from devotion.touchpoints.signals import stored

CHUNK = 2000
OWNED = 25  # the best customers get an owner


@dataclass(frozen=True)
class Fresh:
    """A message that arrives just before the demo opens: (business) minutes ago, and so on."""

    key: str
    kind: str
    channel: str
    minutes_ago: int
    subject: str
    text: str


# Leads and complaints have 60 business minutes, chats 5, the rest a working day.
FRESH = (
    Fresh(
        "lead-cafe",
        "lead",
        "web",
        50,
        "Wholesale beans for our café",
        "Hello! We are opening a café in March and would like a quote for 15 kg of the "
        "House Blend every week. Do you offer wholesale prices? Could someone call me "
        "this week?",
    ),
    Fresh(
        "grinder-broken",
        "message",
        "email",
        48,
        "Grinder stopped working after a week",
        "My burr grinder stopped working after one week. This is the second time! "
        "I want a replacement or my money back. How long will this take?",
    ),
    Fresh(
        "chat-size",
        "message",
        "chat",
        3,
        "Change my order",
        "Hi, can you change my order to the 500 g bag instead of 1 kg? I only just placed it.",
    ),
    Fresh(
        "late-gift",
        "message",
        "email",
        100,
        "Gift has not arrived",
        "I ordered the tasting set as a birthday gift and it still has not arrived. "
        "The birthday is on Saturday. Where is it? Nobody has answered my last e-mail.",
    ),
    Fresh(
        "review-cold",
        "review",
        "review_site",
        30,
        "Disappointed",
        "The beans were stale and the bag was torn. Not what I expect for the price.",
    ),
)


def _team_setup() -> SupportTeam:
    """The care team, run by the demo manager; a second team answers reviews and social."""
    manager = StaffMember.objects.filter(role="manager").order_by("pk").first()
    agents = list(StaffMember.objects.filter(role="agent", user__isnull=False))
    care = SupportTeam.objects.order_by("pk").first() or SupportTeam.objects.create(name="Support")
    if care.name == "Support" and care.manager_id is None:
        # Hearth & Bean's care team answers seven days a week, 08:00-20:00.
        care.name, care.hours = "Customer care", "daily 08:00-20:00"
        care.manager = manager
        care.holidays = ["2026-12-25", "2027-01-01"]
        care.save()
        care.members.add(*agents, *([manager] if manager else []))
    if not SupportTeam.objects.filter(name="Reviews & social").exists():
        social = SupportTeam.objects.create(
            name="Reviews & social",
            timezone=care.timezone,
            hours="mon-fri 09:00-17:00",
            channels=["review_site", "social"],
            manager=manager,
        )
        social.members.add(*agents)
    return care


def _file_everything() -> int:
    """File every message, review, comment, survey answer and lead into conversations now
    (loading left large batches to the worker; filing twice changes nothing)."""
    ids = list(
        Touchpoint.objects.filter(kind__in=tracking.REPLY_KINDS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        tracking.track(ids[start : start + CHUNK])
    # Everything is filed: the track tasks loading queued would only file it again, and the
    # workers would drain them first when `devotion serve` starts.
    tracking.cancel_queued_tracking()
    return len(ids)


# What the team wrote back to the backlog (first name filled in), by what the customer sent.
BACKLOG_REPLIES = {
    True: (
        "Hi {first}, we're sorry about this and thank you for telling us. We've looked into "
        "it and put it right on our side; you'll get an e-mail from us once it's sorted. "
        "If anything else comes up, just reply here.",
        "Hi {first}, thank you for letting us know, and sorry it wasn't what you expected. "
        "We've arranged a replacement for you and will send the tracking link as soon as it "
        "ships.",
    ),
    False: (
        "Thank you so much, {first}! It made the whole team's day. Enjoy your coffee, and "
        "tell us what you'd like us to stock next.",
        "Hi {first}, thanks for getting in touch. We've answered your question by e-mail and "
        "noted it on your account; reply any time if you need anything else.",
    ),
}
BACKLOG_HOURS = 20  # what arrived before then, the team had answered when the demo opens


def _answer_backlog(now: datetime) -> int:
    """Reply, through the product's own reply path, to what waited longer than
    ``BACKLOG_HOURS``: a shop that uses Devotion answers its messages, so the queue opens on
    today's work (replies about to break, one broken) and not on two weeks of backlog the
    generator never answered. Each reply is dated a few business hours after the message, so
    coverage has answers in time and late. Later runs find nothing old left waiting."""
    from datetime import timedelta

    from devotion.core.mail import OutboxBackend
    from devotion.followup import replies

    outbox = OutboxBackend(alias="demo")
    staff = list(StaffMember.objects.filter(role="agent").order_by("pk"))
    waiting = (
        Conversation.objects.filter(
            awaiting_reply=True, last_inbound_at__lt=now - timedelta(hours=BACKLOG_HOURS)
        )
        .select_related("person")
        .order_by("pk")
    )
    answered = 0
    for n, conversation in enumerate(waiting):
        first = (conversation.person.display_name or "there").split()[0]
        text = BACKLOG_REPLIES[conversation.negative][n % 2].format(first=first)
        arrived = conversation.last_inbound_at or now
        when = arrived + timedelta(hours=1 + (n * 7) % 30)
        author = staff[n % len(staff)] if staff else None
        replies.send(
            conversation,
            author,
            text,
            status=Conversation.Status.SOLVED,
            now=min(when, now),
            connection=outbox,
        )
        answered += 1
    return answered


def _writers() -> list[Person]:
    """Who writes the fresh messages: a prospect for the lead, customers with orders for the
    rest (so their story shows beside the reply box). The same people on every run."""
    live = Person.objects.live().exclude(primary_email="").order_by("pk")
    prospect = live.filter(order_count=0).first()
    customers = list(live.filter(order_count__gte=2)[: len(FRESH)])
    return [prospect or customers[0], *customers[1:]] if customers else []


def _fresh_messages(team: SupportTeam, now: datetime) -> int:
    """Store the fresh messages (once); how many were new."""
    hours = team.business_hours()
    events = []
    writers = _writers()
    if len(writers) < len(FRESH):
        return 0  # an empty installation: nobody to write
    for fresh, person in zip(FRESH, writers, strict=False):
        at = hours.before(now, fresh.minutes_ago)
        events.append(
            {
                "kind": fresh.kind,
                "source": "demo-live",
                "external_id": fresh.key,
                "occurred_at": at.isoformat(),
                "person": {"email": person.primary_email},
                "channel": fresh.channel,
                "direction": "in",
                "thread": f"live-{fresh.key}" if fresh.kind == "message" else "",
                "subject": fresh.subject,
                "text": fresh.text,
                "rating": 2 if fresh.kind == "review" else None,
                "extra": {"message_id": f"<{fresh.key}@mail.example>"}
                if fresh.channel == "email"
                else {},
            }
        )
    # As if Devotion heard of each message when it arrived (the demo is made in one go):
    # filed at its arrival time, so the timer's first sweep warns and escalates as it would
    # have live, whatever the time of day the demo is made.
    stored.disconnect(dispatch_uid="followup.track")
    try:
        outcomes = ingest([{k: v for k, v in e.items() if v is not None} for e in events])
    finally:
        stored.connect(tracking.on_stored, dispatch_uid="followup.track")
    created = 0
    for outcome, event in zip(outcomes, events, strict=True):
        if outcome.touchpoint_id and outcome.status == "created":
            arrived = datetime.fromisoformat(str(event["occurred_at"]))
            tracking.track([outcome.touchpoint_id], now=arrived)
            created += 1
    return created


def _owners() -> None:
    staff = list(StaffMember.objects.filter(user__isnull=False).order_by("pk"))
    if not staff or PersonOwner.objects.exists():
        return
    best = Person.objects.live().order_by("-total_spent", "pk")[:OWNED]
    PersonOwner.objects.bulk_create(
        [PersonOwner(person=p, owner=staff[i % len(staff)]) for i, p in enumerate(best)],
        ignore_conflicts=True,
    )


def _assign_live() -> None:
    """The urgent complaint goes to the demo agent (so their alerts reach the outbox)."""
    agent = StaffMember.objects.filter(role="agent", user__isnull=False).order_by("pk").first()
    if agent is None:
        return
    for key in ("live-grinder-broken", "live-late-gift"):
        conversation = Conversation.objects.filter(key=key, assignee__isnull=True).first()
        if conversation is not None:
            conversation.assignee = agent
            conversation.save(update_fields=["assignee", "updated_at"])
            ReplyPromise.objects.filter(conversation=conversation).update(assignee=agent)


def ensure_followup() -> dict[str, int]:
    """Set up the demo's follow-up (see the module docstring); counts for the summary."""
    now = timezone.now()
    team = _team_setup()
    filed = _file_everything()
    _answer_backlog(now)
    fresh = _fresh_messages(team, now)
    _owners()
    _assign_live()
    # The timer's first sweep, on the first run only (later, the worker's timer sweeps):
    # warnings and escalations go to the outbox.
    counts = {"sent": 0}
    if fresh:
        from devotion.core.mail import OutboxBackend

        counts = timers.sweep(now, mailer=OutboxBackend())
    timers.ensure_timer()
    return {
        "filed": filed,
        "waiting": queue.waiting(queue.QueueFilters()).count(),
        "alerts": counts["sent"],
    }
