"""Output schemas of text analyses shared by the text API and the people API (no imports
from the api app, which imports this module for its touchpoint schema)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema

SentimentName = Literal["negative", "neutral", "positive"]


class SentimentOut(Schema):
    label: SentimentName | None = Field(
        description="None for a language the models are not written for (see `language`)."
    )
    score: float | None = Field(ge=-1, le=1, description="P(positive) - P(negative).")


class AnalysisOut(Schema):
    """A stored analysis of one touchpoint (with any staff correction applied)."""

    language: str
    sentiment: SentimentOut
    emotions: dict[str, float]
    needs_reply: bool
    reply_reasons: list[str]
    mentions: list[dict[str, Any]]
    topic: str
    rude: bool
    corrected: bool = Field(description="Whether staff corrected the sentiment or topic.")
    model: str
