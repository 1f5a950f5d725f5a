"""Spend in the reporting currency: the one rule every writer of ``Person.total_spent`` and
``Person.spend_incomplete`` follows (the import's general path, its columnar lane, merges and
``devotion recount-spend``).

Each order with an amount counts once: as is when it is in the reporting currency
(``DEVOTION_CURRENCY``) or has no currency; converted with the business's rate
(``DEVOTION_FX_RATES``) and rounded to the reporting currency's cents when it is in another;
not at all when its currency has no rate, and then the person's ``spend_incomplete`` is set
(a made-up number would sort the customers list wrongly; a missing one is said).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum

from devotion.lib import money

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Rates:
    """The reporting currency and the rates into it (what one unit of each other currency is
    worth in it). Picklable: the columnar lane hands it to its helper process."""

    reporting: str
    rates: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def current(cls) -> Rates:
        """As the settings say now."""
        return cls(settings.REPORTING_CURRENCY, dict(settings.FX_RATES))

    def value(self, amount: Decimal, currency: str) -> Decimal | None:
        """What an order of ``amount`` in ``currency`` adds to total_spent; None when its
        currency has no rate.

        >>> rates = Rates("USD", {"EUR": Decimal("1.08")})
        >>> rates.value(Decimal("54"), ""), rates.value(Decimal("100"), "EUR")
        (Decimal('54'), Decimal('108.00'))
        >>> rates.value(Decimal("5000"), "JPY") is None
        True
        """
        if not currency or currency == self.reporting:
            return amount
        return money.convert(amount, currency, self.reporting, self.rates)


def spend_totals(
    person_ids: Iterable[int], rates: Rates | None = None, touchpoints: Any = None
) -> dict[int, tuple[Decimal, bool]]:
    """Per person (each of ``person_ids``): total spent in the reporting currency, and
    whether an order in a currency without a rate was left out. Three queries: orders in the
    reporting currency added up by the database, the people with unconvertible orders, and
    the orders in other currencies (converted one by one, as the import does).

    ``touchpoints``: the Touchpoint manager to read (a migration passes its historical one).
    """
    if touchpoints is None:
        from devotion.touchpoints.models import Touchpoint

        touchpoints = Touchpoint.objects
    rates = rates or Rates.current()
    ids = list(person_ids)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    home = ["", rates.reporting]
    orders = touchpoints.filter(person_id__in=ids, kind="order", amount__isnull=False)
    rows = orders.filter(currency__in=home).values_list("person_id").annotate(s=Sum("amount"))
    for person_id, spent in rows.order_by():
        totals[person_id] += spent
    incomplete = set(
        orders.exclude(currency__in=[*home, *rates.rates])
        .values_list("person_id", flat=True)
        .distinct()
        .order_by()
    )
    if rates.rates:
        foreign = orders.filter(currency__in=list(rates.rates))
        for person_id, currency, amount in foreign.values_list("person_id", "currency", "amount"):
            value = rates.value(amount, currency)
            assert value is not None  # filtered on currencies with a rate
            totals[person_id] += value
    return {pk: (totals.get(pk, ZERO), pk in incomplete) for pk in ids}


def spent_by_currency(person_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """Per person (those with orders among ``person_ids``): their order amounts added up per
    currency, in one query; an order without a currency counts in the reporting currency."""
    from devotion.touchpoints.models import Touchpoint

    reporting = settings.REPORTING_CURRENCY
    grouped: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    rows = (
        Touchpoint.objects.filter(person_id__in=list(person_ids), kind="order")
        .filter(amount__isnull=False)
        .values_list("person_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for person_id, currency, total in rows:
        grouped[person_id][currency or reporting] += total
    return {pk: dict(totals) for pk, totals in grouped.items()}


def recount_spend(
    batch_size: int = 1000, people: Any = None, touchpoints: Any = None, foreign_only: bool = False
) -> tuple[int, int]:
    """Recompute everyone's total spent and incomplete flag from their orders, a batch of
    people at a time (run after changing DEVOTION_CURRENCY or DEVOTION_FX_RATES). Writes only
    the people whose numbers change. Returns (people read, people changed).

    ``people``/``touchpoints``: the managers to use (a migration passes its historical ones).
    ``foreign_only``: read only the people with an order in another currency than the
    reporting one (found in one pass over the orders): the only ones whose numbers can differ
    from a plain sum of their amounts, which is what total_spent held before conversion
    existed (so the migration that introduced it does not read 1M people to change a few).
    """
    if people is None:
        from devotion.people.models import Person

        people = Person.objects
    if touchpoints is None:
        from devotion.touchpoints.models import Touchpoint

        touchpoints = Touchpoint.objects
    rates = Rates.current()
    model = people.model
    seen = changed = 0
    for ids in _batches_of_people(people, touchpoints, rates, batch_size, foreign_only):
        batch = list(people.filter(pk__in=ids).values_list("pk", "total_spent", "spend_incomplete"))
        seen += len(batch)
        totals = spend_totals([row[0] for row in batch], rates, touchpoints)
        updates = []
        for pk, stored, flag in batch:
            total, incomplete = totals[pk]
            total = total.quantize(CENT)
            if total != stored or incomplete != flag:
                updates.append(model(pk=pk, total_spent=total, spend_incomplete=incomplete))
        if updates:
            people.bulk_update(updates, ["total_spent", "spend_incomplete"], batch_size=500)
            changed += len(updates)
    return seen, changed


def _batches_of_people(
    people: Any, touchpoints: Any, rates: Rates, batch_size: int, foreign_only: bool
) -> Iterator[list[int]]:
    """Person ids to recount, ``batch_size`` at a time, in id order."""
    if foreign_only:
        found = (
            touchpoints.filter(kind="order", amount__isnull=False)
            .exclude(currency__in=["", rates.reporting])
            .values_list("person_id", flat=True)
            .distinct()
            .order_by()
        )
        ids = sorted(set(found))
        for start in range(0, len(ids), batch_size):
            yield ids[start : start + batch_size]
        return
    after = 0
    while True:
        ids = list(
            people.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        after = ids[-1]
        yield ids


__all__ = ["Rates", "recount_spend", "spend_totals", "spent_by_currency"]
