"""What every source module provides, and the small helpers source modules share.

A source module (``shopify.py``, ``zendesk.py``, ...) declares ``NAME``, ``LABEL`` and
``MAPPERS``: one :class:`Mapper` per import kind it understands. A mapper turns one row of that
system's export (a dict of lower-cased column name -> value) into one raw canonical event (the
shape in :mod:`devotion.ingest.events`), or raises :class:`Reject` with a reason a person can
act on. Validation of the event itself stays in ``validate_event``; mappers only translate.

No Django here: mappers are plain functions, fast to test and cheap per row (the importer calls
them a million times for a large file).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devotion.ingest.events import Reject

# Import kind (what the user asks for) -> canonical event kind (what ingest stores).
EVENT_KIND = {
    "customers": "customer",
    "orders": "order",
    "tickets": "message",
    "reviews": "review",
    "surveys": "survey_answer",
    "social": "social_comment",
}
IMPORT_KINDS = tuple(EVENT_KIND)

Row = Mapping[str, Any]
Event = dict[str, Any]
_LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")  # "lines[1].quantity": the first line


@dataclass(frozen=True, slots=True)
class Mapper:
    """How one kind of file from one source becomes canonical events.

    ``required`` lists the columns a CSV header must have; each entry is a tuple of names any
    one of which will do. ``group_by`` names a column whose value, repeated on consecutive
    rows, makes those rows one record (a Shopify order spans one row per line item); the first
    row is mapped by ``map_row`` and every further row only contributes ``map_line``.
    ``columns`` names the export's column behind each canonical field whose name differs
    ("person.email": "Email"; a line's fields as "lines.quantity"), so the reasons validation
    gives speak of the file the user holds (:meth:`explain`).
    """

    kind: str
    map_row: Callable[[Row], Event]
    required: tuple[tuple[str, ...], ...] = ()
    group_by: str = ""
    map_line: Callable[[Row], dict[str, Any] | None] | None = None
    sample: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)

    def missing_columns(self, columns: Iterable[str]) -> list[str]:
        """The required columns (as "A or B") that ``columns`` lacks.

        >>> Mapper("orders", dict, required=(("name",), ("email", "phone"))).missing_columns(
        ...     ["name", "total"])
        ['email or phone']
        """
        present = set(columns)
        return [
            " or ".join(names)
            for names in self.required
            if not any(name in present for name in names)
        ]

    def explain(self, reason: str) -> str:
        """A reason ``validate_event`` gave, in this export's column names: the field it starts
        with, or the identity columns when there is none.

        >>> shop = Mapper("orders", dict, columns={"person.email": "Email", "lines.quantity":
        ...     "Lineitem quantity", "person.phone": "Phone / Billing Phone"})
        >>> shop.explain("person.email 'x' is not an e-mail address")
        "Email 'x' is not an e-mail address"
        >>> shop.explain("lines[2].quantity must be between 1 and 1000000")
        "Lineitem quantity (the order's line 2) must be between 1 and 1000000"
        >>> shop.explain("no identity: give person.email, person.phone or person.external_id")
        'no identity: Email and Phone / Billing Phone are empty'
        """
        if not self.columns:
            return reason
        if reason.startswith("no identity:"):
            fields = ("person.email", "person.phone", "person.external_id")
            names = [self.columns[name] for name in fields if name in self.columns]
            if names:
                listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
                return f"no identity: {listed} {'is' if len(names) == 1 else 'are'} empty"
            return reason
        name, space, rest = reason.partition(" ")
        line = _LINE_FIELD.fullmatch(name)
        if line:
            column = self.columns.get(f"lines.{line[2]}")
            if column:
                return f"{column} (the order's line {line[1]}){space}{rest}"  # counted from 1
            return reason
        column = self.columns.get(name)
        return f"{column}{space}{rest}" if column else reason

    def map(self, rows: Sequence[Row]) -> Event:
        """Map one record (one row, or the rows of one group) to a raw event."""
        event = self.map_row(rows[0])
        if len(rows) > 1 and self.map_line is not None:
            lines = event.setdefault("lines", [])
            for row in rows[1:]:
                line = self.map_line(row)
                if line is not None:
                    lines.append(line)
        return event


def text(row: Row, *columns: str) -> str:
    """The first non-empty value among ``columns``, as stripped text ("" when none).

    >>> text({"phone": " ", "billing phone": "+1 555 0100 "}, "phone", "billing phone")
    '+1 555 0100'
    """
    for column in columns:
        value = row.get(column)
        if value is None or value == "":
            continue
        value = value.strip() if isinstance(value, str) else str(value)
        if value:
            return value
    return ""


_YES = {"yes", "y", "true", "1", "subscribed", "opted_in", "confirmed"}
_NO = {"no", "n", "false", "0", "not_subscribed", "unsubscribed", "opted_out", "pending"}


def flag(value: Any) -> bool | None:
    """Read yes/no, true/false, 1/0 (and Shopify's subscription states); None when unknown.

    >>> flag("Yes"), flag("no"), flag(""), flag(True)
    (True, False, None, True)
    """
    if isinstance(value, bool):
        return value
    lowered = str(value or "").strip().lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    return None


def when(row: Row, *columns: str) -> str:
    """The first date-time among ``columns`` as ISO 8601, or Reject naming the column.

    Accepts what the exports write: ``2024-03-01 10:22:33 -0500`` (Shopify),
    ``2024-03-01 10:22:33`` (UTC, Stripe), ``2024-03-01T10:22:33Z`` (ISO). Naive times are UTC.

    >>> when({"created at": "2024-03-01 10:22:33 -0500"}, "created at")
    '2024-03-01T10:22:33-05:00'
    """
    for column in columns:
        value = text(row, column)
        if not value:
            continue
        cleaned = value[:-4] if value.endswith((" UTC", " utc")) else value
        try:
            return datetime.fromisoformat(cleaned).isoformat()
        except ValueError:
            raise Reject(
                f"{column} {value!r} is not a date-time; expected e.g. 2024-03-01 10:22:33"
            ) from None
    raise Reject(f"{' / '.join(columns)} is empty: the date is required")


def country(value: str) -> str:
    """A two-letter country code, or "" (exports sometimes write names; we keep only codes)."""
    value = value.strip()
    return value.upper() if len(value) == 2 and value.isalpha() else ""


def compact(data: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty values, so events and their ``extra`` stay small.

    >>> compact({"a": "", "b": "x", "c": None, "d": 0})
    {'b': 'x', 'd': 0}
    """
    return {key: value for key, value in data.items() if value is not None and value != ""}


__all__ = [
    "EVENT_KIND",
    "IMPORT_KINDS",
    "Event",
    "Mapper",
    "Reject",
    "Row",
    "compact",
    "country",
    "flag",
    "text",
    "when",
]
