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

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from devotion.demo.generator.shape import SIZES, Customer, Size, ascii_key
from devotion.demo.generator.shop import Shop
from devotion.demo.texts import STAFF, Staff


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


class _Builder(Shop):
    """Generates the whole business: people first, then each one's life, then the records
    that identity resolution has to join."""

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

    # ---- identity resolution material -------------------------------------------------------
    def _duplicates(self, customers: list[Customer]) -> None:
        """People who wrote from a second address; a later phone ticket shows they are one."""
        with_phone = [c for c in customers if c.phone]
        picked = random.Random(f"{self.seed}:dups").sample(with_phone, self.size.duplicate_pairs)
        for c in picked:
            rng = random.Random(f"{self.seed}:dup:{c.index}")
            c.second_email = f"{ascii_key(c.first)}.{c.index}@work.example"
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


__all__ = ["SIZES", "DemoBusiness", "Size", "generate"]
