"""Everyone's current scores as a file: CSV through the formula-safe writer, or Parquet
through DuckDB. One row per live person, in id order, these columns first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from devotion.lib.csvsafe import SafeWriter
from devotion.people.models import Person
from devotion.retention.models import PERSON_SCORE_FIELDS

EXPORT_COLUMNS = (
    "person_id",
    "email",
    "health_score",
    "churn_probability",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "lifetime_value",
    "rfm_segment",
    "cluster",
    "stage",
    "computed_at",
)
MORE_COLUMNS = ("display_name", "order_count", "total_spent", "country")
_FIELDS = (*PERSON_SCORE_FIELDS, *MORE_COLUMNS)
CHUNK = 20_000


def score_rows() -> Any:
    """Each live person's export row, in id order, read in chunks."""
    people = Person.objects.live().order_by("id").values_list(*_FIELDS)
    return people.iterator(chunk_size=CHUNK)


def export_scores(path: Path) -> int:
    """Write the export to ``path`` (.csv or .parquet); returns the number of people."""
    header = [*EXPORT_COLUMNS, *MORE_COLUMNS]
    if path.suffix.lower() == ".csv":
        count = 0
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = SafeWriter(out)
            writer.writerow(header)
            for row in score_rows():
                values = list(row)
                values[10] = values[10].isoformat() if values[10] else None
                writer.writerow(values)
                count += 1
        return count
    columns: list[list[Any]] = [[] for _ in header]
    for row in score_rows():
        for i, value in enumerate(row):
            columns[i].append(value)
    types = {
        "person_id": pa.int64(),
        "health_score": pa.float64(),
        "churn_probability": pa.float64(),
        "expected_purchases_90d": pa.float64(),
        "expected_purchases_365d": pa.float64(),
        "lifetime_value": pa.decimal128(14, 2),
        "computed_at": pa.timestamp("us", tz="UTC"),
        "order_count": pa.int64(),
        "total_spent": pa.decimal128(14, 2),
    }
    table = pa.table(
        {
            name: pa.array(col, types.get(name, pa.string()))
            for name, col in zip(header, columns, strict=True)
        }
    )
    con = duckdb.connect()
    con.register("scores", table)
    con.execute(f"COPY scores TO '{_quoted(path)}' (FORMAT parquet)")
    return table.num_rows


def _quoted(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")
