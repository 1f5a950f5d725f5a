"""``/api/v1/surveys``: the surveys, their scores over time, and their answers.

Scope ``surveys:read``. Answers name the person by id only: their profile is the people API's
(scope ``people:read``). Lists page with cursors, never ``OFFSET``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from devotion.api.auth import ApiKeyAuth
from devotion.api.errors import ApiError
from devotion.api.schemas import ErrorOut
from devotion.lib.paging import Cursor
from devotion.voice.surveys.models import Survey, SurveyInvitation
from devotion.voice.surveys.stats import history, summary, with_counts

router = Router(tags=["surveys"], auth=ApiKeyAuth("surveys:read"))

_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
SurveyKind = Literal["nps", "csat", "ces"]


class TargetOut(Schema):
    touchpoint_kind: str = Field(description="Touchpoint kind the target asks for; 'any' for all.")
    days: int = Field(description="The window: a touchpoint in the last this many days.")
    segment_id: int | None = Field(description="The saved segment targeted instead, if any.")
    label: str


class SurveyOut(Schema):
    id: int
    name: str
    kind: SurveyKind
    status: Literal["draft", "sending", "sent", "failed"]
    sender: str
    question: str
    follow_up: str
    thank_you: str
    scale_low: int = Field(description="Lowest answer (0 for NPS, 1 otherwise).")
    scale_high: int = Field(description="Highest answer (10 NPS, 5 CSAT, 7 CES).")
    target: TargetOut
    created_at: datetime
    sent_at: datetime | None
    asked: int = Field(description="People the e-mail reached.")
    answered: int
    response_rate: float | None = Field(description="Answered / asked, in %; null before sending.")
    score: float | None = Field(
        description="NPS: % promoters (9-10) minus % detractors (0-6), -100..100; CSAT: % of "
        "4-5 answers; CES: average answer (1-7). Null without answers."
    )


class SurveyListOut(Schema):
    items: list[SurveyOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: last.")


class SurveyPointOut(Schema):
    period_start: date
    score: float
    count: int = Field(description="Answers behind this point.")


class SurveyDetailOut(SurveyOut):
    period: Literal["week", "month"]
    over_time: list[SurveyPointOut]
    groups: dict[str, int] = Field(
        description="Answers per group: promoter/passive/detractor (NPS), satisfied/neutral/"
        "unsatisfied (CSAT), easy/neutral/hard (CES)."
    )


class SurveyAnalysisOut(Schema):
    sentiment: float | None = Field(description="-1 (negative) to 1 (positive).")
    topic: str
    emotions: dict[str, float]
    model_version: str


class ResponseOut(Schema):
    id: int = Field(description="The invitation's id.")
    person_id: int
    score: int
    group: str
    comment: str
    answered_at: datetime
    times_answered: int = Field(description="How often the person answered (the last counts).")
    touchpoint_id: int | None = Field(description="The survey_answer touchpoint on the timeline.")
    analysis: SurveyAnalysisOut | None = Field(
        description="The text analysis of the comment, if any."
    )


class ResponseListOut(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


class SurveyListQuery(Schema):
    kind: SurveyKind | None = Field(None, description="Only surveys of this kind.")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, description="next_cursor of the previous page.")


class ResponseListQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, description="next_cursor of the previous page.")


def _survey_dict(survey: Any) -> dict[str, Any]:
    stats = summary(survey)
    return {
        "id": survey.pk,
        "name": survey.name,
        "kind": survey.kind,
        "status": survey.status,
        "sender": survey.sender,
        "question": survey.question,
        "follow_up": survey.follow_up,
        "thank_you": survey.thank_you,
        "scale_low": survey.scale.low,
        "scale_high": survey.scale.high,
        "target": {
            "touchpoint_kind": survey.target_kind,
            "days": survey.target_days,
            "segment_id": survey.target_segment_id,
            "label": survey.target_label,
        },
        "created_at": survey.created_at,
        "sent_at": survey.sent_at,
        "asked": stats["sent"],
        "answered": stats["answered"],
        "response_rate": stats["rate"],
        "score": stats["score"],
    }


def _id_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.")
    return int(cursor)


def _survey(survey_id: int) -> Any:
    survey = with_counts(Survey.objects.all()).filter(pk=survey_id).first()
    if survey is None:
        raise ApiError(404, "survey_not_found", f"There is no survey {survey_id}.")
    return survey


@router.get(
    "/surveys",
    response={200: SurveyListOut, **_ERRORS},
    summary="List surveys",
    description="Newest first, with the number asked, answers, response rate and score.",
)
def list_surveys(request: HttpRequest, filters: Query[SurveyListQuery]) -> dict[str, Any]:
    surveys = Survey.objects.order_by("-id")
    if filters.kind:
        surveys = surveys.filter(kind=filters.kind)
    before = _id_cursor(filters.cursor)
    if before is not None:
        surveys = surveys.filter(pk__lt=before)
    rows = list(with_counts(surveys)[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [_survey_dict(s) for s in rows],
        "next_cursor": str(rows[-1].pk) if more else None,
    }


@router.get(
    "/surveys/{survey_id}",
    response={200: SurveyDetailOut, **_ERRORS},
    summary="One survey",
    description="The survey with its score per week (up to four months of answers) or month, "
    "and the number of answers behind each point.",
)
def get_survey(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = _survey(survey_id)
    past = history(survey)
    return {
        **_survey_dict(survey),
        "period": past.period,
        "over_time": [
            {"period_start": p.start, "score": p.score, "count": p.count} for p in past.points
        ],
        "groups": past.groups,
    }


def _analysis(invitation: SurveyInvitation) -> dict[str, Any] | None:
    touchpoint = invitation.touchpoint
    analysis = getattr(touchpoint, "analysis", None) if touchpoint is not None else None
    if analysis is None:
        return None
    emotions = analysis.emotions if isinstance(analysis.emotions, dict) else {}
    return {
        "sentiment": analysis.sentiment,
        "topic": analysis.topic,
        "emotions": {
            str(k): float(v)
            for k, v in emotions.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        },
        "model_version": analysis.model_version,
    }


@router.get(
    "/surveys/{survey_id}/responses",
    response={200: ResponseListOut, **_ERRORS},
    summary="A survey's answers",
    description="Newest answer first. A person who answered twice appears once, with their "
    "latest answer.",
)
def list_responses(
    request: HttpRequest, survey_id: int, filters: Query[ResponseListQuery]
) -> dict[str, Any]:
    survey = _survey(survey_id)
    answers = (
        SurveyInvitation.objects.filter(survey=survey, answered_at__isnull=False)
        .select_related("touchpoint__analysis")
        .order_by("-answered_at", "-id")
    )
    if filters.cursor is not None:
        cursor = Cursor.decode(filters.cursor)
        if cursor is None or not cursor.older:
            raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.")
        answers = answers.filter(cursor.condition("answered_at"))
    rows = list(answers[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    items = [
        {
            "id": inv.pk,
            "person_id": inv.person_id,
            "score": inv.score,
            "group": survey.scale.group(inv.score) if inv.score is not None else "",
            "comment": inv.comment,
            "answered_at": inv.answered_at,
            "times_answered": inv.times_answered,
            "touchpoint_id": inv.touchpoint_id,
            "analysis": _analysis(inv),
        }
        for inv in rows
    ]
    last = rows[-1] if rows else None
    next_cursor = (
        Cursor(True, last.answered_at, last.pk).encode()
        if more and last is not None and last.answered_at is not None
        else None
    )
    return {"items": items, "next_cursor": next_cursor}


__all__ = ["router"]
