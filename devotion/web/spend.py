"""What people spent, per currency, read from their order touchpoints.

``Person.total_spent`` is a plain sum of order amounts whatever their currency, written by
the ingest code; it is only shown as money where all of a person's orders are in the
reporting currency. Everywhere else the pages show these per-currency totals (and one
converted total when the business supplied a rate for each currency).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from devotion.lib import money
from devotion.touchpoints.models import Touchpoint


@dataclass(slots=True)
class Spend:
    """One person's spend: ``totals`` per currency (largest first) and, when every currency
    converts, ``converted`` into ``reporting``."""

    reporting: str
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    converted: Decimal | None = None

    @property
    def single(self) -> bool:
        """All orders in one currency (or none at all)."""
        return len(self.totals) <= 1

    @property
    def mixed(self) -> bool:
        return len(self.totals) > 1


def _spend(by_currency: dict[str, Decimal]) -> Spend:
    reporting = settings.REPORTING_CURRENCY
    totals = sorted(by_currency.items(), key=lambda item: (-item[1], item[0]))
    converted = money.total_in(totals, reporting, settings.FX_RATES)
    return Spend(reporting, totals, converted)


def spend_of(person_ids: list[int]) -> dict[int, Spend]:
    """Spend per person for these people, in one query (an order without a currency counts
    in the reporting currency)."""
    reporting = settings.REPORTING_CURRENCY
    grouped: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    rows = (
        Touchpoint.objects.filter(person_id__in=person_ids, kind="order", amount__isnull=False)
        .values_list("person_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for person_id, currency, total in rows:
        grouped[person_id][currency or reporting] += total
    return {pk: _spend(dict(grouped.get(pk, {}))) for pk in person_ids}
