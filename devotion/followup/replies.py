"""Replying from Devotion: e-mail replies go out threaded through Django mail; replies to
reviews and social comments are recorded for posting by hand. Either way the reply becomes an
outbound touchpoint on the customer's timeline, announced with ``stored`` like any other, so
tracking fulfils the promise it answers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from devotion.followup.models import Conversation, Reply
from devotion.followup.tracking import set_status, track
from devotion.nlp import coach
from devotion.people.models import PersonalFact
from devotion.team.models import StaffMember
from devotion.touchpoints.models import Direction, Touchpoint
from devotion.touchpoints.signals import StoredBatch, send_stored

SOURCE = "devotion"
EMAIL_KINDS = ("message", "email", "lead")


class ReplyError(Exception):
    """A reply that cannot be sent, with the reason in words."""


def last_inbound(conversation: Conversation) -> Touchpoint | None:
    """The customer's latest message in the conversation."""
    return (
        conversation.touchpoints()
        .filter(direction=Direction.INBOUND)
        .order_by("-occurred_at", "-pk")
        .first()
    )


def goes_by_email(conversation: Conversation) -> bool:
    """Whether a reply goes out by e-mail (else it is recorded for posting by hand)."""
    return (
        conversation.kind in EMAIL_KINDS
        and conversation.channel in ("email", "web", "")
        and bool(conversation.person.primary_email)
    )


def context_for(conversation: Conversation) -> coach.Context:
    """What the coach may suggest using: name, orders, facts, history."""
    person = conversation.person
    orders = list(
        Touchpoint.objects.filter(person=person, kind="order")
        .order_by("-occurred_at")
        .values_list("external_id", flat=True)[:3]
    )
    facts = {
        fact.key.replace("_", " "): fact.value
        for fact in PersonalFact.objects.filter(person=person).order_by("-learned_at")[:5]
    }
    since = f"{person.first_seen_at:%B %Y}" if person.first_seen_at else ""
    return coach.Context(
        name=person.display_name,
        orders=orders,
        facts=facts,
        order_count=person.order_count,
        customer_since=since,
    )


def check(conversation: Conversation, draft: str) -> coach.Review:
    """The coach on ``draft`` as the answer to the customer's latest message."""
    inbound = last_inbound(conversation)
    message = f"{inbound.subject}. {inbound.text}" if inbound and inbound.subject else ""
    if inbound is not None and not message:
        message = inbound.text
    return coach.review(message, draft, context_for(conversation))


def _threading(conversation: Conversation) -> tuple[str, list[str]]:
    """In-Reply-To and References: the customer's message ids and our earlier replies'."""
    ids: list[str] = []
    for extra in conversation.touchpoints().values_list("extra", flat=True):
        message_id = (extra or {}).get("message_id")
        if isinstance(message_id, str) and message_id.strip():
            ids.append(message_id.strip())
    for reply in conversation.replies.order_by("sent_at").values_list("message_id", flat=True):
        if reply:
            ids.append(reply)
    seen: list[str] = []
    for value in ids:
        wrapped = value if value.startswith("<") else f"<{value}>"
        if wrapped not in seen:
            seen.append(wrapped)
    inbound = last_inbound(conversation)
    latest = (inbound.extra or {}).get("message_id") if inbound else None
    if isinstance(latest, str) and latest.strip():
        latest = latest.strip() if latest.strip().startswith("<") else f"<{latest.strip()}>"
        return latest, seen
    return (seen[-1] if seen else ""), seen


def send(
    conversation: Conversation,
    author: StaffMember | None,
    text: str,
    *,
    status: str = Conversation.Status.WAITING,
    now: datetime | None = None,
    connection: Any = None,
) -> Reply:
    """Send (or record) ``text`` as our reply; the touchpoint, the reply row, the status.

    The e-mail goes first: if the mail server refuses it, nothing is recorded and
    :class:`ReplyError` says why. ``connection``: the mail backend to use (default: the
    configured one).
    """
    text = text.strip()
    if not text:
        raise ReplyError("The reply is empty.")
    now = now or timezone.now()
    review = check(conversation, text)
    delivery = Reply.Delivery.EMAIL if goes_by_email(conversation) else Reply.Delivery.RECORDED
    message_id = in_reply_to = ""
    # 1. E-mail it, threaded under the customer's message.
    if delivery == Reply.Delivery.EMAIL:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "devotion.local"
        message_id = make_msgid(domain=domain)
        in_reply_to, references = _threading(conversation)
        headers = {"Message-ID": message_id}
        if in_reply_to:
            headers["In-Reply-To"] = in_reply_to
            headers["References"] = " ".join(references)
        subject = conversation.subject or "Your message"
        message = EmailMessage(
            subject=subject if subject.lower().startswith("re:") else f"Re: {subject}",
            body=text,
            to=[conversation.person.primary_email],
            headers=headers,
        )
        try:
            if connection is not None:
                connection.send_messages([message])
            else:
                message.send()
        except Exception as exc:
            raise ReplyError(f"The mail server did not take the reply: {exc}") from exc
    # 2. The outbound touchpoint and the reply row, then tell everyone it was stored.
    inbound = last_inbound(conversation)
    with transaction.atomic():
        touchpoint = Touchpoint.objects.create(
            person_id=conversation.person_id,
            kind="message",
            channel=conversation.channel,
            direction=Direction.OUTBOUND,
            occurred_at=now,
            source=SOURCE,
            external_id=f"reply-{uuid.uuid4().hex}",
            thread=conversation.key,
            subject=conversation.subject[:500],
            text=text,
            staff=author,
            extra=_extra(delivery, message_id, in_reply_to, inbound),
        )
        reply = Reply.objects.create(
            conversation=conversation,
            touchpoint=touchpoint,
            author=author,
            text=text,
            delivery=delivery,
            message_id=message_id,
            in_reply_to=in_reply_to,
            coach=review.as_dict(),
            misses_points=review.misses_points,
            sent_at=now,
        )
        from devotion.people.models import Person

        Person.objects.filter(pk=conversation.person_id, last_activity_at__lt=now).update(
            last_activity_at=now
        )
        send_stored(
            StoredBatch(
                people_changed=[conversation.person_id], touchpoints={"message": [touchpoint.pk]}
            )
        )
    # 3. Tracking heard it (fulfilled the promise); now the status the agent chose.
    track([touchpoint.pk], now=now)  # no-op if the signal already did it
    conversation.refresh_from_db()
    if conversation.status != status:
        active = list(conversation.promises.filter(met_at__isnull=True))
        set_status(conversation, status, now, active)
        conversation.save()
        for promise in active:
            promise.save()
    return reply


def _extra(
    delivery: str, message_id: str, in_reply_to: str, inbound: Touchpoint | None
) -> dict[str, Any]:
    extra: dict[str, Any] = {"delivery": delivery}
    if message_id:
        extra["message_id"] = message_id
    if in_reply_to:
        extra["in_reply_to"] = in_reply_to
    if inbound is not None:
        extra["reply_to_touchpoint"] = inbound.pk
    return extra
