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

import logging
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from devotion.analytics import pipeline
from devotion.core.models import Job
from devotion.ingest.bulk import db_datetime, on_postgres
from devotion.retention import columnar
from devotion.retention.models import HealthWeights, ScoringModel, ScoringRun
from devotion.retention.writeback import write_scores
from devotion.touchpoints.models import Touchpoint

log = logging.getLogger(__name__)

DAY = 86400.0
BATCH = 5_000  # people per write-back statement / transaction
HORIZON_DAYS = 90  # churn: "left" means no order in the 90 days after the cutoff
FETCH = 100_000  # analysed messages per fetch when reading feelings

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
        rating = "rating::float8"
        survey = "coalesce(extra->>'survey', '')"
    else:
        day = "julianday(occurred_at) - 2440587.5"
        amount = "CAST(amount AS REAL)"
        rating = "CAST(rating AS REAL)"
        survey = "coalesce(json_extract(extra, '$.survey'), '')"
    sql = (
        f"SELECT person_id, kind, direction, {day}, {amount}, currency, {rating}, {survey} "
        f"FROM {table} WHERE occurred_at < %s"
    )
    schema = pa.schema(
        [
            ("person_id", pa.int64()),
            ("kind", pa.string()),
            ("direction", pa.string()),
            ("day", pa.float64()),
            ("amount", pa.float64()),
            ("currency", pa.string()),
            ("rating", pa.float64()),
            ("survey", pa.string()),
        ]
    )
    table_ = columnar.read(sql, [db_datetime(cutoff)], schema)
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
    models = pipeline.train(
        events,
        day_number(cutoff),
        horizon_days=HORIZON_DAYS,
        currency=settings.REPORTING_CURRENCY,
        locale=settings.MONEY_LOCALE,
    )
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
    # Wall seconds per phase (read, train, score, write): the job log and bench/ report them.
    seconds: dict[str, float]


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

    seconds: dict[str, float] = {}
    clock = perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = perf_counter()
        seconds[phase] = round(now - clock, 2)
        clock = now

    cutoff = cutoff_of(as_of)
    run = ScoringRun.objects.create(
        job=job, as_of=(cutoff - timedelta(microseconds=1)).date(), started_at=timezone.now()
    )
    # 1. The timeline up to the cutoff.
    step(0, f"Reading touchpoints before {cutoff:%Y-%m-%d %H:%M} UTC.")
    events = read_events(cutoff)
    lap("read")
    step(15, f"Read {events.num_rows:,} touchpoints.")
    # 2. Models: the saved ones, or newly trained.
    found = None if retrain else usable_models(cutoff)
    trained = found is None
    if found is None:
        step(20, "Training the models (churn by time split, BG/NBD, Gamma-Gamma, clusters).")
        found = train_and_save(events, cutoff)
    lap("train")
    record, models = found
    step(50, f"Scoring with models v{record.version} (trained as of {record.trained_as_of}).")
    # 3. Scores.
    weights = HealthWeights.current()
    feelings = read_feelings(cutoff)
    scores = pipeline.score(events, day_number(cutoff), models, weights=weights, feelings=feelings)
    lap("score")
    # 4. Write back in bulk, with stages moved by the rules.
    step(60, f"Writing scores for {int(scores.is_customer.sum()):,} customers.")
    moves = write_scores(run, scores, models, lambda share: step(60 + int(share * 39), ""))
    lap("write")
    run.model = record
    run.finished_at = timezone.now()
    run.people = len(scores.person_id)
    run.customers = int(scores.is_customer.sum())
    run.weights = weights
    run.segments = dict(Counter(s for s in scores.rfm_segment.tolist() if s))
    run.stage_moves = moves
    run.notes = scores.notes
    run.save()
    for note in scores.notes:
        step(99, note)
    took = ", ".join(f"{phase} {s:.1f} s" for phase, s in seconds.items())
    step(100, f"Scored {run.customers:,} customers of {run.people:,} people ({took}).")
    return Outcome(run, trained, seconds)
