"""Paging that stays fast on millions of rows: keyset cursors and capped page numbers.

No page ever asks the database for a total count. The timeline pages with a cursor on
``(occurred_at, id)``, an index range scan however deep you go; the customers list uses a page
number capped at :data:`MAX_PAGES` and fetches one row more than it shows to know whether there
is a next page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Model, Q, QuerySet

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PAGES = 200


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a list sorted newest first: rows ``older`` (or newer) than (when, pk)."""

    older: bool
    when: datetime
    pk: int

    def encode(self) -> str:
        """A short URL-safe token.

        >>> Cursor(True, datetime(2025, 1, 1, tzinfo=UTC), 7).encode()
        'o1735689600000000.7'
        """
        micros = (self.when - EPOCH) // timedelta(microseconds=1)
        return f"{'o' if self.older else 'n'}{micros}.{self.pk}"

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        """The cursor in ``token``, or None for the first page (also for a mangled token).

        >>> cursor = Cursor.decode("o1735689600000000.7")
        >>> cursor.older, cursor.when.isoformat(), cursor.pk
        (True, '2025-01-01T00:00:00+00:00', 7)
        >>> Cursor.decode("2") is None
        True
        """
        if not token or token[0] not in "on":
            return None
        micros, _, pk = token[1:].partition(".")
        try:
            return cls(token[0] == "o", EPOCH + timedelta(microseconds=int(micros)), int(pk))
        except (ValueError, OverflowError):
            return None

    def condition(self, time_field: str) -> Q:
        """Rows strictly beyond the cursor in its direction, as a row-value comparison."""
        op = "lt" if self.older else "gt"
        return Q(**{f"{time_field}__{op}": self.when}) | Q(
            **{time_field: self.when, f"pk__{op}": self.pk}
        )


@dataclass(slots=True)
class KeysetPage[T]:
    """One page of rows, newest first, with the cursors of its neighbours (None at an end)."""

    rows: list[T]
    older: str | None
    newer: str | None


def keyset_page[M: Model](
    queryset: QuerySet[M], cursor: Cursor | None, *, size: int, time_field: str
) -> KeysetPage[M]:
    """Fetch the page at ``cursor`` from ``queryset`` (not yet ordered), newest first.

    Costs one query: ``size + 1`` rows are read to learn whether another page follows.
    """
    if cursor is None or cursor.older:
        qs = queryset if cursor is None else queryset.filter(cursor.condition(time_field))
        rows = list(qs.order_by(f"-{time_field}", "-pk")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        older = _token(rows[-1], time_field, older=True) if more else None
        newer = _token(rows[0], time_field, older=False) if cursor is not None and rows else None
        return KeysetPage(rows, older, newer)
    # Going back towards the newest: read ascending from the cursor, then flip.
    qs = queryset.filter(cursor.condition(time_field))
    rows = list(qs.order_by(time_field, "pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    newer = _token(rows[0], time_field, older=False) if more and rows else None
    older = _token(rows[-1], time_field, older=True) if rows else None
    return KeysetPage(rows, older, newer)


def _token(row: Model, time_field: str, *, older: bool) -> str:
    return Cursor(older, getattr(row, time_field), row.pk).encode()


def page_number(raw: str | None) -> int:
    """A page number from the query string, clamped to 1..MAX_PAGES.

    >>> page_number("3"), page_number("x"), page_number("-1"), page_number("99999")
    (3, 1, 1, 200)
    """
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return max(1, min(number, MAX_PAGES))
