"""A believable small business, generated from a seed: Hearth & Bean, home goods and coffee.

Plain Python with no Django import. :func:`generate` returns raw events in the canonical shape
of :mod:`devotion.ingest.events`, ready for ``ingest()``.

What the data holds, so that later analysis has something real to find:

- customers who joined over 18-24 months, more of them recently (the shop is growing);
- regulars, occasional and one-off buyers, drifters who bought steadily and then stopped
  (often after a badly handled problem), and a few who came back after a long gap;
- seasonality: November/December gifting and a July summer sale;
- support tickets (Zendesk), reviews (Trustpilot), NPS and CSAT answers, social comments,
  calls and staff notes, whose texts vary and whose tone follows each customer's experience;
- duplicate identities for identity resolution: e-mails typed differently in Zendesk, Stripe
  charges with only the e-mail, phone-only call records, leads who later buy, and a few people
  who used two e-mail addresses with the same phone (merged automatically by the ``links``).

Dates end yesterday so the demo looks current; every external id comes from the seed and
the customer's index only, so loading the demo again on another day adds nothing.
"""

from __future__ import annotations

import hashlib
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker

from devotion.demo import texts
from devotion.demo.texts import CATALOGUE, STAFF, SUPPORT_STAFF, Product, Staff


@dataclass(frozen=True, slots=True)
class Size:
    customers: int
    prospects: int
    months: int
    duplicate_pairs: int


SIZES = {
    "small": Size(customers=150, prospects=40, months=18, duplicate_pairs=2),
    "default": Size(customers=3000, prospects=800, months=22, duplicate_pairs=5),
}

# (archetype, share, mean days between orders)
ARCHETYPES = (
    ("regular", 0.18, 35.0),
    ("occasional", 0.33, 120.0),
    ("one_off", 0.32, 0.0),
    ("drifter", 0.13, 45.0),
    ("won_back", 0.04, 50.0),
)
LOCALES = (
    ("en_US", "US", 0.68),
    ("en_GB", "GB", 0.15),
    ("en_CA", "CA", 0.1),
    ("en_AU", "AU", 0.07),
)
DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "post.example")
US_AREAS = ("212", "415", "312", "617", "503", "206", "512", "720", "404", "305", "612", "919")
MAX_SEASON = 2.2


def season(day: date) -> float:
    """How busy the shop is on ``day`` relative to an ordinary day.

    >>> season(date(2025, 12, 5)) > season(date(2025, 3, 5))
    True
    """
    if day.month == 11:
        return 2.2 if day.day >= 21 else 1.6  # Black Friday week and the run-up to it
    if day.month == 12:
        return 2.0 if day.day <= 18 else 0.8
    if day.month == 7:
        return 2.0 if 8 <= day.day <= 21 else 1.2  # the summer sale
    return {1: 0.7, 2: 0.8}.get(day.month, 1.0)


@dataclass(slots=True)
class Customer:
    """One generated human and what the generator decided about them."""

    index: int
    name: str
    first: str
    email: str
    phone: str
    country: str
    archetype: str
    mood: float
    birthday: date
    pet: str
    colour: str
    child: str
    orders: list[float] = field(default_factory=list)
    second_email: str = ""


@dataclass(slots=True)
class DemoBusiness:
    """The generated events. ``links`` must be stored after ``events``, in their own batch:
    they are the records that reveal two existing people to be one, which makes a merge."""

    events: list[dict[str, Any]]
    links: list[dict[str, Any]]
    staff: tuple[Staff, ...] = STAFF

    @property
    def all_events(self) -> list[dict[str, Any]]:
        return [*self.events, *self.links]


def generate(seed: int = 7, size: str = "default", today: date | None = None) -> DemoBusiness:
    """Generate the demo business; the same seed, size and day give identical events.

    >>> demo = generate(seed=1, size="small", today=date(2025, 6, 1))
    >>> demo == generate(seed=1, size="small", today=date(2025, 6, 1))
    True
    >>> sorted({e["source"] for e in demo.events})[:3]
    ['devotion', 'phone', 'shopify']
    """
    return _Builder(seed, SIZES[size], today or datetime.now(UTC).date()).build()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class _Builder:
    def __init__(self, seed: int, size: Size, today: date) -> None:
        self.seed = seed
        self.size = size
        self.end = datetime.combine(today, time(0), tzinfo=UTC)  # nothing from today onwards
        self.span = round(size.months * 30.44)
        self.start = self.end - timedelta(days=self.span)
        self.rng = random.Random(seed)
        self.fakers = {}
        for offset, (locale, _, _) in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 10 + offset)
            self.fakers[locale] = fake
        self.used_emails: set[str] = set()
        self.used_phones: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []

    # ---- helpers -------------------------------------------------------------------------
    def _id(self, *parts: object, digits: int = 0) -> str:
        """A stable id from the seed and ``parts``: the same thing gets the same id every run."""
        digest = hashlib.sha1(
            "|".join(map(str, (self.seed, *parts))).encode(), usedforsecurity=False
        ).hexdigest()
        return str(int(digest[:14], 16) % 10**digits) if digits else digest[:12]

    def _when(self, t: float) -> str:
        return (self.start + timedelta(days=t)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _day(self, t: float) -> date:
        return (self.start + timedelta(days=t)).date()

    def _clock(self, rng: random.Random, day_t: float) -> float:
        """A time during waking hours on the day of ``day_t``."""
        return math.floor(day_t) + rng.uniform(7, 22.5) / 24

    def _email(self, first: str, last: str, rng: random.Random) -> str:
        base = f"{_ascii(first)}.{_ascii(last)}".replace(" ", "").replace("'", "")
        style = rng.random()
        local = base if style < 0.5 else f"{base}{rng.randint(1, 99)}" if style < 0.8 else base[0]
        if local == base[0]:
            local = f"{base[0]}{_ascii(last).replace(' ', '').replace(chr(39), '')}"
        email = f"{local}@{rng.choice(DOMAINS)}"
        while email in self.used_emails:
            email = f"{local}{rng.randint(100, 9999)}@{rng.choice(DOMAINS)}"
        self.used_emails.add(email)
        return email

    def _phone(self, country: str, rng: random.Random) -> str:
        for _ in range(50):
            if country == "GB":
                phone = f"+44 7700 900{rng.randint(0, 999):03d}"  # Ofcom's range for fiction
            elif country in ("US", "CA"):
                area = rng.choice(US_AREAS if country == "US" else ("416", "604", "514", "403"))
                phone = f"({area}) {rng.randint(201, 989)}-{rng.randint(0, 9999):04d}"
            else:
                return ""
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone
        return ""

    def _growth_t(self, rng: random.Random, lo: float = 0.0, hi: float = 1.0) -> float:
        """A joining time in [lo, hi] of the span, denser later on (density ~ 0.5 + x)."""
        while True:
            u = rng.random()
            x = (-1 + math.sqrt(1 + 8 * u)) / 2
            if lo <= x <= hi and rng.random() < season(self._day(x * self.span)) / MAX_SEASON:
                return x * self.span

    def _orders(self, rng: random.Random, begin: float, stop: float, mean: float) -> list[float]:
        """Order times from ``begin`` to ``stop``: a seasonal Poisson process (by thinning)."""
        times = [begin]
        t = begin
        while True:
            t += rng.expovariate(MAX_SEASON / mean)
            if t >= stop:
                return times
            if rng.random() < season(self._day(t)) / MAX_SEASON:
                times.append(t)

    # ---- people ----------------------------------------------------------------------------
    def _person(self, index: int) -> Customer:
        rng = self.rng
        locale, country, _ = rng.choices(LOCALES, weights=[w for _, _, w in LOCALES])[0]
        fake = self.fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        archetype = rng.choices(ARCHETYPES, weights=[w for _, w, _ in ARCHETYPES])[0][0]
        mood = max(-1.0, min(1.0, rng.gauss(0.35, 0.4) - (0.45 if archetype == "drifter" else 0)))
        return Customer(
            index=index,
            name=f"{first} {last}",
            first=first,
            email=self._email(first, last, rng),
            phone=self._phone(country, rng) if rng.random() < 0.7 else "",
            country=country,
            archetype=archetype,
            mood=mood,
            birthday=date(rng.randint(1950, 2003), rng.randint(1, 12), rng.randint(1, 28)),
            pet=rng.choice(texts.PET_NAMES),
            colour=rng.choice(texts.COLOURS),
            child=fake.first_name_male(),
        )

    def build(self) -> DemoBusiness:
        # Profiles first, from the one seeded stream: they never depend on today's date.
        customers = [self._person(i) for i in range(self.size.customers)]
        prospects = [self._person(self.size.customers + i) for i in range(self.size.prospects)]
        for customer in customers:
            self._customer(customer)
        for prospect in prospects:
            self._prospect(prospect)
        self._duplicates(customers)
        self._fans()
        self.events.sort(key=lambda e: (e.get("occurred_at") or "", e["external_id"]))
        return DemoBusiness(self.events, self.links)

    def _ident(self, c: Customer, *, shopify: bool = True) -> dict[str, str]:
        person = {"email": c.email, "name": c.name, "country": c.country}
        if shopify:
            person["external_id"] = f"cust-{self._id('customer', c.index, digits=10)}"
        return person

    def _values(self, c: Customer, rng: random.Random) -> dict[str, str]:
        product = rng.choice(CATALOGUE)
        return {
            "first": c.first,
            "product": product.name,
            "item": texts.short_name(product),
            "order": f"#{rng.randint(1001, 1000 + 6 * self.size.customers)}",
            "order_date": "",
            "days": str(rng.randint(4, 21)),
            "amount": f"{rng.uniform(12, 180):.2f}",
            "pet": c.pet,
            "birthday": f"{c.birthday:%B} {c.birthday.day}",
            "colour": c.colour,
            "child": c.child,
        }

    def _customer(self, c: Customer) -> None:
        # Each customer's behaviour has its own stream, so one customer's calendar (which
        # depends on today's date) cannot shift another's ids.
        rng = random.Random(f"{self.seed}:customer:{c.index}")
        kind = c.archetype
        mean = dict((a, m) for a, _, m in ARCHETYPES)[kind]
        stopped_after_problem = False
        if kind == "one_off":
            c.orders = [self._growth_t(rng)]
        elif kind == "regular":
            c.orders = self._orders(rng, self._growth_t(rng, 0, 0.8), self.span, mean)
        elif kind == "occasional":
            c.orders = self._orders(rng, self._growth_t(rng, 0, 0.9), self.span, mean)
        elif kind == "drifter":
            begin = self._growth_t(rng, 0, 0.55)
            stop = begin + (self.span - 120 - begin) * rng.uniform(0.4, 0.9)
            c.orders = self._orders(rng, begin, max(stop, begin + 60), mean)
            stopped_after_problem = rng.random() < 0.7
        else:  # won back: steady, a long gap, then back again
            begin = self._growth_t(rng, 0, 0.3)
            gap = begin + (self.span - begin) * rng.uniform(0.3, 0.45)
            back = gap + rng.uniform(150, 240)
            c.orders = self._orders(rng, begin, gap, mean)
            c.orders += self._orders(rng, min(back, self.span - 5), self.span, mean)
        c.orders = [self._clock(rng, t) for t in c.orders if t < self.span - 0.5]
        c.orders.sort()
        if not c.orders:
            c.orders = [self._clock(rng, self.span - 2)]

        joined = max(0.0, c.orders[0] - rng.uniform(0, 3))
        if rng.random() < 0.1:  # known first as a lead (newsletter sign-up), then buys
            self._lead(c, rng, max(0.0, joined - rng.uniform(5, 60)), with_name=False)
        customer_record: dict[str, Any] = {
            "kind": "customer",
            "source": "shopify",
            "occurred_at": self._when(joined),
            "person": {**self._ident(c), "phone": c.phone},
            "consent": {"email": rng.random() < 0.6, "sms": bool(c.phone) and rng.random() < 0.2},
            "external_id": f"customer-{c.index}",
        }
        if rng.random() < 0.15:  # joined the birthday club at sign-up
            customer_record["facts"] = {"birthday": c.birthday.isoformat()}
        self.events.append(customer_record)

        subscriber = kind in ("regular", "drifter") and rng.random() < 0.4
        for number, t in enumerate(c.orders):
            self._order(c, rng, number, t)
            last = number == len(c.orders) - 1
            problem_p = (
                0.06 + (0.08 if c.mood < 0 else 0) + (0.05 if season(self._day(t)) > 1.5 else 0)
            )
            if last and stopped_after_problem:
                self._ticket(c, rng, t, problem=True, handled_well=False)
            elif rng.random() < problem_p:
                self._ticket(c, rng, t, problem=True, handled_well=rng.random() < 0.85)
            if rng.random() < 0.1:
                self._nps(c, rng, t + rng.uniform(7, 20))
        if subscriber:
            self._subscription(c, rng, c.orders[0], c.orders[-1] if kind == "drifter" else None)
        if rng.random() < 0.12:
            self._ticket(c, rng, rng.uniform(c.orders[0], self.span), problem=False)
        if rng.random() < 0.2 + (0.25 if c.mood < -0.3 else 0):
            self._review(c, rng, min(self.span - 1, c.orders[-1] + rng.uniform(4, 25)))
        if rng.random() < 0.12:
            for _ in range(rng.randint(1, 3)):
                self._social(c, rng, rng.uniform(c.orders[0], self.span), with_email=True)
        if c.phone and rng.random() < 0.06:
            self._call(c, rng, rng.uniform(c.orders[0], self.span))
        if rng.random() < 0.04:
            self._note(c, rng, rng.uniform(c.orders[0], self.span))

    def _prospect(self, c: Customer) -> None:
        rng = random.Random(f"{self.seed}:prospect:{c.index}")
        t = self._growth_t(rng)
        self._lead(c, rng, t, with_name=rng.random() < 0.7)
        if rng.random() < 0.1:
            self._ticket(c, rng, min(self.span - 1, t + rng.uniform(0, 20)), problem=False)
        if rng.random() < 0.05:
            self._social(c, rng, min(self.span - 1, t + rng.uniform(0, 60)), with_email=True)

    # ---- touchpoints -----------------------------------------------------------------------
    def _lead(self, c: Customer, rng: random.Random, t: float, *, with_name: bool) -> None:
        person: dict[str, str] = {"email": c.email}
        if with_name:
            person["name"] = c.name
        if c.phone and rng.random() < 0.2:
            person["phone"] = c.phone
        form = rng.choice(["newsletter", "newsletter", "giveaway", "restock alert", "wholesale"])
        self.events.append(
            {
                "kind": "lead" if form != "newsletter" else "signup",
                "source": "website",
                "external_id": f"lead-{self._id('lead', c.index)}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": person,
                "channel": "web",
                "direction": "in",
                "subject": f"Signed up: {form}",
                "consent": {"email": True},
                "extra": {"form": form},
            }
        )

    def _order(self, c: Customer, rng: random.Random, number: int, t: float) -> None:
        day = self._day(t)
        gifting = day.month in (11, 12)
        lines, total = [], Decimal(0)
        coupon = ""
        if number == 0 and rng.random() < 0.3:
            coupon = "WELCOME10"
        elif day.month == 7 and 8 <= day.day <= 21 and rng.random() < 0.5:
            coupon = "SUMMER15"
        elif gifting and rng.random() < 0.25:
            coupon = "GIFT10"
        elif rng.random() < 0.04:
            coupon = "LOYAL5"
        pct = {"WELCOME10": 10, "SUMMER15": 15, "GIFT10": 10, "LOYAL5": 5}.get(coupon, 0)
        count = rng.choices((1, 2, 3, 4), weights=(50, 30, 14, 6))[0]
        for product in self._basket(rng, count, c.archetype, gifting):
            quantity = 2 if rng.random() < 0.12 else 1
            price = Decimal(product.price)
            discount = (price * quantity * pct / 100).quantize(Decimal("0.01"))
            total += price * quantity - discount
            lines.append(
                {
                    "product_id": product.sku,
                    "product_name": product.name,
                    "quantity": quantity,
                    "unit_price": product.price,
                    "discount": str(discount),
                }
            )
        self.events.append(
            {
                "kind": "order",
                "source": "shopify",
                "external_id": self._id("order", c.index, number, digits=13),
                "occurred_at": self._when(t),
                "person": self._ident(c),
                "channel": "web",
                "amount": str(total),
                "currency": "USD",
                "lines": lines,
                "extra": {"coupon": coupon} if coupon else {},
            }
        )

    def _basket(self, rng: random.Random, count: int, archetype: str, gifting: bool) -> list:
        weights = []
        for product in CATALOGUE:
            weight = 3.0 if product.category == "coffee" else 1.0
            if archetype == "regular" and product.category == "coffee":
                weight = 8.0
            if gifting and product.category in ("gifts", "home", "tableware"):
                weight *= 3
            weights.append(weight)
        picked: list[Product] = []
        while len(picked) < count:
            product = rng.choices(CATALOGUE, weights=weights)[0]
            if product not in picked:
                picked.append(product)
        return picked

    def _subscription(
        self, c: Customer, rng: random.Random, begin: float, stop: float | None
    ) -> None:
        """Monthly Coffee Club charges taken by Stripe: they carry only the e-mail."""
        t = begin + rng.uniform(1, 20)
        number = 0
        while t < (stop or self.span) and t < self.span - 0.5:
            email = c.email if number % 3 else c.email.upper()
            self.events.append(
                {
                    "kind": "order",
                    "source": "stripe",
                    "external_id": f"ch_{self._id('charge', c.index, number)}",
                    "occurred_at": self._when(t),
                    "person": {"email": email},
                    "channel": "web",
                    "amount": texts.SUBSCRIPTION.price,
                    "currency": "USD",
                    "lines": [
                        {
                            "product_id": texts.SUBSCRIPTION.sku,
                            "product_name": texts.SUBSCRIPTION.name,
                            "quantity": 1,
                            "unit_price": texts.SUBSCRIPTION.price,
                        }
                    ],
                    "extra": {"description": "Coffee Club"},
                }
            )
            number += 1
            t += 30.4

    # ---- conversations ---------------------------------------------------------------------
    def _zendesk_person(self, c: Customer, rng: random.Random, channel: str) -> dict[str, str]:
        email = c.email
        if rng.random() < 0.25:  # agents and customers type addresses any old way
            email = f" {c.email.title()} " if rng.random() < 0.5 else c.email.upper()
        person = {"email": email, "name": c.name, "external_id": f"zd-{self._id('zd', c.index)}"}
        if channel == "phone" and c.phone:
            person["phone"] = c.phone
        return person

    def _ticket(
        self,
        c: Customer,
        rng: random.Random,
        t: float,
        *,
        problem: bool,
        handled_well: bool = True,
        email: str = "",
    ) -> None:
        """A Zendesk ticket: the customer writes, a named staff member answers, and so on."""
        day = self._day(t)
        if problem:
            peak = day.month in (11, 12) and rng.random() < 0.5
            topic = "peak_shipping" if peak else rng.choice(texts.PROBLEMS[:-1])
            t += rng.uniform(1, 4) if topic in ("billing", "checkout_bug") else rng.uniform(3, 12)
        else:
            topic = rng.choice(texts.QUESTIONS)
        if t >= self.span - 0.1:
            return
        thread = f"ZD-{self._id('ticket', c.index, round(t * 24), digits=9)}"
        sent = [0]
        channel = rng.choices(("email", "chat", "phone"), weights=(60, 25, 15))[0]
        person = self._zendesk_person(c, rng, channel)
        if email:
            person = {"email": email, "name": c.name, "external_id": f"zd-{self._id('zd2', email)}"}
        values = self._values(c, rng)
        ordered = self._day(t - rng.uniform(4, 14))
        values["order_date"] = f"{ordered:%B} {ordered.day}"
        if not problem:
            emotion = rng.choice(["neutral", "neutral", "joy", "anxiety"])
        elif c.mood < -0.2 or not handled_well:
            emotion = rng.choice(["anger", "frustration", "frustration", "disappointment"])
        else:
            emotion = "anxiety" if topic == "peak_shipping" else rng.choice(list(texts.FEELINGS))
        aside = rng.randrange(len(texts.ASIDES)) if rng.random() < 0.3 else None
        text, facts = texts.inbound_message(rng, topic, emotion, values, aside)
        subject = rng.choice(texts.SUBJECTS[topic]).format(**values)
        staff = rng.choice(SUPPORT_STAFF)
        extra = {"topic": topic, "emotion": emotion}
        t = self._clock(rng, t)

        def message(kind_t: float, direction: str, body: str, **more: Any) -> bool:
            if kind_t >= self.span:
                return False  # not happened yet: the ticket is still open
            self.events.append(
                {
                    "kind": "message",
                    "source": "zendesk",
                    "external_id": f"{thread}-{sent[0]}",
                    "occurred_at": self._when(kind_t),
                    "person": person,
                    "channel": channel,
                    "direction": direction,
                    "thread": thread,
                    "subject": subject,
                    "text": body,
                    **more,
                }
            )
            sent[0] += 1
            return True

        message(t, "in", text, facts=facts, extra={**extra, "assignee": staff.name})
        delay = rng.uniform(0.002, 0.03) if channel == "chat" else rng.uniform(0.05, 1.6)
        t += delay
        reply = texts.staff_reply(rng, topic, staff, values)
        if not handled_well:
            reply = texts.rude_reply(rng)
        if not message(t, "out", reply, staff=staff.name):
            return
        happy = handled_well and rng.random() < 0.9
        if rng.random() < (0.55 if happy else 0.8):
            t += rng.uniform(0.02, 2)
            body, feeling = texts.follow_up(rng, happy, staff, values)
            if not message(t, "in", body, extra={"emotion": feeling}):
                return
            if not happy and rng.random() < 0.5:
                t += rng.uniform(0.1, 2)
                lead = STAFF[1]
                if not message(
                    t, "out", texts.staff_reply(rng, topic, lead, values), staff=lead.name
                ):
                    return
        if rng.random() < 0.4 and t + 1 < self.span:
            score = rng.choice((4, 5, 5)) if happy else rng.choice((1, 1, 2, 3))
            self._survey(c, rng, t + rng.uniform(0.5, 2), "csat", score, staff, thread)

    def _survey(
        self,
        c: Customer,
        rng: random.Random,
        t: float,
        survey: str,
        score: int,
        staff: Staff,
        thread: str = "",
    ) -> None:
        if t >= self.span:
            return
        writer = texts.nps_comment if survey == "nps" else texts.csat_comment
        comment = writer(rng, score, staff, texts.short_name(rng.choice(CATALOGUE)))
        self.events.append(
            {
                "kind": "survey_answer",
                "source": "surveys",
                "external_id": f"{survey}-{self._id(survey, c.index, round(t * 24))}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"email": c.email, "name": c.name},
                "channel": "email",
                "direction": "in",
                "thread": thread,
                "subject": "How likely are you to recommend us?"
                if survey == "nps"
                else "How did we do?",
                "text": comment,
                "rating": score,
                "extra": {"survey": survey},
            }
        )

    def _nps(self, c: Customer, rng: random.Random, t: float) -> None:
        score = round(8 + 3 * c.mood + rng.gauss(0, 1.2))
        self._survey(c, rng, t, "nps", max(0, min(10, score)), rng.choice(SUPPORT_STAFF))

    def _review(self, c: Customer, rng: random.Random, t: float) -> None:
        bad = c.mood < -0.2 or (c.archetype == "drifter" and rng.random() < 0.6)
        if bad:
            stars = rng.choice((1, 1, 2, 2, 3))
        else:
            stars = rng.choice((5, 5, 4)) if c.mood > 0.4 else rng.choice((5, 4, 4, 3))
        staff = rng.choice(SUPPORT_STAFF) if stars >= 4 and rng.random() < 0.3 else None
        problem = rng.choice((*texts.PROBLEMS, "rude"))
        values = self._values(c, rng)
        self.events.append(
            {
                "kind": "review",
                "source": "trustpilot",
                "external_id": f"tp-{self._id('review', c.index)}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"email": c.email, "name": c.name},
                "channel": "review_site",
                "direction": "in",
                "subject": texts.review_title(rng, stars),
                "text": texts.review_text(rng, stars, problem, staff, values),
                "rating": stars,
            }
        )

    def _social(self, c: Customer, rng: random.Random, t: float, *, with_email: bool) -> None:
        platform = rng.choice(("instagram", "instagram", "facebook", "twitter"))
        handle = _ascii(c.first + c.name.split()[-1]).replace(" ", "").replace("'", "")
        person: dict[str, str] = {"external_id": f"{platform}:{handle}{c.index}"}
        if with_email:
            person.update(email=c.email, name=c.name)
        self.events.append(
            {
                "kind": "social_comment",
                "source": "social",
                "external_id": f"{platform}-{self._id('social', c.index, round(t * 24))}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": person,
                "channel": platform,
                "direction": "in",
                "text": texts.social_comment(rng, c.mood, self._values(c, rng)),
            }
        )

    def _call(self, c: Customer, rng: random.Random, t: float) -> None:
        """A phone call logged by the phone system: it knows only the caller's number."""
        staff = rng.choice(SUPPORT_STAFF)
        topic = rng.choice((*texts.PROBLEMS, *texts.QUESTIONS))
        self.events.append(
            {
                "kind": "call",
                "source": "phone",
                "external_id": f"call-{self._id('call', c.index, round(t * 24))}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"phone": c.phone.replace("(", "").replace(") ", "-")},
                "channel": "phone",
                "direction": "in",
                "text": texts.call_summary(rng, topic, self._values(c, rng)),
                "staff": staff.name,
                "extra": {"duration_seconds": rng.randint(45, 1500)},
            }
        )

    def _note(self, c: Customer, rng: random.Random, t: float) -> None:
        staff = rng.choice(STAFF[:6])
        text, facts = texts.staff_note(rng, self._values(c, rng))
        self.events.append(
            {
                "kind": "note",
                "source": "devotion",
                "external_id": f"note-{self._id('note', c.index)}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"email": c.email},
                "text": text,
                "staff": staff.name,
                "facts": facts,
            }
        )

    # ---- identity resolution material -------------------------------------------------------
    def _duplicates(self, customers: list[Customer]) -> None:
        """People who wrote from a second address; a later phone ticket shows they are one."""
        with_phone = [c for c in customers if c.phone]
        picked = random.Random(f"{self.seed}:dups").sample(with_phone, self.size.duplicate_pairs)
        for c in picked:
            rng = random.Random(f"{self.seed}:dup:{c.index}")
            c.second_email = f"{_ascii(c.first)}.{c.index}@work.example"
            t = rng.uniform(c.orders[0], self.span - 30)
            self._ticket(c, rng, t, problem=False, email=c.second_email)
            link_t = self._clock(rng, rng.uniform(t + 1, self.span - 1))
            self.links.append(
                {
                    "kind": "message",
                    "source": "zendesk",
                    "external_id": f"ZD-link-{self._id('link', c.index)}",
                    "occurred_at": self._when(link_t),
                    "person": {"email": c.second_email, "phone": c.phone, "name": c.name},
                    "channel": "phone",
                    "direction": "in",
                    "subject": "Phone call",
                    "text": f"Hi, it's {c.first} calling from my work line about my last order. "
                    "Same account as my personal e-mail.",
                }
            )

    def _fans(self) -> None:
        """Social followers who never bought: prospects known only by their handle."""
        for index in range(self.size.prospects // 10):
            fan = self._person(10**6 + index)
            rng = random.Random(f"{self.seed}:fan:{index}")
            fan.mood = abs(fan.mood)
            self._social(fan, rng, self._growth_t(rng), with_email=False)
