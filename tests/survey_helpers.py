"""Builders shared by the survey tests: a few customers with recent touchpoints, a survey."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

from devotion.core.models import OutboxMessage
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.voice.surveys import sending
from devotion.voice.surveys.models import Survey, SurveyInvitation

CUSTOMERS = [
    ("ada@example.com", "Ada Lovelace"),
    ("grace@example.com", "Grace Hopper"),
    ("alan@example.com", "Alan Turing"),
]


def customers(days_ago: int = 5, kind: str = "order", people=CUSTOMERS) -> list[Person]:
    """One touchpoint of ``kind`` ``days_ago`` days ago for each customer."""
    when = (timezone.now() - timedelta(days=days_ago)).isoformat()
    events = [
        {
            "kind": kind,
            "source": "shop",
            "external_id": f"{kind}-{email}-{days_ago}",
            "occurred_at": when,
            "person": {"email": email, "name": name},
            "amount": "12.00" if kind == "order" else None,
            "currency": "USD" if kind == "order" else None,
            "text": "Where is my parcel?" if kind == "message" else "",
        }
        for email, name in people
    ]
    for event in events:
        if event["amount"] is None:
            del event["amount"], event["currency"]
    outcomes = ingest(events)
    assert all(o.accepted for o in outcomes), outcomes
    return list(Person.objects.filter(pk__in=[o.person_id for o in outcomes]).order_by("pk"))


def survey(**fields: Any) -> Survey:
    values: dict[str, Any] = {
        "name": "Spring NPS",
        "sender": "Hearth & Bean",
        "kind": "nps",
        "question": "How likely are you to recommend Hearth & Bean to a friend?",
        "follow_up": "What is the main reason for your score?",
        "thank_you": "Thank you! Every answer is read by our team.",
        "target_kind": "order",
        "target_days": 30,
        "link_base": "http://testserver/",
    }
    values.update(fields)
    return Survey.objects.create(**values)


def sent_survey(**fields: Any) -> Survey:
    """A survey sent (in outbox mode) to everyone its target names."""
    s = survey(**fields)
    sending.send(s)
    return s


def invitation_of(s: Survey, email: str) -> SurveyInvitation:
    return SurveyInvitation.objects.select_related("survey").get(survey=s, email=email)


def links_in(text: str) -> list[str]:
    """The survey links in an e-mail body, as paths the test client can open."""
    return [
        re.sub(r"^https?://[^/]+", "", url).replace("&amp;", "&")
        for url in re.findall(r"https?://[^\s\"<>]+", text)
    ]


def answer_link(email: str) -> str:
    """The plain answer link of the survey e-mail sent to ``email`` (outbox or locmem)."""
    bodies = [m.body for m in mail.outbox if email in m.to] or [
        m.text_body for m in OutboxMessage.objects.filter(to=email).order_by("-id")
    ]
    return next(
        link for link in links_in(bodies[0]) if "/surveys/a/" in link and "unsubscribe" not in link
    )
