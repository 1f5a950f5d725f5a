"""The demo's scoring step: a few "satisfied defectors" (the seeds' warning: most customers
who leave said they were happy), then everyone scored, so the customers list and customer
pages show health, risk, value and segment on the first run.

Idempotent: the defectors' events have fixed ids (a second run stores nothing new), and
scoring runs only when no run exists yet.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker

from devotion.core import jobs, queues
from devotion.demo.texts import CATALOGUE
from devotion.ingest.store import ingest
from devotion.retention.models import ScoringRun
from devotion.retention.scoring import run_scoring
from devotion.retention.tasks import schedule_nightly

DEFECTORS = 12


def defector_events(today: datetime, seed: int = 7) -> list[dict[str, Any]]:
    """Customers who bought about monthly for a year, told us they loved us (NPS 9-10), and
    then stopped buying three to five months ago."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed + 1)
    coffee = [p for p in CATALOGUE if p.category == "coffee"]
    events: list[dict[str, Any]] = []
    for i in range(DEFECTORS):
        first, last = fake.first_name(), fake.last_name()
        email = f"{first}.{last}.{i}@example.org".lower()
        person = {"email": email, "name": f"{first} {last}"}
        stopped = today - timedelta(days=rng.uniform(95, 150))
        gap = rng.uniform(24, 36)
        orders = rng.randint(9, 14)
        for k in range(orders):
            when = stopped - timedelta(days=gap * (orders - 1 - k) + rng.uniform(-3, 3))
            product = rng.choice(coffee)
            quantity = rng.randint(1, 2)
            events.append(
                {
                    "kind": "order",
                    "source": "shopify",
                    "external_id": f"demo-defector-{i}-order-{k}",
                    "occurred_at": when.isoformat(),
                    "person": person,
                    "channel": "web",
                    "amount": str(Decimal(product.price) * quantity),
                    "currency": "USD",
                    "lines": [
                        {
                            "product_id": product.sku,
                            "product_name": product.name,
                            "quantity": quantity,
                            "unit_price": product.price,
                        }
                    ],
                }
            )
        events.append(
            {
                "kind": "survey_answer",
                "source": "surveys",
                "external_id": f"demo-defector-{i}-nps",
                "occurred_at": (stopped - timedelta(days=rng.uniform(10, 20))).isoformat(),
                "person": person,
                "channel": "email",
                "direction": "in",
                "subject": "How likely are you to recommend us?",
                "text": rng.choice(
                    (
                        "Love the beans, always fresh.",
                        "Great coffee and quick delivery.",
                        "Very happy, nothing to add.",
                    )
                ),
                "rating": rng.choice((9, 10, 10)),
                "extra": {"survey": "nps"},
            }
        )
    return events


def ensure_scores(now: datetime | None = None) -> str:
    """Add the defectors, score everyone once, and start the nightly scoring; a sentence
    saying what happened."""
    now = now or datetime.now(UTC)
    ingest(defector_events(now))
    schedule_nightly()
    if ScoringRun.objects.exists():
        return "Scores are already here (scored nightly; recompute under Settings > Scoring)."
    job = jobs.create("score", "Score the demo business", queue=queues.SCORING)
    outcome = jobs.run(job, lambda j: run_scoring(retrain=True, job=j))
    run = outcome.run
    at_risk = sum(n for k, n in run.stage_moves.items() if k.endswith(">at_risk"))
    return (
        f"Scored {run.customers:,} customers: {at_risk:,} moved to at risk, "
        f"{len(run.segments)} RFM segments."
    )
