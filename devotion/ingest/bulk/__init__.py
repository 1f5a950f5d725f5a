"""The bulk SQL layer under ``ingest`` and the columnar import: plain-SQL inserts, look-ups
and person profile updates for thousands of rows at a time.

Rows are written with ``executemany`` on SQLite and ``COPY`` (or a pipeline of ``INSERT`` s for
a few rows) on PostgreSQL, because the ORM's per-object work would cost more than the database
does: this is the path a million-row import takes. New ids are handed out before the inserts,
so nothing needs ``RETURNING``. Nothing here decides anything about events: see
:mod:`devotion.ingest.store` for that.
"""

from devotion.ingest.bulk.keys import (
    LINE_FIELDS,
    TOUCHPOINT_FIELDS,
    group_by_keys,
    identity_query,
    lookup_identities,
    lookup_touchpoint_keys,
    owners_of,
    stored_touchpoints,
    touchpoint_query,
)
from devotion.ingest.bulk.people import (
    Profile,
    insert_people,
    load_people,
    people_update,
    update_people,
)
from devotion.ingest.bulk.sql import (
    CENT,
    CHUNK,
    ZERO,
    Checkpointer,
    Table,
    db_datetime,
    from_db_datetime,
    from_db_decimal,
    new_id_pairs,
    new_ids,
    on_postgres,
    pg_commits_not_awaited,
    pg_pipelined,
    pg_rows,
    pg_together,
    select_in,
)

__all__ = [
    "CENT", "CHUNK", "LINE_FIELDS", "TOUCHPOINT_FIELDS", "ZERO", "Checkpointer", "Profile",
    "Table", "db_datetime", "from_db_datetime", "from_db_decimal", "group_by_keys",
    "identity_query", "insert_people", "load_people", "lookup_identities",
    "lookup_touchpoint_keys", "new_id_pairs", "new_ids", "on_postgres", "owners_of",
    "people_update", "pg_commits_not_awaited", "pg_pipelined", "pg_rows", "pg_together",
    "select_in", "stored_touchpoints", "touchpoint_query", "update_people",
]  # fmt: skip
