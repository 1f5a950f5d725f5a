"""The retention analysis job: reads orders and survey answers, runs the pure analytics
(cohorts, win-backs, satisfied defectors) and stores one :class:`RetentionReport` the
Retention page and the built-in segments read. Pages never compute it.

Run it with ``devotion retention-report`` (a :class:`~devotion.core.models.Job` of its own),
the page's "Recompute" button (managers; queued for the worker), or the demo.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from itertools import groupby
from operator import attrgetter
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models.fields.json import KT
from django.tasks import task
from django.utils import timezone

from devotion.analytics.cohorts import acquisition_cohorts, average_curve, month_number, month_start
from devotion.analytics.defectors import Answer, satisfied_defectors
from devotion.analytics.winbacks import (
    LapseRule,
    Order,
    Overdue,
    PaybackRule,
    WinBack,
    decay_table,
    detect_winbacks,
    overdue,
    payback_flags,
)
from devotion.core import jobs, queues
from devotion.core.models import Job
from devotion.people.models import Person
from devotion.people.spend import Rates
from devotion.retention.models import RetentionReport, Segment
from devotion.retention.segments import live_counts
from devotion.touchpoints.models import OrderLine, Touchpoint

KIND = "retention"
COHORT_MONTHS = 18
MONTHS_KEPT = 36
LISTED = 200  # people listed on the page per list (the built-in segments hold them all)
REPORTS_KEPT = 20
CHUNK = 5000
ALIVE_EVERY = 200_000  # orders read between two progress reports


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _money(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def iter_orders(
    end: datetime, rates: Rates, alive: Callable[[], None] = lambda: None
) -> Iterator[Order]:
    """Every order up to ``end`` as an analytics row, one person after another (on the
    ``(person, -occurred_at)`` index, so nothing is sorted and nothing held): net amount and
    money off in the reporting currency (orders in a currency without a rate count with
    amount 0), and whether it carried a coupon (``extra.coupon`` or Shopify's
    ``extra.discount_code``)."""
    discounts: dict[int, Decimal] = defaultdict(Decimal)
    lines = OrderLine.objects.filter(
        discount__gt=0, touchpoint__kind="order", touchpoint__occurred_at__lte=end
    ).values_list("touchpoint_id", "discount")
    for touchpoint_id, discount in lines.iterator(chunk_size=CHUNK):
        discounts[touchpoint_id] += discount
    # The coupon keys read by the database: decoding every order's JSON in Python cost more
    # than the rest of the analysis.
    rows = (
        Touchpoint.objects.filter(kind="order", occurred_at__lte=end)
        .annotate(
            coupon=KT("extra__coupon"),
            code=KT("extra__discount_code"),
            off=KT("extra__discount_amount"),
        )
        .order_by("person_id", "-occurred_at")
        .values_list(
            "id", "person_id", "occurred_at", "amount", "currency", "coupon", "code", "off"
        )
    )
    tz = timezone.get_current_timezone()
    for n, (pk, person_id, occurred_at, amount, currency, coupon, code, extra_off) in enumerate(
        rows.iterator(chunk_size=CHUNK)
    ):
        if n % ALIVE_EVERY == 0:
            alive()  # a long read still reports progress, so the job never looks stalled
        off = discounts.get(pk)
        if off is None and extra_off:
            off = _money(extra_off)
        value = rates.value(amount, currency) if amount is not None else None
        off_value = rates.value(off, currency) if off else None
        yield Order(
            person=person_id,
            day=occurred_at.astimezone(tz).date(),
            amount=float(value or 0),
            discount=float(off_value or 0),
            coupon=bool(coupon or code),
        )


def read_answers(end: datetime) -> list[Answer]:
    """Survey answers with a score up to ``end``; the survey type from ``extra.survey``."""
    rows = Touchpoint.objects.filter(
        kind="survey_answer", rating__isnull=False, occurred_at__lte=end
    ).values_list("person_id", "occurred_at", "rating", "extra")
    answers = []
    for person_id, occurred_at, rating, extra in rows.iterator(chunk_size=CHUNK):
        extra = extra if isinstance(extra, dict) else {}
        survey = extra.get("survey") or extra.get("survey_type") or ""
        answers.append(Answer(person_id, _day(occurred_at), str(survey or "").lower(), rating))
    return answers


def _monthly(months: dict[Any, set[int]], values: dict[Any, float], last_month: int) -> list[dict]:
    """Per month: customers acquired (first order) and retained (a repeat customer ordering),
    with the summed value (lifetime value when scored, else revenue so far) of each group."""
    start = last_month - MONTHS_KEPT + 1
    table = {
        m: {"acquired": 0, "retained": 0, "acquired_value": 0.0, "retained_value": 0.0}
        for m in range(start, last_month + 1)
    }
    for person, bought in months.items():
        value = values.get(person, 0.0)
        first = min(bought)
        for month in bought:
            row = table.get(month)
            if row is None:
                continue
            group = "acquired" if month == first else "retained"
            row[group] += 1
            row[f"{group}_value"] += value
    return [{"month": month_start(m).isoformat(), **row} for m, row in sorted(table.items())]


def compute(as_of: date | None = None, job: Job | None = None) -> dict[str, Any]:
    """The report's data as of the end of ``as_of`` (default: today)."""

    def say(step: int, line: str) -> None:
        if job is not None:
            job.set_progress(step, 5, "steps")
            job.write_log(line)

    as_of = as_of or timezone.localdate()
    end = timezone.make_aware(datetime.combine(as_of, time.max))
    rates = Rates.current()
    rule, payback = LapseRule(), PaybackRule()
    # 1. Survey answers, then every order one person at a time: only each person's months,
    #    revenue, win-backs and (if they answered a survey) rhythm are kept.
    answers = read_answers(end)
    answered: set[Any] = {a.person for a in answers}
    months: dict[Any, set[int]] = {}
    revenue: dict[Any, float] = {}
    winbacks: list[WinBack] = []
    late: dict[Any, Overdue | None] = {}
    count = 0
    alive = (lambda: job.set_progress(0, 5, "steps")) if job else (lambda: None)
    for person, group in groupby(iter_orders(end, rates, alive), key=attrgetter("person")):
        mine = list(group)
        count += len(mine)
        months[person] = {month_number(o.day) for o in mine}
        revenue[person] = sum(o.amount for o in mine)
        winbacks += detect_winbacks(mine, as_of, rule)
        if person in answered:
            late[person] = overdue([o.day for o in mine], as_of, rule)
    say(1, f"Read {count} orders and {len(answers)} survey answers.")
    # 2. Cohorts (a customer's months are all the cohorts need).
    cohorts = acquisition_cohorts(
        ((person, month_start(m)) for person, bought in months.items() for m in bought), as_of
    )
    recent = cohorts[-COHORT_MONTHS:]
    # 3. The decay of win-backs, and whom another discount would not pay back.
    flags = payback_flags(winbacks, payback)
    say(3, f"Found {len(winbacks)} win-backs; {len(flags)} people a discount won't pay back.")
    # 4. Satisfied defectors: happy answers beside overdue behaviour or a leaving stage.
    ids: list[int] = sorted(cast(int, p) for p in answered)
    stages: dict[Any, str] = {}
    for at in range(0, len(ids), CHUNK):  # chunks: SQLite caps a query's parameters
        chunk = ids[at : at + CHUNK]
        stages.update(Person.objects.live().filter(pk__in=chunk).values_list("pk", "stage"))
    defectors = [d for d in satisfied_defectors(answers, stages, late) if d.person in stages]
    say(4, f"Found {len(defectors)} satisfied defectors.")
    # 5. Monthly acquired and retained customers, valued for the economics.
    values = dict(revenue)
    scored = Person.objects.filter(lifetime_value__isnull=False).values_list("pk", "lifetime_value")
    values.update({pk: float(ltv or 0) for pk, ltv in scored.iterator(chunk_size=CHUNK)})
    last_month = month_number(as_of)
    return {
        "as_of": as_of.isoformat(),
        "currency": settings.REPORTING_CURRENCY,
        "value_basis": "lifetime value" if scored.exists() else "spend so far",
        "rules": {**asdict(rule), **asdict(payback)},
        "orders": count,
        "customers": len(months),
        "cohorts": [
            {"month": c.month.isoformat(), "size": c.size, "active": list(c.active)} for c in recent
        ],
        "curve": average_curve(recent),
        "winbacks": {
            "total": len(winbacks),
            "people": len({w.person for w in winbacks}),
            "with_incentive": sum(1 for w in winbacks if w.incentive),
            "cost": sum(w.cost for w in winbacks if w.incentive),
        },
        "decay": [asdict(row) for row in decay_table(winbacks)],
        "payback_flags": [asdict(flag) for flag in flags[:LISTED]],
        "defectors": [
            {
                "person": d.person,
                "survey": d.survey,
                "rating": d.rating,
                "answered_on": d.answered_on.isoformat(),
                "stage": d.stage,
                "days_since": d.overdue.days_since if d.overdue else None,
                "allowed_days": d.overdue.allowed_days if d.overdue else None,
                "typical_gap": d.overdue.typical_gap if d.overdue else None,
                "signals": d.signals,
            }
            for d in defectors[:LISTED]
        ],
        "builtin_members": {
            Segment.Builtin.SATISFIED_DEFECTORS.value: sorted(
                cast(int, d.person) for d in defectors
            ),
            Segment.Builtin.DISCOUNT_WONT_PAY.value: sorted(cast(int, f.person) for f in flags),
        },
        "monthly": _monthly(months, values, last_month),
    }


@transaction.atomic
def store(data: dict[str, Any], job: Job | None = None) -> RetentionReport:
    """Save a report with each segment's size at this run (for movement), keeping the last
    :data:`REPORTS_KEPT`."""
    report = RetentionReport(
        computed_at=timezone.now(), as_of=date.fromisoformat(data["as_of"]), job=job, data=data
    )
    segments = list(Segment.objects.all())
    counts = live_counts([s for s in segments if not s.builtin])
    for segment in segments:
        if segment.builtin:
            counts[segment.pk] = len(data["builtin_members"].get(segment.builtin, []))
    data["segment_counts"] = {str(pk): n for pk, n in counts.items()}
    report.save()
    stale = RetentionReport.objects.order_by("-computed_at", "-id").values_list("pk", flat=True)
    RetentionReport.objects.filter(pk__in=list(stale[REPORTS_KEPT:])).delete()
    return report


def work(job: Job, as_of: date | None = None) -> RetentionReport:
    """The job's work: compute, then store."""
    report = store(compute(as_of, job), job)
    job.set_progress(5, 5, "steps")
    job.write_log(f"Stored the report as of {report.as_of:%Y-%m-%d}.")
    return report


def create_job(started_by: Any = None) -> Job:
    return jobs.create(KIND, "Retention analysis", queue=queues.SCORING, started_by=started_by)


@task(queue_name=queues.SCORING)
def analyse_retention(job_id: int) -> None:
    with contextlib.suppress(jobs.NotQueued):  # a duplicated task: the job already ran
        jobs.run(job_id, work)


def run_now(as_of: date | None = None) -> RetentionReport:
    """Run the analysis in this process, recorded as a job (CLI, demo)."""
    report: RetentionReport = jobs.run(create_job(), lambda job: work(job, as_of))
    return report
