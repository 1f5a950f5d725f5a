"""The demo's retention story: customers won back again and again with ever bigger coupons
for ever shorter returns, loyal regulars who gave a 9 or 10 and then went quiet, a few saved
segments, a year of acquisition and retention spend, and the retention analysis over it all.

Everything is keyed on the seed (external ids, segment names, months), so a second
``devotion demo`` adds nothing: events come back as duplicates, segments and spend months are
there already, and the analysis is not rerun when nothing new was stored.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max
from faker import Faker

from devotion.demo import texts
from devotion.demo.texts import CATALOGUE, SUPPORT_STAFF
from devotion.ingest.store import ingest
from devotion.retention import analysis
from devotion.retention.models import RetentionReport, RetentionSpend, Segment
from devotion.retention.segments import parse_definition
from devotion.touchpoints.models import Touchpoint

WINBACK_STORIES = 36
QUIET_PROMOTERS = 14
# The coupon each successive win-back needed: bigger every time.
WINBACK_COUPONS = (("COMEBACK15", 15), ("MISSYOU20", 20), ("LASTCHANCE30", 30))

SEGMENTS: tuple[tuple[str, str, list[dict[str, Any]]], ...] = (
    (
        "Big spenders gone quiet",
        "Spent $300 or more, nothing from them for over 90 days: call before they are lost.",
        [
            {"field": "total_spent", "op": "gte", "value": 300},
            {"field": "last_activity_at", "op": "over", "value": 90},
        ],
    ),
    (
        "Regulars this quarter",
        "Five orders or more and in touch in the last 90 days: ask them for a review.",
        [
            {"field": "order_count", "op": "gte", "value": 5},
            {"field": "last_activity_at", "op": "within", "value": 90},
        ],
    ),
    (
        "UK & Canada newsletter",
        "Customers in Great Britain and Canada who agreed to marketing e-mail.",
        [
            {"field": "country", "op": "in", "value": ["GB", "CA"]},
            {"field": "consent_email", "op": "is", "value": "given"},
        ],
    ),
    (
        "Valuable and at risk",
        "Likely to leave (churn probability 50 % or more) and worth $300 or more.",
        [
            {"field": "churn_probability", "op": "gte", "value": 0.5},
            {"field": "lifetime_value", "op": "gte", "value": 300},
        ],
    ),
)


def _when(day: date, rng: random.Random) -> str:
    moment = datetime.combine(day, time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=UTC)
    return moment.isoformat()


class _Story:
    """Events for one made-up customer, with ids from the seed and their number only."""

    def __init__(self, seed: int, kind: str, index: int, fake: Faker, today: date) -> None:
        self.rng = random.Random(f"{seed}:retention:{kind}:{index}")
        self.key = f"{kind}-{seed}-{index}"
        first, last = fake.first_name(), fake.last_name()
        domain = self.rng.choice(("example.com", "example.net", "example.org", "mail.example"))
        self.first = first
        self.person = {
            "email": f"{first}.{last}.{index}@{domain}".lower().replace(" ", ""),
            "name": f"{first} {last}",
            "country": self.rng.choice(("US", "US", "US", "GB", "CA", "AU")),
            "external_id": f"cust-{self.key}",
        }
        self.today = today
        self.events: list[dict[str, Any]] = [
            {
                "kind": "customer",
                "source": "shopify",
                "external_id": f"customer-{self.key}",
                "person": dict(self.person),
                "consent": {"email": self.rng.random() < 0.6},
            }
        ]
        self.orders = 0

    def order(self, day: date, coupon: tuple[str, int] | None = None) -> None:
        if day >= self.today:
            return
        rng = self.rng
        lines, total = [], Decimal(0)
        for product in rng.sample(CATALOGUE, rng.choice((1, 1, 2, 3))):
            price = Decimal(product.price)
            off = (price * coupon[1] / 100).quantize(Decimal("0.01")) if coupon else Decimal(0)
            total += price - off
            lines.append(
                {
                    "product_id": product.sku,
                    "product_name": product.name,
                    "quantity": 1,
                    "unit_price": product.price,
                    "discount": str(off),
                }
            )
        self.events.append(
            {
                "kind": "order",
                "source": "shopify",
                "external_id": f"order-{self.key}-{self.orders}",
                "occurred_at": _when(day, rng),
                "person": dict(self.person),
                "channel": "web",
                "amount": str(total),
                "currency": "USD",
                "lines": lines,
                "extra": {"coupon": coupon[0]} if coupon else {},
            }
        )
        self.orders += 1

    def survey(self, day: date, survey: str, score: int) -> None:
        if day >= self.today:
            return
        staff = self.rng.choice(SUPPORT_STAFF)
        writer = texts.nps_comment if survey == "nps" else texts.csat_comment
        self.events.append(
            {
                "kind": "survey_answer",
                "source": "surveys",
                "external_id": f"{survey}-{self.key}",
                "occurred_at": _when(day, self.rng),
                "person": {"email": self.person["email"], "name": self.person["name"]},
                "channel": "email",
                "direction": "in",
                "subject": "How likely are you to recommend us?"
                if survey == "nps"
                else "How did we do?",
                "text": writer(self.rng, score, staff, texts.short_name(CATALOGUE[0])),
                "rating": score,
                "extra": {"survey": survey},
            }
        )


def _run(story: _Story, start: date, count: int, rhythm: int) -> date:
    """``count`` orders from ``start`` about every ``rhythm`` days; the last order's day."""
    day = start
    for n in range(count):
        if n:
            day += timedelta(days=max(5, round(story.rng.gauss(rhythm, rhythm / 5))))
        story.order(day)
    return day


def winback_story(seed: int, index: int, fake: Faker, today: date) -> list[dict[str, Any]]:
    """A regular who lapses and is won back with a coupon two or three times, each return
    shorter than the one before."""
    story = _Story(seed, "winback", index, fake, today)
    rng = story.rng
    rhythm = rng.randint(18, 28)
    day = _run(story, today - timedelta(days=rng.randint(660, 700)), rng.randint(4, 6), rhythm)
    returns = 3 if index % 3 else 2
    stays = (rng.randint(3, 5), rng.randint(1, 2), 1)
    for number in range(returns):
        day += timedelta(days=rng.randint(135, 165))  # the lapse
        story.order(day, WINBACK_COUPONS[number])
        if stays[number] > 1:  # the rest of the stay, at their old rhythm
            day = _run(story, day + timedelta(days=rhythm), stays[number] - 1, rhythm)
    return story.events


def quiet_promoter(seed: int, index: int, fake: Faker, today: date) -> list[dict[str, Any]]:
    """A loyal regular who answered a survey with top marks, then stopped ordering."""
    story = _Story(seed, "promoter", index, fake, today)
    rng = story.rng
    rhythm = rng.randint(21, 40)
    quiet_for = rng.randint(140, 260)
    count = rng.randint(6, 11)
    start = today - timedelta(days=quiet_for + rhythm * (count - 1))
    last = _run(story, start, count, rhythm)
    survey = "nps" if index % 3 else "csat"
    score = rng.choice((9, 10, 10)) if survey == "nps" else 5
    story.survey(last - timedelta(days=rng.randint(3, 12)), survey, score)
    return story.events


def _spend_months(seed: int, today: date) -> list[tuple[date, Decimal, Decimal]]:
    """The last twelve complete months with believable spend: acquisition grows into the
    holiday season, retention (loyalty perks, win-back offers) stays steadier."""
    rng = random.Random(f"{seed}:retention:spend")
    month = date(today.year, today.month, 1)
    months = []
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
        busy = {11: 1.6, 12: 1.4, 7: 1.3}.get(month.month, 1.0)
        acquisition = Decimal(round(rng.uniform(2200, 3200) * busy, -1))
        retention = Decimal(round(rng.uniform(650, 950) * (1 + (busy - 1) / 3), -1))
        months.append((month, acquisition, retention))
    return months


def ensure_retention(seed: int = 7, today: date | None = None) -> dict[str, int]:
    """Put the retention story into the demo (idempotent); what it added, by kind."""
    today = today or datetime.now(UTC).date()
    fake = Faker("en_US")
    fake.seed_instance(seed * 1000 + 14)
    # 1. Win-back stories and quiet promoters, through the one way in.
    events: list[dict[str, Any]] = []
    for i in range(WINBACK_STORIES):
        events += winback_story(seed, i, fake, today)
    for i in range(QUIET_PROMOTERS):
        events += quiet_promoter(seed, i, fake, today)
    customers = [e for e in events if e["kind"] == "customer"]
    rest = sorted((e for e in events if e["kind"] != "customer"), key=lambda e: e["occurred_at"])
    stored = 0
    for batch in (customers, rest):
        for at in range(0, len(batch), 1000):
            outcomes = ingest(batch[at : at + 1000])
            stored += sum(1 for o in outcomes if o.status == "created")
    # 2. Saved segments (checked like any other), unless one of that name exists.
    segments = 0
    for name, description, conditions in SEGMENTS:
        if not Segment.objects.filter(name=name).exists():
            parsed = parse_definition({"conditions": conditions})
            Segment.objects.create(
                name=name,
                description=description,
                definition={"conditions": [c.as_json() for c in parsed]},
            )
            segments += 1
    # 3. A year of spend, leaving any month a manager already entered alone.
    months = 0
    for month, acquisition, retention in _spend_months(seed, today):
        _, created = RetentionSpend.objects.get_or_create(
            month=month,
            defaults={
                "acquisition_spend": acquisition,
                "retention_spend": retention,
                "currency": settings.REPORTING_CURRENCY,
            },
        )
        months += created
    # 4. The analysis, when something it reads (orders, survey answers) was stored since the
    #    last one, or there is none. Later demo steps store messages, which it does not read.
    latest = RetentionReport.latest()
    read = Touchpoint.objects.filter(kind__in=("order", "survey_answer"))
    newest = read.aggregate(at=Max("created_at"))["at"]
    reports = 0
    if latest is None or (newest is not None and newest > latest.computed_at):
        analysis.run_now()
        reports = 1
    return {"events": stored, "segments": segments, "months": months, "reports": reports}
