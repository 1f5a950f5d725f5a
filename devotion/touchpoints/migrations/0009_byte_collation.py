"""PostgreSQL: identifiers and search keys compare as bytes (collation "C"), whatever the
database's default collation.

These columns hold identifiers and search keys, never prose to sort for a reader:

- Exact prefix search: customer search matches a prefix as an index range, ``value >= 'ada'
  AND value < 'adb'`` (``people/search.py``). Under a linguistic collation (``en_US.UTF-8``
  and the like) punctuation counts for nothing at first, so such a range can take in a value
  that does not start with the prefix. Bytes order as SQLite's ``BINARY`` does, and UTF-8's
  bytes order as its code points.
- Cheaper comparisons: each index insert and probe compares with ``memcmp`` instead of
  ``strcoll``. Every order an import stores takes an entry in the ``(source, external_id)``
  unique index, every identity one in ``(kind, value, source)``: text comparisons were ~6%
  of the server's time in a 1M-row order import, ~3.5% with bytes.

The models cannot say so (Django would write ``COLLATE "C"`` on SQLite too, which has no
such collation), so a later migration that alters one of these fields resets it on
PostgreSQL: ``tests/test_collation.py`` fails then. Indexes on the columns are rebuilt; the
tables are not rewritten. (The people tables are altered here, with the touchpoints', so
that one migration holds the whole list.)
"""

from django.db import migrations

# table -> column -> varchar length (as the model declares it)
COLUMNS = {
    "people_identity": {"kind": 16, "source": 40, "value": 320},
    "people_person": {"name_key": 300, "name_key_rev": 300},
    "touchpoints_touchpoint": {"source": 40, "external_id": 200, "thread": 200},
}


def _collate(schema_editor, collation: str) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN {name} TYPE varchar({length}) COLLATE "{collation}"'
            for name, length in columns.items()
        )
        schema_editor.execute(f"ALTER TABLE {table} {changes}")


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _collate(schema_editor, "C")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _collate(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [
        ("touchpoints", "0008_statement_foreign_keys"),
        ("people", "0005_merged_into_partial_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
