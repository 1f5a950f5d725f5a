"""The generator's state and shared helpers (ids, calendar, contact details, people)."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from faker import Faker

from devotion.demo import texts
from devotion.demo.generator.shape import (
    ARCHETYPES,
    DOMAINS,
    LOCALES,
    MAX_SEASON,
    US_AREAS,
    Customer,
    Size,
    ascii_key,
    season,
)
from devotion.demo.texts import CATALOGUE


class Base:
    """The builder's state and helpers: stable ids, times on the calendar, e-mails, phones, order
    calendars, and generated people."""

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
        base = f"{ascii_key(first)}.{ascii_key(last)}".replace(" ", "").replace("'", "")
        style = rng.random()
        local = base if style < 0.5 else f"{base}{rng.randint(1, 99)}" if style < 0.8 else base[0]
        if local == base[0]:
            local = f"{base[0]}{ascii_key(last).replace(' ', '').replace(chr(39), '')}"
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
