"""A survey's numbers as the pages and the API show them: asked, answered, response rate,
score, the score over time and the answers per group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from devotion.voice.surveys.models import Survey, SurveyInvitation
from devotion.voice.surveys.scales import SCALES, Point, Scale, over_time, pick_period


def with_counts(surveys: QuerySet[Survey]) -> QuerySet[Survey]:
    """Annotate sent, answered and the counts every kind's score needs: one query."""
    answered = Q(invitations__answered_at__isnull=False)
    return surveys.annotate(
        sent=Count("invitations", filter=Q(invitations__status="sent")),
        answered=Count("invitations", filter=answered),
        high9=Count("invitations", filter=answered & Q(invitations__score__gte=9)),
        low6=Count("invitations", filter=answered & Q(invitations__score__lte=6)),
        high4=Count("invitations", filter=answered & Q(invitations__score__gte=4)),
        average=Avg("invitations__score", filter=answered),
    )


def summary(survey: Any) -> dict[str, Any]:
    """Sent, answered, response rate (%) and score of a survey annotated by :func:`with_counts`."""
    sent, answered = survey.sent, survey.answered
    score: float | None = None
    if answered:
        if survey.kind == "nps":
            score = round((survey.high9 - survey.low6) * 100 / answered, 1)
        elif survey.kind == "csat":
            score = round(survey.high4 * 100 / answered, 1)
        else:
            score = round(survey.average, 2)
    return {
        "sent": sent,
        "answered": answered,
        "rate": round(answered * 100 / sent, 1) if sent else None,
        "score": score,
        "score_text": survey.scale.format(score),
    }


@dataclass
class History:
    """The score per period (week or month) and the answers per group."""

    period: str
    points: list[Point]
    groups: dict[str, int]


def history(survey: Survey) -> History:
    """One survey's score per week or month, and its answers per group."""
    return _history(survey.scale, SurveyInvitation.objects.filter(survey=survey))


def kind_history(kind: str, since: datetime | None = None) -> History:
    """The score of every survey of one kind (``nps``, ``csat``, ``ces``) together, per week or
    month since ``since``: for pages that show NPS or CSAT over time across waves."""
    invitations = SurveyInvitation.objects.filter(survey__kind=kind)
    if since is not None:
        invitations = invitations.filter(answered_at__gte=since)
    return _history(SCALES[kind], invitations)


def _history(scale: Scale, invitations: QuerySet[SurveyInvitation]) -> History:
    rows = invitations.filter(answered_at__isnull=False, score__isnull=False).values_list(
        "answered_at", "score"
    )
    answers = [(when, score) for when, score in rows if when is not None and score is not None]
    if not answers:
        return History("week", [], {})
    days = [when.date() for when, _ in answers]
    period = pick_period(min(days), max(days))
    groups: dict[str, int] = {}
    for _, score in answers:
        group = scale.group(score)
        groups[group] = groups.get(group, 0) + 1
    return History(period, over_time(scale, answers, period), groups)
