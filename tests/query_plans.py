"""What SQLite's planner does with a query: for tests that guard an index's use."""

from __future__ import annotations

from typing import Any

from django.db import connection


def sqlite_plan(queryset: Any, *, analyze: bool = False) -> str:
    """SQLite's EXPLAIN QUERY PLAN of ``queryset``, its steps joined by " / ".

    ``analyze``: gather statistics first, as a big database has them (the plan must hold
    with them); leave it off where a few rows' statistics would rightly say "scan"."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if analyze:
            cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " / ".join(str(row[-1]) for row in cursor.fetchall())
