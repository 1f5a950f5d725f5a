"""Scoring everyone: read the timeline as of a day, train (when asked, or when no model fits)
and save the models as a versioned file, score, and write the scores back in bulk.

The computing is in :mod:`devotion.analytics.pipeline` (no Django); this module moves data
between the database and it. ``devotion score``, the nightly job and a manager's "Recompute"
all end in :func:`run_scoring`.
"""

# Table and column names in the SQL below come from model metadata, never from input; every
# value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
import logging
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from devotion.analytics import pipeline
from devotion.core.models import Job
from devotion.ingest.bulk import Table, db_datetime, on_postgres
from devotion.people.models import Person
from devotion.retention.models import HealthWeights, ScoreSnapshot, ScoringModel, ScoringRun
from devotion.touchpoints.models import Touchpoint

log = logging.getLogger(__name__)

DAY = 86400.0
FETCH = 100_000  # touchpoint rows per fetch from the database
BATCH = 5_000  # people per write-back statement / transaction
HORIZON_DAYS = 90  # churn: "left" means no order in the 90 days after the cutoff

Progress = Callable[[int, str], None]  # (percent done, what is happening)


def cutoff_of(as_of: date | None) -> datetime:
    """The moment scores are taken at: the end of the ``as_of`` day (UTC), or now."""
    if as_of is None:
        return timezone.now()
    return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)


def day_number(moment: datetime) -> float:
    """Days since 1970-01-01 UTC, the time scale of the analytics."""
    return moment.timestamp() / DAY


# -------------------------------------------------------------------------------- reading


def read_events(cutoff: datetime) -> pa.Table:
    """Every touchpoint before ``cutoff`` in the shape :mod:`devotion.analytics.features`
    reads, order amounts converted into the reporting currency (an order in a currency with no
    rate keeps its count but no amount)."""
    table = Touchpoint._meta.db_table
    if on_postgres():
        day = "extract(epoch from occurred_at)::float8 / 86400.0"
        amount = "amount::float8"
        survey = "coalesce(extra->>'survey', '')"
    else:
        day = "julianday(occurred_at) - 2440587.5"
        amount = "CAST(amount AS REAL)"
        survey = "coalesce(json_extract(extra, '$.survey'), '')"
    sql = (
        f"SELECT person_id, kind, direction, {day}, {amount}, currency, "
        f"CAST(rating AS REAL), {survey} FROM {table} WHERE occurred_at < %s"
    )
    names = ("person_id", "kind", "direction", "day", "amount", "currency", "rating", "survey")
    types = (
        pa.int64(),
        pa.string(),
        pa.string(),
        pa.float64(),
        pa.float64(),
        pa.string(),
        pa.float64(),
        pa.string(),
    )
    # Each fetched chunk becomes columnar at once: no Python list of ten million values.
    chunks: list[pa.RecordBatch] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [db_datetime(cutoff)])
        while rows := cursor.fetchmany(FETCH):
            columns = zip(*rows, strict=True)
            arrays = [pa.array(col, t) for col, t in zip(columns, types, strict=True)]
            chunks.append(pa.RecordBatch.from_arrays(arrays, names=names))
    schema = pa.schema(list(zip(names, types, strict=True)))
    table_ = pa.Table.from_batches(chunks, schema=schema)
    amounts = table_.column("amount").to_numpy(zero_copy_only=False).astype(float)
    currency = table_.column("currency")
    for code in set(currency.unique().to_pylist()) - {"", None, settings.REPORTING_CURRENCY}:
        rate = settings.FX_RATES.get(code)
        mask = np.asarray(pc.equal(currency, code).to_numpy(zero_copy_only=False), dtype=bool)
        amounts[mask] *= float(rate) if rate is not None else np.nan
    return pa.table(
        {
            "person_id": table_.column("person_id"),
            "kind": table_.column("kind"),
            "direction": table_.column("direction"),
            "day": table_.column("day"),
            "amount": pa.array(amounts, pa.float64(), from_pandas=True),
            "rating": table_.column("rating"),
            "survey": table_.column("survey"),
        }
    )


def read_feelings(cutoff: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Each person's feeling as of ``cutoff`` for the health scorecard: (sorted person ids,
    feeling from -1 to 1), worked out by :func:`devotion.analytics.health.feeling_by_person`
    from the sentiment of their own analysed messages of the 90 days before (a staff
    correction wins over the model's score). People with none are not in it."""
    from devotion.analytics.health import FEELING_DAYS, feeling_by_person
    from devotion.voice.models import TextAnalysis

    as_number = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
    rows = (
        TextAnalysis.objects.filter(
            occurred_at__gte=cutoff - timedelta(days=FEELING_DAYS), occurred_at__lt=cutoff
        )
        .exclude(direction="out")  # our own replies say nothing of how they feel
        .exclude(sentiment_label="", corrected_sentiment="")  # a language not read: unknown
        .values_list(
            "touchpoint__person_id",
            "occurred_at",
            "sentiment",
            "sentiment_label",
            "corrected_sentiment",
        )
        .order_by()
    )
    people: list[int] = []
    ages: list[float] = []
    scores: list[float] = []
    for person_id, when, score, label, fixed in rows.iterator(chunk_size=FETCH):
        if when is None:
            continue
        people.append(person_id)
        ages.append((cutoff - when).total_seconds() / DAY)
        if fixed or score is None:
            scores.append(as_number.get(fixed or label, np.nan))
        else:
            scores.append(score)
    return feeling_by_person(people, ages, scores)


# -------------------------------------------------------------------------------- models


def models_dir() -> Path:
    path = Path(settings.HOME) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def train_and_save(events: pa.Table, cutoff: datetime) -> tuple[ScoringModel, pipeline.Models]:
    """Train every model on events before ``cutoff`` and save them as the next version."""
    models = pipeline.train(events, day_number(cutoff), horizon_days=HORIZON_DAYS)
    version = (ScoringModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    name = f"scoring-v{version}.pkl"
    (models_dir() / name).write_bytes(pickle.dumps(models, protocol=pickle.HIGHEST_PROTOCOL))
    report = models.churn_report
    params: dict[str, Any] = {}
    if models.bgnbd is not None and models.gamma_gamma is not None:
        params = {"bgnbd_per_week": models.bgnbd.params_, "gamma_gamma": models.gamma_gamma.params_}
    params |= {
        "typical_gap_days": models.typical_gap,
        "typical_orders_a_year": models.typical_orders,
    }
    record = ScoringModel.objects.create(
        version=version,
        path=f"models/{name}",
        trained_at=timezone.now(),
        trained_as_of=(cutoff - timedelta(microseconds=1)).date(),
        horizon_days=HORIZON_DAYS,
        customers=models.customers,
        trained_on=report.trained_on if report else 0,
        churn_rate=report.churn_rate if report else None,
        backtest_people=report.backtest_people if report else 0,
        roc_auc=report.roc_auc if report else None,
        pr_auc=report.pr_auc if report else None,
        calibration=report.calibration if report else [],
        parameters=params,
        clusters=dict(
            zip(models.clusters.names_, models.clusters.descriptions_, strict=True)
            if models.clusters
            else {}
        ),
        notes=models.notes,
    )
    return record, models


def load_models(record: ScoringModel) -> pipeline.Models | None:
    """The saved models of ``record``, or None when the file is gone or from older code."""
    path = Path(settings.HOME) / record.path
    try:
        # Our own file, written by train_and_save under DEVOTION_HOME (never an upload).
        models = pickle.loads(path.read_bytes())  # noqa: S301
    except (OSError, pickle.UnpicklingError, AttributeError, ModuleNotFoundError):
        return None
    if not isinstance(models, pipeline.Models) or models.format != pipeline.MODEL_FORMAT:
        return None
    return models


def usable_models(cutoff: datetime) -> tuple[ScoringModel, pipeline.Models] | None:
    """The newest saved models trained on nothing after ``cutoff`` (a backtest as of an
    earlier day must not use a model that saw later data)."""
    last_day = (cutoff - timedelta(microseconds=1)).date()
    for record in ScoringModel.objects.filter(trained_as_of__lte=last_day).order_by("-version")[:3]:
        models = load_models(record)
        if models is not None:
            return record, models
    return None


# -------------------------------------------------------------------------------- the run


@dataclass
class Outcome:
    run: ScoringRun
    trained: bool


def run_scoring(
    as_of: date | None = None,
    *,
    retrain: bool = False,
    job: Job | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Score everyone as of the end of ``as_of`` (default: now). Trains new models when
    ``retrain`` is set or no saved models fit the day."""

    def step(percent: int, message: str) -> None:
        if job is not None:
            job.set_progress(percent, total=100, unit="%")
            job.write_log(message)
        if progress is not None:
            progress(percent, message)

    cutoff = cutoff_of(as_of)
    run = ScoringRun.objects.create(
        job=job, as_of=(cutoff - timedelta(microseconds=1)).date(), started_at=timezone.now()
    )
    # 1. The timeline up to the cutoff.
    step(0, f"Reading touchpoints before {cutoff:%Y-%m-%d %H:%M} UTC.")
    events = read_events(cutoff)
    step(15, f"Read {events.num_rows:,} touchpoints.")
    # 2. Models: the saved ones, or newly trained.
    found = None if retrain else usable_models(cutoff)
    trained = found is None
    if found is None:
        step(20, "Training the models (churn by time split, BG/NBD, Gamma-Gamma, clusters).")
        found = train_and_save(events, cutoff)
    record, models = found
    step(50, f"Scoring with models v{record.version} (trained as of {record.trained_as_of}).")
    # 3. Scores.
    weights = HealthWeights.current()
    feelings = read_feelings(cutoff)
    scores = pipeline.score(events, day_number(cutoff), models, weights=weights, feelings=feelings)
    # 4. Write back in bulk, with stages moved by the rules.
    step(60, f"Writing scores for {int(scores.is_customer.sum()):,} customers.")
    moves = write_scores(run, scores, models, lambda share: step(60 + int(share * 39), ""))
    run.model = record
    run.finished_at = timezone.now()
    run.people = len(scores.person_id)
    run.customers = int(scores.is_customer.sum())
    run.weights = weights
    run.segments = dict(Counter(s for s in scores.rfm_segment if s))
    run.stage_moves = moves
    run.notes = scores.notes
    run.save()
    for note in scores.notes:
        step(99, note)
    step(100, f"Scored {run.customers:,} customers of {run.people:,} people.")
    return Outcome(run, trained)


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _money(value: float) -> Decimal | None:
    return None if np.isnan(value) else Decimal(str(round(float(value), 2)))


def write_scores(
    run: ScoringRun,
    scores: pipeline.Scores,
    models: pipeline.Models,
    progress: Callable[[float], None],
) -> dict[str, int]:
    """Snapshots and the people's current scores and stages, a batch per transaction;
    returns how many people moved between which stages ("active>at_risk")."""
    now = run.started_at
    stamp = db_datetime(now)
    ids = scores.person_id
    scored = np.flatnonzero(scores.is_customer)
    moves: Counter[str] = Counter()
    snapshot = Table.of(
        ScoreSnapshot,
        "person_id",
        "run_id",
        "computed_at",
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
    for start in range(0, len(scored), BATCH):
        rows = scored[start : start + BATCH]
        batch_ids = [int(ids[i]) for i in rows]
        # Live people only (a person merged away since has no row to update).
        before = {
            pk: (stage, health)
            for pk, stage, health in Person.objects.filter(
                pk__in=batch_ids, merged_into__isnull=True
            ).values_list("pk", "stage", "health_score")
        }
        keep = [i for i in rows if int(ids[i]) in before]
        current = [before[int(ids[i])][0] for i in keep]
        sub = _subset(scores, keep)
        stages = pipeline.stages(sub, models, current)
        snapshots, updates = [], []
        for j, i in enumerate(keep):
            pk = int(ids[i])
            old_stage, previous = before[pk]
            health = _num(scores.health_score[i])
            trend = (
                round(health - previous, 1) if health is not None and previous is not None else None
            )
            if stages[j] != old_stage:
                moves[f"{old_stage}>{stages[j]}"] += 1
            snapshots.append(
                (
                    pk,
                    run.pk,
                    stamp,
                    health,
                    json.dumps(scores.health_factors[i]),
                    previous,
                    trend,
                    _num(scores.churn_probability[i]),
                    json.dumps(scores.churn_reasons[i] or []),
                    _num(scores.expected_purchases_90d[i]),
                    _num(scores.expected_purchases_365d[i]),
                    _money(scores.lifetime_value[i]),
                    int(scores.rfm_r[i]),
                    int(scores.rfm_f[i]),
                    int(scores.rfm_m[i]),
                    scores.rfm_segment[i],
                    scores.cluster[i][:80],
                    scores.cluster_description[i][:300],
                    stages[j],
                    *snapshot.defaults(now),
                )
            )
            updates.append(
                (
                    health,
                    _num(scores.churn_probability[i]),
                    _money(scores.lifetime_value[i]),
                    _num(scores.expected_purchases_90d[i]),
                    _num(scores.expected_purchases_365d[i]),
                    scores.rfm_segment[i],
                    scores.cluster[i][:80],
                    stages[j],
                    pk,
                )
            )
        with transaction.atomic():
            snapshot.insert(snapshots)
            _update_people(updates, stamp)
        progress((start + len(rows)) / max(len(scored), 1))
    # People scored before but not now (no order as of this day): no stale scores left.
    Person.objects.filter(health_score__isnull=False).exclude(scored_at=now).update(
        health_score=None,
        churn_probability=None,
        lifetime_value=None,
        expected_purchases_90d=None,
        expected_purchases_365d=None,
        rfm_segment="",
        cluster="",
    )
    return dict(moves)


_UPDATED = (
    "health_score",
    "churn_probability",
    "lifetime_value",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "rfm_segment",
    "cluster",
    "stage",
)


def _update_people(rows: list[tuple[Any, ...]], stamp: Any) -> None:
    """One statement per batch on PostgreSQL (arrays joined on id), executemany on SQLite."""
    table = Person._meta.db_table
    if not rows:
        return
    with connection.cursor() as cursor:
        if on_postgres():
            types = ["float8", "float8", "numeric", "float8", "float8", "text", "text", "text"]
            unnest = ", ".join(f"%s::{t}[]" for t in types)
            sets = ", ".join(f"{c} = v.{c}" for c in _UPDATED)
            sql = (
                f"UPDATE {table} AS p SET {sets}, scored_at = %s "
                f"FROM unnest({unnest}, %s::bigint[]) AS v({', '.join(_UPDATED)}, id) "
                "WHERE p.id = v.id"
            )
            columns = [list(col) for col in zip(*rows, strict=True)]
            cursor.execute(sql, [stamp, *columns])
        else:
            sets = ", ".join(f"{c} = %s" for c in _UPDATED)
            sql = f"UPDATE {table} SET {sets}, scored_at = %s WHERE id = %s"
            cursor.executemany(sql, [(*row[:-1], stamp, row[-1]) for row in rows])


def _subset(scores: pipeline.Scores, rows: list[int]) -> pipeline.Scores:
    """The scores of some people only (what :func:`pipeline.stages` reads)."""
    idx = np.asarray(rows, dtype=int)
    return pipeline.Scores(
        person_id=scores.person_id[idx],
        is_customer=scores.is_customer[idx],
        health_score=scores.health_score[idx],
        health_factors=[],
        churn_probability=scores.churn_probability[idx],
        churn_reasons=[],
        expected_purchases_90d=scores.expected_purchases_90d[idx],
        expected_purchases_365d=scores.expected_purchases_365d[idx],
        lifetime_value=scores.lifetime_value[idx],
        rfm_r=scores.rfm_r[idx],
        rfm_f=scores.rfm_f[idx],
        rfm_m=scores.rfm_m[idx],
        rfm_segment=[],
        cluster=[],
        cluster_description=[],
        features={k: v[idx] for k, v in scores.features.items()},
        notes=[],
    )
