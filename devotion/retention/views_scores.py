"""The scoring half of the Retention page: churn-risk distribution, value at risk by RFM
segment with each segment's movement since the last scoring run, the at-risk list, and the
churn model's report card.

Everything is read from the latest :class:`ScoringRun`, its :class:`ScoreSnapshot` rows and
the scores denormalised on :class:`Person`; a request never computes a score. A fixed number
of queries however many people are scored (the at-risk list is one page at a time).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.http import HttpRequest

from devotion.analytics.rfm import SEGMENTS
from devotion.people.models import Person
from devotion.retention.charts import bar_chart, calibration_chart
from devotion.retention.models import ScoreSnapshot, ScoringModel, ScoringRun

BANDS = 10  # the churn-risk histogram's bands: 0-10 %, 10-20 % … 90-100 %
AT_RISK = 0.5  # the at-risk list: churn probability of at least this (more likely to leave)
RISK_PAGE = 25  # people per page of the at-risk list
REASONS = 3  # reasons shown per person

# RFM segments in the order of the usual RFM grid, from best to gone (for ties and missing).
RFM_ORDER = SEGMENTS  # devotion.analytics.rfm: the one list


def _value_at_risk() -> Any:
    """Lifetime value times churn probability, per person, as a database expression."""
    return Cast("lifetime_value", FloatField()) * F("churn_probability")


def scored_people() -> QuerySet[Person]:
    """Live people with a churn probability from the latest scoring run."""
    return Person.objects.live().filter(churn_probability__isnull=False)


def latest_runs() -> tuple[ScoringRun | None, ScoringRun | None]:
    """The last finished scoring run and, for segment movement, the last one as of an
    earlier day (a second Recompute the same day would otherwise show no movement at all)."""
    finished = ScoringRun.objects.filter(finished_at__isnull=False).select_related("model")
    last = finished.order_by("-id").first()
    if last is None:
        return None, None
    return last, finished.filter(as_of__lt=last.as_of).order_by("-as_of", "-id").first()


def churn_distribution() -> dict[str, Any]:
    """Counts of people per band of churn probability (one query), with the histogram."""
    bands = {}
    for i in range(BANDS):
        low, high = i / BANDS, (i + 1) / BANDS
        upper = Q(churn_probability__lte=high) if i == BANDS - 1 else Q(churn_probability__lt=high)
        bands[f"b{i}"] = Count("pk", filter=Q(churn_probability__gte=low) & upper)
    totals = scored_people().aggregate(
        **bands,
        people=Count("pk"),
        value_at_risk=Sum(_value_at_risk()),
        lifetime_value=Sum(Cast("lifetime_value", FloatField())),
        at_risk=Count("pk", filter=Q(churn_probability__gte=AT_RISK)),
    )
    counts = [int(totals[f"b{i}"]) for i in range(BANDS)]
    rows = [
        {"low": i * 100 // BANDS, "high": (i + 1) * 100 // BANDS, "people": n}
        for i, n in enumerate(counts)
    ]
    chart = bar_chart(
        "People by churn probability, in bands of 10 points",
        [(f"{r['low']}", r["people"], f"{r['people']:,}") for r in rows],
    )
    return {
        "rows": rows,
        "chart": chart,
        "people": totals["people"],
        "at_risk": totals["at_risk"],
        "value_at_risk": totals["value_at_risk"] or 0.0,
        "lifetime_value": totals["lifetime_value"] or 0.0,
    }


def segment_rows(last: ScoringRun | None, previous: ScoringRun | None) -> list[dict[str, Any]]:
    """Per RFM segment: people now, movement since the previous run (from the runs' segment
    counts), average churn probability, lifetime value and value at risk; the biggest value
    at risk first."""
    live: dict[str, dict[str, Any]] = {
        row["rfm_segment"]: dict(row)
        for row in scored_people()
        .exclude(rfm_segment="")
        .values("rfm_segment")
        .annotate(
            people=Count("pk"),
            risk=Avg("churn_probability"),
            value=Sum(Cast("lifetime_value", FloatField())),
            at_risk=Sum(_value_at_risk()),
        )
    }
    now = dict(last.segments) if last else {}
    before = dict(previous.segments) if previous else None
    names = set(live) | set(now) | set(before or {})
    rows = []
    for name in names:
        row = live.get(name, {})
        count = now.get(name, row.get("people", 0))
        was = before.get(name, 0) if before is not None else None
        rows.append(
            {
                "segment": name,
                "people": count,
                "was": was,
                "change": count - was if was is not None else None,
                "risk": row.get("risk"),
                "value": row.get("value") or 0.0,
                "value_at_risk": row.get("at_risk") or 0.0,
            }
        )
    rank = {name: i for i, name in enumerate(RFM_ORDER)}
    rows.sort(key=lambda r: (-r["value_at_risk"], rank.get(r["segment"], 99), r["segment"]))
    top = max((r["value_at_risk"] for r in rows), default=0.0) or 1.0
    for r in rows:
        r["bar"] = round(100 * r["value_at_risk"] / top, 1)
    return rows


def at_risk_page(last: ScoringRun | None, page: int) -> dict[str, Any]:
    """One page of people with a churn probability of at least AT_RISK, the highest value at
    risk first, with their top reasons (from this run's snapshots) and owner."""
    start = (page - 1) * RISK_PAGE
    people = list(
        scored_people()
        .filter(churn_probability__gte=AT_RISK)
        .annotate(value_at_risk=_value_at_risk())
        .select_related("owner__owner")
        .only(
            "id",
            "display_name",
            "primary_email",
            "stage",
            "churn_probability",
            "lifetime_value",
            "rfm_segment",
            "health_score",
            "owner__owner__display_name",
        )
        .order_by(F("value_at_risk").desc(nulls_last=True), "-churn_probability", "pk")[
            start : start + RISK_PAGE + 1
        ]
    )
    more = len(people) > RISK_PAGE
    people = people[:RISK_PAGE]
    reasons: dict[int, list[dict[str, Any]]] = {}
    if last is not None and people:
        for person_id, found in ScoreSnapshot.objects.filter(
            run=last, person_id__in=[p.pk for p in people]
        ).values_list("person_id", "churn_reasons"):
            reasons[person_id] = list(found or [])[:REASONS]
    rows = []
    for person in people:
        owner = getattr(person, "owner", None)  # the follow-up app's PersonOwner, if any
        rows.append(
            {
                "person": person,
                "value_at_risk": person.value_at_risk,  # type: ignore[attr-defined]
                "reasons": reasons.get(person.pk, []),
                "owner": owner.owner if owner is not None else None,
            }
        )
    return {
        "rows": rows,
        "page": page,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if more else None,
        "first": start + 1,
    }


def model_card(last: ScoringRun | None) -> dict[str, Any] | None:
    """The churn model the last run used (else the newest trained), with its calibration
    plot."""
    model = last.model if last is not None and last.model is not None else None
    if model is None:
        model = ScoringModel.objects.order_by("-version").first()
    if model is None:
        return None
    points = [
        (float(b["predicted"]), float(b["observed"]), int(b.get("count", 0)))
        for b in model.calibration or []
        if b.get("predicted") is not None and b.get("observed") is not None
    ]
    chart = (
        calibration_chart("Predicted churn probability against the share who left", points)
        if points
        else None
    )
    return {"model": model, "calibration_chart": chart}


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("risk_page", "")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


def score_sections(request: HttpRequest) -> dict[str, Any]:
    """The context of the page's four scoring sections, or only ``scoring_run: None``
    before any scoring run."""
    last, previous = latest_runs()
    if last is None:
        return {"scoring_run": None, "model_card": None}
    return {
        "scoring_run": last,
        "previous_run": previous,
        "churn": churn_distribution(),
        "rfm_segments": segment_rows(last, previous),
        "at_risk": at_risk_page(last, _page_number(request)),
        "at_risk_threshold": round(AT_RISK * 100),
        "model_card": model_card(last),
    }
