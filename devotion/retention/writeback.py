"""Writing a scoring run back: one snapshot row per scored person and their current scores and
stage on the person, built column-wise (numpy and Arrow; the snapshot JSON by DuckDB) rather
than by a Python loop per person.

The rows go in batches through Django's cursor: one multi-row INSERT of snapshots and one
UPDATE of people per batch (on PostgreSQL joined on arrays, on SQLite ``executemany``).
"""

# Table and column names in the SQL below come from model metadata, never from input; every
# value is a bound parameter or a number/name of our own.
# ruff: noqa: S608

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction

from devotion.analytics import pipeline
from devotion.ingest.bulk import Table, db_datetime, on_postgres
from devotion.people.models import Person
from devotion.retention import columnar
from devotion.retention.models import ScoreSnapshot, ScoringRun

BATCH = 5_000  # people per statement / transaction on the cursor path

# The snapshot columns in the order of the rows table (person_id first).
SNAPSHOT = (
    "person_id",
    "health_score",
    "health_factors",
    "previous_health_score",
    "health_trend",
    "churn_probability",
    "churn_reasons",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "lifetime_value",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_segment",
    "cluster",
    "cluster_description",
    "stage",
)
# Not a snapshot column: whether the person's stage, RFM segment and cluster stay as they were.
STEADY = "_steady"
# The person's columns a run sets (besides scored_at), each from the snapshot column of the name.
UPDATED = (
    "health_score",
    "churn_probability",
    "lifetime_value",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "rfm_segment",
    "cluster",
    "stage",
)
# Of those, the labels that mostly stay from one run to the next (indexed: left alone then).
LABELS = ("rfm_segment", "cluster", "stage")
PG_TYPES = {
    "health_score": "float8",
    "churn_probability": "float8",
    "lifetime_value": "numeric",
    "expected_purchases_90d": "float8",
    "expected_purchases_365d": "float8",
    "rfm_segment": "text",
    "cluster": "text",
    "stage": "text",
}


def live_people() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ids (sorted), stages, health scores (NaN for none) and "segment|cluster" labels of
    everyone not merged away."""
    table = columnar.read(
        f"SELECT id, stage, health_score, rfm_segment || '|' || cluster "
        f"FROM {Person._meta.db_table} WHERE merged_into_id IS NULL ORDER BY id",
        [],
        pa.schema(
            [
                ("id", pa.int64()),
                ("stage", pa.string()),
                ("health", pa.float64()),
                ("labels", pa.string()),
            ]
        ),
    )
    return (
        table.column("id").to_numpy(),
        np.asarray(table.column("stage").to_pylist(), dtype=object),
        table.column("health").to_numpy(zero_copy_only=False).astype(float),
        np.asarray(table.column("labels").to_pylist(), dtype=object),
    )


def _floats(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=float), pa.float64(), from_pandas=True)


def _json_columns(scores: pipeline.Scores, rows: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """The health factors and churn reasons of the people at ``rows`` as JSON text, as
    :meth:`pipeline.Scores.factors_of` and :meth:`~pipeline.Scores.reasons_of` give them."""
    import duckdb

    parts: dict[str, pa.Array] = {}
    factors, reasons = [], []
    for n, c in enumerate(scores.health_factors):
        parts |= {
            f"p{n}": _floats(c.points[rows]),
            f"v{n}": _floats(c.value[rows]),
            f"f{n}": _floats(c.fraction[rows]),
        }
        # key and max are ours (the scorecard's factor names and weights), not input. A
        # factor out of play for a person (no fraction) has no weight, as factors_of says.
        factors.append(
            f"{{'key': '{c.key}', 'points': p{n}, "
            f"'max': CASE WHEN f{n} IS NULL THEN 0.0 ELSE {float(c.max)!r} END::DOUBLE, "
            f"'value': v{n}, 'fraction': coalesce(f{n}, 0.0)::DOUBLE}}"
        )
    for n, r in enumerate(scores.churn_reasons):
        parts |= {
            f"rf{n}": pa.array(r.feature[rows].tolist(), pa.string()),
            f"rt{n}": pa.array(r.text[rows].tolist(), pa.string()),
            f"rw{n}": _floats(r.weight[rows]),
        }
        reasons.append(f"{{'feature': rf{n}, 'text': rt{n}, 'weight': rw{n}}}")
    if not parts:
        parts["none"] = pa.nulls(len(rows))
    factors_sql = f"to_json([{', '.join(factors)}])" if factors else "'[]'"
    reasons_sql = (
        f"to_json(list_filter([{', '.join(reasons)}], lambda x: x.feature <> ''))"
        if reasons
        else "'[]'"
    )
    # DuckDB keeps the row order of a plain projection of one table.
    db = duckdb.connect()
    db.register("frame", pa.table(parts))
    sql = f"SELECT {factors_sql}::VARCHAR, {reasons_sql}::VARCHAR FROM frame"
    out = db.sql(sql).to_arrow_table()
    return out.column(0).combine_chunks(), out.column(1).combine_chunks()


def score_rows(
    run: ScoringRun, scores: pipeline.Scores, models: pipeline.Models
) -> tuple[pa.Table, dict[str, int]]:
    """One row per scored live person with every snapshot column (see :data:`SNAPSHOT`), and
    how many people moved between which stages ("active>at_risk")."""
    scored = np.flatnonzero(scores.is_customer)
    ids = scores.person_id[scored]
    # Live people only (a person merged away since has no row to update).
    live, old_stage, previous, old_labels = live_people()
    at = np.clip(np.searchsorted(live, ids), 0, max(len(live) - 1, 0))
    found = live[at] == ids if len(live) else np.zeros(len(ids), dtype=bool)
    rows, at = scored[found], at[found]
    current = old_stage[at]
    stage = np.asarray(pipeline.stages(scores, models, current.tolist(), rows), dtype=object)
    moved = stage != current
    moves = Counter(f"{a}>{b}" for a, b in zip(current[moved], stage[moved], strict=True))
    # Whose stage, segment and cluster stay as they were (most, night after night): their
    # update leaves those columns, and the indexes on them, alone.
    labels = np.char.add(
        np.char.add(scores.rfm_segment[rows].astype(str), "|"), scores.cluster[rows].astype(str)
    ).astype(object)
    steady = (~moved) & (labels == old_labels[at])
    health = scores.health_score[rows]
    before = previous[at]
    factors, reasons = _json_columns(scores, rows)
    table = pa.table(
        {
            "person_id": pa.array(scores.person_id[rows], pa.int64()),
            "health_score": _floats(health),
            "health_factors": factors,
            "previous_health_score": _floats(before),
            "health_trend": _floats(np.round(health - before, 1)),
            "churn_probability": _floats(scores.churn_probability[rows]),
            "churn_reasons": reasons,
            "expected_purchases_90d": _floats(scores.expected_purchases_90d[rows]),
            "expected_purchases_365d": _floats(scores.expected_purchases_365d[rows]),
            "lifetime_value": _floats(np.round(scores.lifetime_value[rows], 2)),
            "rfm_r": pa.array(scores.rfm_r[rows], pa.int64()),
            "rfm_f": pa.array(scores.rfm_f[rows], pa.int64()),
            "rfm_m": pa.array(scores.rfm_m[rows], pa.int64()),
            "rfm_segment": pa.array(scores.rfm_segment[rows].tolist(), pa.string()),
            "cluster": pc.utf8_slice_codeunits(
                pa.array(scores.cluster[rows].tolist(), pa.string()), 0, 80
            ),
            "cluster_description": pc.utf8_slice_codeunits(
                pa.array(scores.cluster_description[rows].tolist(), pa.string()), 0, 300
            ),
            "stage": pa.array(stage.tolist(), pa.string()),
            STEADY: pa.array(steady, pa.bool_()),
        }
    )
    return table, dict(moves)


def write_scores(
    run: ScoringRun,
    scores: pipeline.Scores,
    models: pipeline.Models,
    progress: Callable[[float], None],
) -> dict[str, int]:
    """Snapshots and the people's current scores and stages; returns the stage moves."""
    table, moves = score_rows(run, scores, models)
    progress(0.3)
    _write(run, table, progress)
    # People scored before but not now (no order as of this day): no stale scores left.
    Person.objects.filter(health_score__isnull=False).exclude(scored_at=run.started_at).update(
        health_score=None,
        churn_probability=None,
        lifetime_value=None,
        expected_purchases_90d=None,
        expected_purchases_365d=None,
        rfm_segment="",
        cluster="",
    )
    return moves


def _snapshot_table() -> Table:
    return Table.of(ScoreSnapshot, "run_id", "computed_at", *SNAPSHOT)


def _money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def _write(run: ScoringRun, table: pa.Table, progress: Callable[[float], None]) -> None:
    """A batch of snapshots and person updates per transaction, from the columns."""
    stamp = db_datetime(run.started_at)
    snapshot = _snapshot_table()
    defaults = snapshot.defaults(run.started_at)
    position = {name: i for i, name in enumerate(SNAPSHOT)}
    money = position["lifetime_value"]
    scores_only = [c for c in UPDATED if c not in LABELS]
    for start in range(0, table.num_rows, BATCH):
        batch = table.slice(start, BATCH)
        steady = batch.column(STEADY).to_pylist()
        columns = [col.to_pylist() for col in batch.drop_columns([STEADY]).columns]
        columns[money] = [_money(v) for v in columns[money]]
        rows = list(zip(*columns, strict=True))
        moved = [row for row, same in zip(rows, steady, strict=True) if not same]
        kept = [row for row, same in zip(rows, steady, strict=True) if same]
        with transaction.atomic():
            snapshot.insert([(run.pk, stamp, *row, *defaults) for row in rows])
            _update_people(
                UPDATED, [(*(r[position[c]] for c in UPDATED), r[0]) for r in moved], stamp
            )
            _update_people(
                scores_only, [(*(r[position[c]] for c in scores_only), r[0]) for r in kept], stamp
            )
        progress(0.3 + 0.7 * (start + batch.num_rows) / max(table.num_rows, 1))


def _update_people(fields: Sequence[str], rows: list[tuple[Any, ...]], stamp: Any) -> None:
    """Set ``fields`` (and scored_at) from ``rows`` (their values, then the id): one statement
    per batch on PostgreSQL (arrays joined on id), executemany on SQLite."""
    table = Person._meta.db_table
    if not rows:
        return
    with connection.cursor() as cursor:
        if on_postgres():
            unnest = ", ".join(f"%s::{PG_TYPES[c]}[]" for c in fields)
            sets = ", ".join(f"{c} = v.{c}" for c in fields)
            sql = (
                f"UPDATE {table} AS p SET {sets}, scored_at = %s "
                f"FROM unnest({unnest}, %s::bigint[]) AS v({', '.join(fields)}, id) "
                "WHERE p.id = v.id"
            )
            columns = [list(col) for col in zip(*rows, strict=True)]
            cursor.execute(sql, [stamp, *columns])
        else:
            sets = ", ".join(f"{c} = %s" for c in fields)
            sql = f"UPDATE {table} SET {sets}, scored_at = %s WHERE id = %s"
            cursor.executemany(sql, [(*row[:-1], stamp, row[-1]) for row in rows])
