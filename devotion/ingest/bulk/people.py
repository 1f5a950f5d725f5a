"""People's profiles written in bulk: the columns an import changes, read locked, inserted and
updated for a batch at once (one statement on PostgreSQL, ``executemany`` on SQLite)."""

# Table and column names in the SQL below come from model metadata, never from input; every
# value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from devotion.ingest.bulk.sql import (
    ZERO,
    Table,
    db_datetime,
    execute,
    execute_many,
    from_db_datetime,
    from_db_decimal,
    on_postgres,
    pg_rows,
    pg_write,
    select_in,
)
from devotion.people.models import Person, Stage


class Profile:
    """The columns of one person this module writes, as plain attributes (no ORM object)."""

    __slots__ = (  # noqa: RUF023 - COLUMNS below relies on this order
        "pk",
        "display_name",
        "primary_email",
        "primary_phone",
        "country",
        "consent_email",
        "consent_sms",
        "consent_profiling",
        "first_seen_at",
        "last_activity_at",
        "order_count",
        "total_spent",
        "spend_incomplete",
        "stage",
        "consent_email_at",
        "consent_email_source",
        "consent_sms_at",
        "consent_sms_source",
        "consent_profiling_at",
        "consent_profiling_source",
        "changed",
        "counted",
    )
    COLUMNS = __slots__[1:-2]
    ROW = (
        "display_name",
        "name_key",
        "name_key_rev",
        *COLUMNS[1:],
    )

    def __init__(self, pk: int, *values: Any) -> None:
        self.pk = pk
        self.display_name: str
        self.primary_email: str
        self.primary_phone: str
        self.country: str
        self.first_seen_at: datetime | None
        self.last_activity_at: datetime | None
        self.order_count: int
        self.total_spent: Decimal
        self.spend_incomplete: bool
        self.stage: str
        if values:  # a row of COLUMNS as the database returned it
            (
                self.display_name,
                self.primary_email,
                self.primary_phone,
                self.country,
                consent_email,
                consent_sms,
                consent_profiling,
                first_seen_at,
                last_activity_at,
                self.order_count,
                total_spent,
                spend_incomplete,
                self.stage,
                consent_email_at,
                self.consent_email_source,
                consent_sms_at,
                self.consent_sms_source,
                consent_profiling_at,
                self.consent_profiling_source,
            ) = values
            # None (unknown until recorded) stays None; SQLite returns 0/1.
            self.consent_email = None if consent_email is None else bool(consent_email)
            self.consent_sms = None if consent_sms is None else bool(consent_sms)
            self.consent_profiling = None if consent_profiling is None else bool(consent_profiling)
            self.consent_email_at = from_db_datetime(consent_email_at)
            self.consent_sms_at = from_db_datetime(consent_sms_at)
            self.consent_profiling_at = from_db_datetime(consent_profiling_at)
            self.first_seen_at = from_db_datetime(first_seen_at)
            self.last_activity_at = from_db_datetime(last_activity_at)
            self.total_spent = from_db_decimal(total_spent)
            self.spend_incomplete = bool(spend_incomplete)
        else:
            self.display_name = self.primary_email = self.primary_phone = self.country = ""
            self.consent_email = self.consent_sms = self.consent_profiling = None
            self.consent_email_at = self.consent_sms_at = self.consent_profiling_at = None
            self.consent_email_source = self.consent_sms_source = ""
            self.consent_profiling_source = ""
            self.first_seen_at = self.last_activity_at = None
            self.order_count = 0
            self.total_spent = ZERO
            self.spend_incomplete = False
            self.stage = Stage.PROSPECT.value
        self.changed = False  # profile fields (name, e-mail, consent...) changed
        self.counted = False  # only the aggregates changed

    def row(self) -> dict[str, Any]:
        name_key, name_key_rev = Person.name_keys(self.display_name)
        return {
            "display_name": self.display_name,
            "name_key": name_key,
            "name_key_rev": name_key_rev,
            "primary_email": self.primary_email,
            "primary_phone": self.primary_phone,
            "country": self.country,
            "consent_email": self.consent_email,
            "consent_sms": self.consent_sms,
            "consent_profiling": self.consent_profiling,
            "first_seen_at": db_datetime(self.first_seen_at),
            "last_activity_at": db_datetime(self.last_activity_at),
            "order_count": self.order_count,
            "total_spent": self.total_spent,
            "spend_incomplete": self.spend_incomplete,
            "stage": self.stage,
            "consent_email_at": db_datetime(self.consent_email_at),
            "consent_email_source": self.consent_email_source,
            "consent_sms_at": db_datetime(self.consent_sms_at),
            "consent_sms_source": self.consent_sms_source,
            "consent_profiling_at": db_datetime(self.consent_profiling_at),
            "consent_profiling_source": self.consent_profiling_source,
        }

    def counts_row(self) -> dict[str, Any]:
        return {
            "first_seen_at": db_datetime(self.first_seen_at),
            "last_activity_at": db_datetime(self.last_activity_at),
            "order_count": self.order_count,
            "total_spent": self.total_spent,
            "spend_incomplete": self.spend_incomplete,
            "stage": self.stage,
        }


def load_people(ids: set[int]) -> dict[int, Profile]:
    """The current profile of existing people, locked for this transaction."""
    if not ids:
        return {}
    table = Person._meta.db_table
    # Lock in id order so concurrent batches on PostgreSQL cannot deadlock on each other
    # (SQLite needs no row locks: the batch holds the database's write lock).
    lock = " ORDER BY id FOR UPDATE" if on_postgres() else ""
    columns = ", ".join(Profile.COLUMNS)
    if not on_postgres():
        # Read SQLite's datetime text as is: the driver's converter for the declared type
        # parses with a regex, several times slower than fromisoformat below.
        for name in (
            "first_seen_at",
            "last_activity_at",
            "consent_email_at",
            "consent_sms_at",
            "consent_profiling_at",
        ):
            columns = columns.replace(name, f"CAST({name} AS TEXT)")
    sql = f"SELECT id, {columns} FROM {table} WHERE id {{}}{lock}"
    if on_postgres():
        # One index probe per id, locking in id order. An index scan (unlike the bitmap scan
        # "id = ANY(...)" gets) marks the dead versions left by earlier batches' updates as it
        # passes them, so later batches do not walk them again before autovacuum runs.
        sql = (
            f"SELECT p.* FROM unnest(%s::bigint[]) WITH ORDINALITY AS k(id, n) "
            f"CROSS JOIN LATERAL (SELECT id, {columns} FROM {table} WHERE id = k.id "
            f"FOR UPDATE) AS p ORDER BY k.n"
        )
        rows = pg_rows(sql, [sorted(ids)])
    else:
        rows = list(select_in(sql, [], sorted(ids)))
    return {row[0]: Profile(*row) for row in rows}


def insert_people(profiles: list[Profile], now: datetime) -> None:
    table = Table.of(Person, "id", *Profile.ROW)
    rest = table.defaults(now)
    table.insert([(profile.pk, *profile.row().values(), *rest) for profile in profiles])


def update_people(profiles: list[Profile], now: datetime, *, counts_only: bool) -> None:
    """Write changed people back: all profile columns, or only the aggregates (cheaper: fewer
    values to send and fewer indexes to touch)."""
    people_update(profiles, now, counts_only=counts_only)()


def people_update(
    profiles: list[Profile], now: datetime, *, counts_only: bool
) -> Callable[[], None]:
    """:func:`update_people` in two steps: the statement and its values are worked out now,
    and sent when the returned function is called (the caller may do this while the server
    is still busy with something else)."""
    if not profiles:
        return lambda: None
    table = Person._meta.db_table
    rows = [profile.counts_row() if counts_only else profile.row() for profile in profiles]
    columns = list(rows[0])
    stamp = db_datetime(now)
    if on_postgres():
        # One statement for the batch: arrays of new values joined on id.
        types = {
            "consent_email": "boolean",
            "consent_sms": "boolean",
            "consent_profiling": "boolean",
            "consent_email_at": "timestamptz",
            "consent_sms_at": "timestamptz",
            "consent_profiling_at": "timestamptz",
            "first_seen_at": "timestamptz",
            "last_activity_at": "timestamptz",
            "order_count": "integer",
            "total_spent": "numeric",
            "spend_incomplete": "boolean",
        }
        unnest = ", ".join(f"%s::{types.get(c, 'text')}[]" for c in columns)
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        sql = (
            f"UPDATE {table} AS p SET {sets}, updated_at = %s "
            f"FROM unnest(%s::bigint[], {unnest}) AS v(id, {', '.join(columns)}) "
            "WHERE p.id = v.id"
        )
        params = [stamp, [p.pk for p in profiles], *([row[c] for row in rows] for c in columns)]
        if counts_only:  # never None here: counted people have first and last activity
            return lambda: pg_write(sql, params)
        return lambda: execute(sql, params)
    sets = ", ".join(f"{c} = %s" for c in columns)
    sql = f"UPDATE {table} SET {sets}, updated_at = %s WHERE id = %s"
    values = [[*row.values(), stamp, p.pk] for row, p in zip(rows, profiles, strict=True)]
    return lambda: execute_many(sql, values)
