"""The scoring run's reads as Arrow columns: the rows of a query become columns a chunk at a
time, so ten million touchpoints never sit in Python as a list of tuples.

Why not a driver that reads straight into Arrow (ADBC's SQLite driver, tried and measured at
half the CPU of this read): it links its own copy of SQLite, and two copies of SQLite on one
database file in one process release each other's POSIX locks (sqlite.org/howtocorrupt.html,
2.2.1). A write through it beside Django's open connection left a malformed database.
"""

# Table and column names in the SQL come from model metadata, never from input.

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from django.db import connection

FETCH = 100_000  # rows per fetch


def read(sql: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table:
    """The rows of ``sql`` (``%s`` placeholders) as a table of ``schema``."""
    chunks: list[pa.RecordBatch] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while rows := cursor.fetchmany(FETCH):
            columns = zip(*rows, strict=True)
            arrays = [pa.array(col, f.type) for col, f in zip(columns, schema, strict=True)]
            chunks.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return pa.Table.from_batches(chunks, schema=schema)
