"""Template tags of the voice app for pages that show analyses (the customer timeline)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join

from devotion.nlp.topics import LABELS

register = template.Library()

FEELING_MESSAGES = 12


@register.simple_tag
def voice_topic_options() -> str:
    """The ``<datalist>`` of topics the correction forms offer (no query: the listed ones;
    a person may type a new one)."""
    return format_html(
        '<datalist id="voice-topics">{}</datalist>',
        format_html_join("", '<option value="{}">', ((label,) for label in LABELS)),
    )


@register.inclusion_tag("voice/text/person_feeling.html")
def person_feeling(person: Any) -> dict[str, Any]:
    """How a person's feeling went over their last messages (oldest to newest): a line of
    scores, the latest feeling and whether it is getting better or worse. One query."""
    from devotion.voice.models import TextAnalysis

    rows = list(
        TextAnalysis.objects.filter(touchpoint__person=person, sentiment__isnull=False)
        .exclude(direction="out")
        .order_by("-occurred_at")
        .values_list("sentiment", "sentiment_label", "corrected_sentiment")[:FEELING_MESSAGES]
    )
    rows.reverse()
    if not rows:
        return {"points": "", "count": 0}
    scores = [float(score or 0) for score, _, _ in rows]
    half = max(len(scores) // 2, 1)
    change = sum(scores[-half:]) / half - sum(scores[:half]) / half
    step = 120 / max(len(scores) - 1, 1)
    points = " ".join(f"{i * step:.1f},{14 - s * 12:.1f}" for i, s in enumerate(scores))
    latest = rows[-1][2] or rows[-1][1]
    trend = "better" if change > 0.25 else "worse" if change < -0.25 else "steady"
    return {"points": points, "count": len(rows), "latest": latest, "trend": trend}
