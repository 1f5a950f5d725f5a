"""The demo's voice of the customer: an emerging problem in the last days, a customer asking
for a manager and a rude reply of ours, then every demo text understood.

Idempotent: the added messages have fixed ids (a second run stores nothing new) and only
texts with no analysis yet are analysed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from devotion.core import jobs, queues
from devotion.core.models import Job
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.voice.analysis import analyse_history, history
from devotion.voice.models import TextAnalysis

SOURCE = "demo-voice"
# The new problem: a batch of grinders whose lids crack in the post, all in the last week.
_SPIKE = [
    "The burr grinder arrived with the lid cracked right across.",
    "Lid of my new coffee grinder is cracked, it was damaged in the box.",
    "Grinder came today and the hopper lid is broken. Can you send a new one?",
    "My grinder arrived damaged - cracked lid, bits of plastic in the beans.",
    "Second grinder in a month with a cracked lid. What is going on?",
    "Opened the grinder this morning: the lid is smashed. Really disappointed.",
    "The grinder lid is cracked and the box was fine, so it left you like that?",
    "Broken grinder lid again. I need a replacement before the weekend please.",
]
_MANAGER = (
    "This is the third time I'm writing about order #2231 and nobody fixes it. "
    "I want to speak to a manager."
)
_RUDE = "Calm down. As I already told you, the delay is not our problem."


def _people(n: int) -> list[Person]:
    """Demo customers with an e-mail, the same ones every run."""
    return list(
        Person.objects.live().exclude(primary_email="").filter(order_count__gt=0).order_by("pk")[:n]
    )


def _event(i: str, person: Person, when: datetime, text: str, **more: Any) -> dict[str, Any]:
    return {
        "kind": "message",
        "source": SOURCE,
        "external_id": i,
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "person": {"email": person.primary_email},
        "channel": "email",
        "direction": "in",
        "thread": f"{SOURCE}-{i}",
        "text": text,
        **more,
    }


def ensure_voice(now: datetime | None = None) -> dict[str, int]:
    """Add the voice scenario (once) and analyse every text not analysed yet; returns counts."""
    now = now or datetime.now(UTC)
    rng = random.Random(15)
    people = _people(24)
    if len(people) < 20:
        return {"added": 0, "analysed": 0}
    events = []
    # 1. The emerging problem: damaged grinders, 18 customers in the last 6 days.
    for n, person in enumerate(people[:18]):
        when = now - timedelta(days=rng.uniform(0.2, 6.0))
        events.append(_event(f"spike-{n}", person, when, _SPIKE[n % len(_SPIKE)]))
    # 2. A customer asking for a manager, and our rude answer to them.
    angry = people[20]
    events.append(_event("manager", angry, now - timedelta(hours=30), _MANAGER))
    events.append(
        _event(
            "manager-reply",
            angry,
            now - timedelta(hours=29),
            _RUDE,
            direction="out",
            staff="Priya Shah",
            thread=f"{SOURCE}-manager",
        )
    )
    events[-2]["thread"] = f"{SOURCE}-manager"
    added = sum(1 for outcome in ingest(events) if outcome.status == "created")
    # 3. Every demo text understood here and now (what the analysis worker does as texts
    # arrive); the per-batch jobs loading queued are then done already: cancel them.
    analysed = 0
    if history(everything=False).exists():
        job = jobs.create("analyze", "Understand the demo's texts", queue=queues.ANALYSIS)
        analysed = jobs.run(job, lambda j: analyse_history(j, everything=False))
        for queued in Job.objects.filter(kind="analyze", status=Job.Status.QUEUED):
            if queued.cancel():
                queued.write_log(f"Cancelled: job {job.pk} analysed these texts with the rest.")
    return {"added": added, "analysed": analysed, "total": TextAnalysis.objects.count()}
