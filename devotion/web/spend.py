"""What people spent, per currency, read from their order touchpoints.

``Person.total_spent`` is spend in the reporting currency (each order converted with the
business's rates; see devotion/people/spend.py), which the customers list sorts by. The
pages show these per-currency totals, and one converted total when the business supplied a
rate for each currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from devotion.lib import money
from devotion.people.spend import spent_by_currency


@dataclass(slots=True)
class Spend:
    """One person's spend: ``totals`` per currency (largest first) and, when every currency
    converts, ``converted`` into ``reporting``."""

    reporting: str
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    converted: Decimal | None = None
    missing: list[str] = field(default_factory=list)  # currencies with no rate into reporting

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
    missing = [cur for cur, _ in totals if cur != reporting and cur not in settings.FX_RATES]
    return Spend(reporting, totals, converted, missing)


def spend_of(person_ids: list[int]) -> dict[int, Spend]:
    """Spend per person for these people, in one query (an order without a currency counts
    in the reporting currency)."""
    grouped = spent_by_currency(person_ids)
    return {pk: _spend(grouped.get(pk, {})) for pk in person_ids}
