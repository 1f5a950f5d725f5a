"""On PostgreSQL, identifiers and search keys compare as bytes (collation "C") whatever the
database's default, as SQLite's BINARY does: migration touchpoints 0009 sets
it, and the models cannot declare it, so a later migration altering one of these fields
would silently undo it."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

BYTE_COLUMNS = {
    ("people_identity", "kind"),
    ("people_identity", "source"),
    ("people_identity", "value"),
    ("people_person", "name_key"),
    ("people_person", "name_key_rev"),
    ("touchpoints_touchpoint", "source"),
    ("touchpoints_touchpoint", "external_id"),
    ("touchpoints_touchpoint", "thread"),
}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite compares bytes anyway")
def test_identifier_columns_compare_bytes_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, coalesce(col.collname, '') "
            "FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid "
            "LEFT JOIN pg_collation AS col ON col.oid = a.attcollation "
            "WHERE c.relname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped",
            [sorted({table for table, _ in BYTE_COLUMNS})],
        )
        collation = {(table, column): name for table, column, name in cursor.fetchall()}
    assert {column: collation[column] for column in BYTE_COLUMNS} == dict.fromkeys(
        BYTE_COLUMNS, "C"
    )
