"""What customers do: each archetype's life as a customer (orders, subscriptions, leads), and
prospects who never buy."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from devotion.demo import texts
from devotion.demo.generator.service import Service
from devotion.demo.generator.shape import ARCHETYPES, Customer, season
from devotion.demo.texts import CATALOGUE, Product


class Shop(Service):
    """The buying side of the builder: one customer's whole life with the shop."""

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
