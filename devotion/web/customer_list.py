"""The customers list's query: filters, sorts and pages that stay index ranges at a million
people, the facets its filters offer, and the rows of its CSV export.

Every sort walks an index (``Person.Meta.indexes``): the database reads one page of rows in
order and stops. Filters either narrow to an index range of their own (stage, country,
recorded consent, an identity source) or are common enough that walking the sort index
and skipping non-matches fills a page quickly. Page numbers are capped at ``MAX_PAGES``
and the page count is counted only that far (a bounded count), never over the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, QuerySet

from devotion.people.models import Identity, Person
from devotion.people.search import search_people
from devotion.web.forms import SORT_COLUMNS

# Counting people per stage, country or source reads every row; at a million people that
# is too slow for each request, so the counts are kept for a few minutes. They label the
# filters and give the unfiltered page count, nothing more.
FACETS_KEY = "web:customer-facets"
FACETS_SECONDS = 300
NULLABLE = {
    "first_seen_at",
    "last_activity_at",
    "health_score",
    "churn_probability",
    "lifetime_value",
}
COLUMNS = (
    "id",
    "display_name",
    "name_key",
    "primary_email",
    "primary_phone",
    "stage",
    "is_advocate",
    "country",
    "order_count",
    "total_spent",
    "spend_incomplete",
    "last_activity_at",
    "first_seen_at",
    "health_score",
    "churn_probability",
    "lifetime_value",
)


def facets() -> dict[str, dict[str, int]]:
    """Live people per stage and per country, and the identity sources there are (cached)."""

    def compute() -> dict[str, dict[str, int]]:
        live = Person.objects.live().order_by()
        return {
            "stage": {r["stage"]: r["n"] for r in live.values("stage").annotate(n=Count("id"))},
            "country": {
                r["country"]: r["n"]
                for r in live.exclude(country="").values("country").annotate(n=Count("id"))
            },
            # Distinct sources on the identity_source_person index (no count: it would
            # read every identity of every source).
            "source": {
                source: 0
                for source in Identity.objects.exclude(source="")
                .order_by("source")
                .values_list("source", flat=True)
                .distinct()
            },
        }

    return cache.get_or_set(FACETS_KEY, compute, FACETS_SECONDS) or {}


def filtered(params: dict[str, str]) -> QuerySet[Person]:
    """Live people matching the list's search and filters (not yet ordered)."""
    people = search_people(params["q"]) if params["q"] else Person.objects.live()
    if params["stage"]:
        people = people.filter(stage=params["stage"])
    if params["country"]:
        people = people.filter(country=params["country"])
    if params["consent"]:
        purpose, _, status = params["consent"].partition(":")
        value = {"given": True, "refused": False, "unknown": None}[status]
        people = people.filter(**{f"consent_{purpose}": value})
    if params["source"]:
        # A semi-join probing identity_source_person once per row the sort index yields.
        people = people.filter(
            Exists(Identity.objects.filter(person_id=OuterRef("pk"), source=params["source"]))
        )
    return people


@dataclass(frozen=True, slots=True)
class Sort:
    """A sort of the list: the Person field and the direction."""

    field: str
    descending: bool

    @classmethod
    def parse(cls, sort: str) -> Sort:
        """``"-spend"`` -> total_spent, descending (the form has validated ``sort``)."""
        return cls(SORT_COLUMNS[sort.lstrip("-")], sort.startswith("-"))

    def order(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return f"{sign}{self.field}", f"{sign}id"


def page_rows(
    people: QuerySet[Person], sort: Sort, offset: int, size: int
) -> tuple[list[Person], bool]:
    """``size`` people from ``offset`` in ``sort`` order, and whether more follow.

    People without a value for a date or score sort (never active, not scored) come after
    everyone else in both directions. They are read as a second range instead of
    ``NULLS LAST``, which PostgreSQL cannot answer from a plain index.
    """
    want = size + 1
    if sort.field not in NULLABLE:
        rows = list(people.only(*COLUMNS).order_by(*sort.order())[offset : offset + want])
        return rows[:size], len(rows) > size
    known = people.filter(**{f"{sort.field}__isnull": False}).only(*COLUMNS)
    rows = list(known.order_by(*sort.order())[offset : offset + want])
    if len(rows) < want:
        # The dated people end on this page (or before it): follow with the undated.
        known_total = offset + len(rows) if rows or offset == 0 else known.count()
        skip = max(0, offset - known_total)
        unknown = people.filter(**{f"{sort.field}__isnull": True}).only(*COLUMNS)
        rows += list(unknown.order_by("-id")[skip : skip + want - len(rows)])
    return rows[:size], len(rows) > size


def bounded_count(people: QuerySet[Person], limit: int) -> int:
    """How many people match, counted no further than ``limit`` (one index range read)."""
    return people.order_by().values("pk")[:limit].count()


def export_rows(people: QuerySet[Person], sort: Sort) -> Iterator[Person]:
    """Every matching person in ``sort`` order, read in chunks (a server-side cursor on
    PostgreSQL), with the undated last as on the page."""
    columns = (*COLUMNS, "consent_email", "consent_sms", "consent_profiling", "created_at")
    if sort.field in NULLABLE:
        parts = [
            people.filter(**{f"{sort.field}__isnull": False}).order_by(*sort.order()),
            people.filter(**{f"{sort.field}__isnull": True}).order_by("-id"),
        ]
    else:
        parts = [people.order_by(*sort.order())]
    for part in parts:
        yield from part.only(*columns).iterator(chunk_size=2000)


EXPORT_HEADER = (
    "id",
    "name",
    "email",
    "phone",
    "stage",
    "country",
    "orders",
    "total_spent",
    "spend_incomplete",
    "first_seen_at",
    "last_activity_at",
    "consent_email",
    "consent_sms",
    "consent_profiling",
)


def export_line(person: Person) -> tuple[Any, ...]:
    """One person as a row of the CSV export: ``total_spent`` in the reporting currency,
    leaving out orders in currencies without a rate (then ``spend_incomplete`` is true)."""
    from devotion.people.models import consent_status

    return (
        person.pk,
        person.display_name,
        person.primary_email,
        person.primary_phone,
        person.stage,
        person.country,
        person.order_count,
        person.total_spent,
        "true" if person.spend_incomplete else "false",
        person.first_seen_at.isoformat() if person.first_seen_at else "",
        person.last_activity_at.isoformat() if person.last_activity_at else "",
        consent_status(person.consent_email),
        consent_status(person.consent_sms),
        consent_status(person.consent_profiling),
    )
