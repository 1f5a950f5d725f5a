"""A person's scores told in words: what the customer page leads with and what the API
carries beside the numbers. Reads the person's latest snapshot (one query)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

from devotion.analytics import health, rfm, stages
from devotion.people.models import Person
from devotion.retention.models import ScoreSnapshot


def latest_snapshot(person: Person) -> ScoreSnapshot | None:
    return (
        ScoreSnapshot.objects.filter(person=person)
        .select_related("run")
        .order_by("-computed_at", "-id")
        .first()
        if person.scored_at
        else None
    )


def factors_in_words(factors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scorecard lines with their label and a sentence each."""
    out = []
    for factor in factors or []:
        key = factor.get("key", "")
        out.append(
            {
                "key": key,
                "label": health.LABELS.get(key, key),
                "points": float(factor.get("points") or 0),
                "max_points": float(factor.get("max") or 0),
                "explanation": _explain(
                    key, factor.get("value"), float(factor.get("fraction") or 0)
                ),
            }
        )
    return out


def _explain(key: str, value: Any, fraction: float) -> str:
    if key == "survey" and value is not None:
        return f"Latest survey answer: {value:g}, which earns {fraction:.0%} of this factor."
    return health.explain(key, value, fraction)


def scores_of(person: Person, snapshot: ScoreSnapshot | None) -> dict[str, Any]:
    """The person's scores with factors and reasons, as the API's ``scores`` object."""
    return {
        "health_score": person.health_score,
        "previous_health_score": snapshot.previous_health_score if snapshot else None,
        "health_trend": snapshot.health_trend if snapshot else None,
        "health_factors": factors_in_words(snapshot.health_factors) if snapshot else [],
        "churn_probability": person.churn_probability,
        "churn_reasons": [
            {"feature": r["feature"], "text": r["text"], "weight": r["weight"]}
            for r in (snapshot.churn_reasons if snapshot else [])
        ],
        "expected_purchases_90d": person.expected_purchases_90d,
        "expected_purchases_365d": person.expected_purchases_365d,
        "lifetime_value": person.lifetime_value,
        "rfm": {
            "recency": snapshot.rfm_r if snapshot else 0,
            "frequency": snapshot.rfm_f if snapshot else 0,
            "monetary": snapshot.rfm_m if snapshot else 0,
        },
        "rfm_segment": person.rfm_segment,
        "rfm_segment_meaning": rfm.MEANINGS.get(person.rfm_segment, ""),
        "cluster": person.cluster,
        "cluster_description": snapshot.cluster_description if snapshot else "",
        "computed_at": person.scored_at,
        # Scores read events before the run's day: the last day they include.
        "data_until": snapshot.run.as_of - timedelta(days=1) if snapshot and snapshot.run else None,
    }


def risk_words(probability: float | None) -> str:
    """A churn probability as people say it.

    >>> risk_words(0.82), risk_words(0.45), risk_words(0.1), risk_words(None)
    ('high', 'medium', 'low', 'unknown')
    """
    if probability is None:
        return "unknown"
    return "high" if probability >= 0.6 else ("medium" if probability >= 0.3 else "low")


def health_words(score: float | None) -> str:
    """
    >>> health_words(80), health_words(55), health_words(20)
    ('healthy', 'needs care', 'poor')
    """
    if score is None:
        return "not scored"
    return "healthy" if score >= 70 else ("needs care" if score >= 40 else "poor")


def buying_habits(person: Person) -> dict[str, Any]:
    """What they buy most (top products by quantity) and how often (their usual gap between
    orders), from their orders: two small queries on the person's own rows."""
    from django.db.models import Sum

    from devotion.touchpoints.models import OrderLine, Touchpoint

    days = sorted(
        Touchpoint.objects.filter(person=person, kind="order").values_list("occurred_at", flat=True)
    )
    gaps = [(b - a).total_seconds() / 86400 for a, b in pairwise(days)]
    gaps = [g for g in gaps if g >= 0.5]  # same-day orders are one visit
    usual = sorted(gaps)[len(gaps) // 2] if gaps else None
    top = list(
        OrderLine.objects.filter(touchpoint__person=person, touchpoint__kind="order")
        .values("product_name", "product_id")
        .annotate(quantity=Sum("quantity"))
        .order_by("-quantity", "product_name")[:3]
    )
    if usual is None:
        rhythm = "One order so far." if days else "No orders yet."
    elif usual < 10:
        rhythm = f"Orders every {usual:.0f} days or so."
    elif usual < 60:
        rhythm = f"Orders about every {usual / 7:.0f} weeks."
    else:
        rhythm = f"Orders about every {usual / 30.4:.0f} months."
    return {
        "rhythm": rhythm,
        "last_order_at": days[-1] if days else None,
        "usual_gap_days": usual,
        "products": [
            {"name": p["product_name"] or p["product_id"], "quantity": p["quantity"]} for p in top
        ],
    }


def stage_in_words(
    person: Person, snapshot: ScoreSnapshot | None, risk: str, last_order_days: int | None
) -> dict[str, str]:
    """Why the person is at their journey stage, and, where the stage and the churn model
    disagree (overdue yet a low risk, on rhythm yet a high one), why both can be true.

    The stage counts days since the last order against the person's own rhythm (stated
    rules, :mod:`devotion.analytics.stages`); the risk is learned from how this business's
    customers behaved before leaving. A customer who often pauses and comes back is overdue
    by the rule and still likely to return; a regular who has just complained is on rhythm
    and still likely to leave.
    """
    stage = person.stage
    gaps = None
    for factor in (snapshot.health_factors if snapshot else None) or []:
        if factor.get("key") == "recency" and factor.get("value") is not None:
            gaps = float(factor["value"])
    late = (
        f"No order for {last_order_days} days"
        + (f", {gaps:.1f} of their usual gaps" if gaps is not None else "")
        if last_order_days is not None
        else ""
    )
    why = stages.RULES.get(stage, "")
    if stage == "at_risk" and late and gaps is not None and gaps > stages.RISK_GAPS:
        why = f"{late} (more than {stages.RISK_GAPS:g} gaps counts as at risk)."
    elif stage == "at_risk" and person.churn_probability is not None:
        why = (
            f"Their risk of leaving is {person.churn_probability:.0%}: "
            f"{stages.RISK_PROBABILITY:.0%} or more counts as at risk."
        )
    elif stage == "lapsed" and late:
        why = f"{late} (more than {stages.LAPSE_GAPS:g} gaps and {stages.LAPSE_MIN_DAYS:g} days)."
    elif stage in ("active", "new", "won_back") and late and gaps is not None and gaps >= 1:
        why = f"{late}: not overdue yet (at risk from {stages.RISK_GAPS:g} gaps)."
    elif why:
        why = why[0].upper() + why[1:] + "."
    note = ""
    if stage in ("at_risk", "lapsed") and risk == "low":
        note = (
            "Yet their risk of leaving is low: the stage counts days since the last order, "
            "while the risk is learned from how customers like them behaved, and customers "
            "with a history like theirs usually come back after a pause like this one. "
            "A friendly word fits better than a discount."
        )
    elif stage in ("active", "new", "won_back") and risk == "high":
        note = (
            "Yet their risk of leaving is high: by the stage rule they are not overdue, but "
            "the model sees what went before other customers left (the reasons below)."
        )
    return {"label": person.get_stage_display(), "why": why, "note": note}


def person_story(person: Person) -> dict[str, Any]:
    """Everything the customer page's story panel shows."""
    snapshot = latest_snapshot(person)
    scores = scores_of(person, snapshot)
    value_at_risk = None
    if person.lifetime_value is not None and person.churn_probability is not None:
        value_at_risk = float(person.lifetime_value) * person.churn_probability
    habits = buying_habits(person)
    risk = risk_words(person.churn_probability)
    as_of = snapshot.run.as_of if snapshot and snapshot.run else None
    last_order = habits.pop("last_order_at")
    last_order_days = (
        max(0, (as_of - last_order.date()).days) if as_of and last_order is not None else None
    )
    return {
        "scored": snapshot is not None,
        "stage": stage_in_words(person, snapshot, risk, last_order_days),
        "scores": scores,
        "health_words": health_words(person.health_score),
        "risk_words": risk,
        "risk_percent": round(person.churn_probability * 100)
        if person.churn_probability is not None
        else None,
        "value_at_risk": value_at_risk,
        "habits": habits,
    }
