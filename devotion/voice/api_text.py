"""``POST /api/v1/text/analyze``: Devotion's text understanding for other systems.

Up to 1,000 texts a call (scope ``text:analyze``), answered in input order with the model that
answered: the business's own sentiment model when one is active, else the shipped one. The
same output shape (:class:`AnalysisOut`) appears on each touchpoint in the people API.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from devotion.api.auth import ApiKeyAuth
from devotion.api.schemas import ErrorOut
from devotion.nlp.lexicons import EMOTION_NAMES
from devotion.nlp.sentiment import shipped
from devotion.voice.analysis import analyse_texts
from devotion.voice.schemas_text import SentimentOut

router = Router(tags=["text"], auth=ApiKeyAuth("text:analyze"))

MAX_TEXTS = 1000
MAX_TEXT_LENGTH = 20_000

ReasonName = Literal["question", "complaint", "request", "escalation"]


Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class TextsIn(Schema):
    texts: list[Text] = Field(
        min_length=1,
        max_length=MAX_TEXTS,
        description=f"1 to {MAX_TEXTS} texts, each up to {MAX_TEXT_LENGTH:,} characters.",
    )


class EmotionsOut(Schema):
    anger: float = Field(ge=0, le=1)
    fear: float = Field(ge=0, le=1)
    sadness: float = Field(ge=0, le=1)
    joy: float = Field(ge=0, le=1)
    trust: float = Field(ge=0, le=1)
    surprise: float = Field(ge=0, le=1)
    disgust: float = Field(ge=0, le=1)
    anticipation: float = Field(ge=0, le=1)


class MentionOut(Schema):
    kind: Literal["staff", "product"]
    name: str
    id: int | str = Field(description="A staff member's id, or a product's id.")


class TextResultOut(Schema):
    language: str = Field(description="ISO 639-1 code; 'und' when the text has no letters.")
    sentiment: SentimentOut
    emotions: EmotionsOut
    needs_reply: bool
    reply_reasons: list[ReasonName]
    mentions: list[MentionOut]
    topic: str = Field(description="A readable topic ('late delivery'), or '' when none.")
    rude: list[str] = Field(
        description="Rude phrases found, as if the text were one of our replies ([] when none)."
    )


class ModelOut(Schema):
    version: str
    kind: Literal["shipped", "business"]


class AnalyzeOut(Schema):
    results: list[TextResultOut]
    model: ModelOut


_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut}

assert set(EMOTION_NAMES) == set(EmotionsOut.model_fields), "EmotionsOut lists every emotion"


@router.post(
    "/text/analyze",
    response={200: AnalyzeOut, **_ERRORS},
    summary="Understand texts",
    description="Language, sentiment, emotions, whether each text needs a reply and why, the "
    "staff and products it mentions, its topic and any rude phrases, in input order.",
)
def analyze_texts(request: HttpRequest, body: TextsIn) -> dict[str, Any]:
    # 1. Analyse with whichever model is active (the schema bounds the work).
    results, version = analyse_texts(body.texts)
    # 2. Answer in input order.
    return {
        "results": [
            {
                "language": r.language,
                "sentiment": {"label": r.sentiment_label, "score": r.sentiment_score},
                "emotions": r.emotions,
                "needs_reply": r.needs_reply,
                "reply_reasons": r.reply_reasons,
                "mentions": r.mentions,
                "topic": r.topic,
                "rude": r.rude,
            }
            for r in results
        ],
        "model": {
            "version": version,
            "kind": "shipped" if version == shipped().version else "business",
        },
    }


def stored_analysis(row: dict[str, Any]) -> dict[str, Any] | None:
    """The people API's ``analysis`` of a touchpoint row read with :data:`ANALYSIS_FIELDS`."""
    if row.get("analysis__model_version") is None:
        return None
    label = row["analysis__corrected_sentiment"] or row["analysis__sentiment_label"] or None
    return {
        "language": row["analysis__language"],
        "sentiment": {"label": label, "score": row["analysis__sentiment"]},
        "emotions": row["analysis__emotions"] or {},
        "needs_reply": row["analysis__needs_reply"],
        "reply_reasons": row["analysis__reply_reasons"] or [],
        "mentions": row["analysis__mentions"] or [],
        "topic": row["analysis__corrected_topic"] or row["analysis__topic"],
        "rude": row["analysis__rude"],
        "corrected": bool(row["analysis__corrected_sentiment"] or row["analysis__corrected_topic"]),
        "model": row["analysis__model_version"],
    }


ANALYSIS_FIELDS = (
    "analysis__language",
    "analysis__sentiment_label",
    "analysis__sentiment",
    "analysis__emotions",
    "analysis__needs_reply",
    "analysis__reply_reasons",
    "analysis__mentions",
    "analysis__topic",
    "analysis__rude",
    "analysis__corrected_sentiment",
    "analysis__corrected_topic",
    "analysis__model_version",
)
