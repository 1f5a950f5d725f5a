"""Look-ups by natural key for thousands of rows at a time: identities (kind, source, value)
to their person, and touchpoints (source, external id) to their id and person; grouping of
items whose identity keys overlap."""

# Table and column names in the SQL below come from model metadata, never from input; every
# value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from devotion.ingest.bulk.sql import on_postgres, pg_rows, select_in
from devotion.people.models import Identity
from devotion.touchpoints.models import Touchpoint


def lookup_identities(keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    keys = list(keys)
    found: dict[tuple[str, str, str], int] = {}
    table = Identity._meta.db_table
    if on_postgres():
        if not keys:
            return {}
        return owners_of(pg_rows(*identity_query(keys)))
    by_group: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kind, source, value in keys:
        by_group[(kind, source)].append(value)
    for (kind, source), values in by_group.items():
        sql = f"SELECT value, person_id FROM {table} WHERE kind = %s AND source = %s AND value {{}}"
        for value, person_id in select_in(sql, [kind, source], values):
            found[(kind, source, value)] = person_id
    return found


def identity_query(keys: list[tuple[str, str, str]]) -> tuple[str, list[Any]]:
    # One index probe per key, whatever the planner's statistics say: with "kind = %s AND
    # source = %s AND value = ANY(%s)" and stale statistics PostgreSQL scans every e-mail
    # identity and filters on the value, and a plain join may become a hash join over the
    # whole table, so each batch would get slower as the table grows. LIMIT 1 keeps the
    # lateral subquery a nested loop.
    return (
        f"SELECT k.kind, k.source, k.value, i.person_id "
        f"FROM unnest(%s::text[], %s::text[], %s::text[]) AS k(kind, source, value) "
        f"CROSS JOIN LATERAL (SELECT person_id FROM {Identity._meta.db_table} "
        f"WHERE kind = k.kind AND source = k.source AND value = k.value LIMIT 1) AS i",
        [list(column) for column in zip(*keys, strict=True)],
    )


def owners_of(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str, str], int]:
    return {(kind, source, value): pk for kind, source, value, pk in rows}


def group_by_keys(keys_of: Sequence[Sequence[tuple[str, str, str]]]) -> list[list[int]]:
    """Indexes of items whose identity keys overlap, directly or through others, grouped (a
    union-find); groups come in order of their first item."""
    parent = list(range(len(keys_of)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str, str], int] = {}
    for index, keys in enumerate(keys_of):
        for key in keys:
            other = first_with.setdefault(key, index)
            if other != index:
                a, b = find(other), find(index)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(keys_of)):
        groups[find(index)].append(index)
    return list(groups.values())


def lookup_touchpoint_keys(
    keys: list[tuple[str, str]],
) -> dict[tuple[str, str], tuple[int, int]]:
    """Stored touchpoints among ``(source, external_id)`` keys: key -> (id, person id)."""
    found = {}
    table = Touchpoint._meta.db_table
    if on_postgres():
        if not keys:
            return {}
        return stored_touchpoints(pg_rows(*touchpoint_query(keys)))
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in keys:
        by_source[source].append(external_id)
    for source, ids in by_source.items():
        sql = (
            f"SELECT external_id, id, person_id FROM {table} WHERE source = %s AND external_id {{}}"
        )
        for external_id, pk, person_id in select_in(sql, [source], ids):
            found[(source, external_id)] = (pk, person_id)
    return found


def touchpoint_query(keys: list[tuple[str, str]]) -> tuple[str, list[Any]]:
    return (  # one index probe per key, as for identities
        f"SELECT k.source, k.external_id, t.id, t.person_id "
        f"FROM unnest(%s::text[], %s::text[]) AS k(source, external_id) "
        f"CROSS JOIN LATERAL (SELECT id, person_id FROM {Touchpoint._meta.db_table} "
        f"WHERE source = k.source AND external_id = k.external_id LIMIT 1) AS t",
        [list(column) for column in zip(*keys, strict=True)],
    )


def stored_touchpoints(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], tuple[int, int]]:
    return {(source, ext): (pk, person) for source, ext, pk, person in rows}


TOUCHPOINT_FIELDS = (
    "id", "person_id", "kind", "channel", "direction", "occurred_at", "source", "external_id",
    "thread", "subject", "text", "amount", "currency", "rating", "staff_id", "extra",
)  # fmt: skip


LINE_FIELDS = ("touchpoint_id", "product_id", "product_name", "quantity", "unit_price", "discount")
