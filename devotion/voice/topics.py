"""Topics and emerging problems over the stored analyses: what the Voice page shows.

Counts come from :class:`TextAnalysis` on its own indexes (``occurred_at``; topic and time):
customers' messages only (our own replies are left out), per week, over the last
:data:`WEEKS` weeks (rolling 7-day spans) ending with the day of the latest message. Each
topic gets its volume, share negative, customers touched and their value, examples, a
weekly series with a trend arrow, and the emerging-problem statistics of
:func:`devotion.nlp.trends.emerging`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, When
from django.utils import timezone

from devotion.nlp import trends
from devotion.nlp.topics import POSITIVE_TOPICS
from devotion.people.models import Person
from devotion.touchpoints.models import Direction
from devotion.voice.models import TextAnalysis

WEEKS = 12
EXAMPLES = 3


@dataclass
class TopicSummary:
    """One topic over the window (see the module docstring)."""

    label: str
    volume: int
    negative: int
    weekly: list[int]
    trend: trends.Trend
    arrow: str
    people: int = 0
    value: Decimal = Decimal(0)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def share_negative(self) -> float:
        return self.negative / self.volume if self.volume else 0.0


def customer_texts() -> QuerySet[TextAnalysis]:
    """Analyses of what customers said (our outbound replies left out)."""
    return TextAnalysis.objects.exclude(direction=Direction.OUTBOUND)


def on_topic(topic: str) -> Q:
    """Analyses shown under ``topic``: corrected to it, or read as it and not corrected."""
    return Q(corrected_topic=topic) | Q(corrected_topic="", topic=topic)


def day_after(when: datetime) -> datetime:
    """Midnight (UTC) after ``when``: the end of the window holding ``when``."""
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1)


def window(weeks: int = WEEKS) -> tuple[datetime, datetime] | None:
    """(start, end) of the last ``weeks`` weeks up to the day of the latest message (None when
    none). Weeks are rolling 7-day spans ending that day, not calendar weeks, so "the latest
    week" is always seven whole days: a problem that started on Thursday is not split in
    two on Monday."""
    latest = (
        customer_texts()
        .filter(occurred_at__lte=timezone.now())
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if latest is None:
        return None
    end = day_after(latest)
    return end - timedelta(days=7 * weeks), end


def _week_index(when: datetime, start: datetime) -> int:
    return int((when - start).total_seconds() // (7 * 86400))


def summaries(weeks: int = WEEKS, *, with_details: bool = True) -> list[TopicSummary]:
    """Every topic of the window, largest first (see the module docstring)."""
    span = window(weeks)
    if span is None:
        return []
    start, end = span
    in_window = customer_texts().filter(occurred_at__gte=start, occurred_at__lt=end)
    # 1. Per topic, per day, how many and how many negative (grouped in the database).
    weekly: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    negative: dict[str, int] = defaultdict(int)
    rows = (
        in_window.exclude(topic="", corrected_topic="")
        .values_list("topic", "corrected_topic", "occurred_at__date")
        .annotate(
            n=Count("pk"),
            neg=Count(
                "pk",
                filter=Q(corrected_sentiment="negative")
                | Q(corrected_sentiment="", sentiment_label="negative"),
            ),
        )
        .order_by()
    )
    for read_as, corrected, day, n, neg in rows:
        topic = corrected or read_as
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        index = min(max(_week_index(moment, start), 0), weeks - 1)
        weekly[topic][index] += n
        negative[topic] += neg
    found = [
        TopicSummary(
            label=topic,
            volume=sum(series),
            negative=negative[topic],
            weekly=series,
            trend=trends.emerging(series),
            arrow=trends.arrow(series),
        )
        for topic, series in weekly.items()
    ]
    found.sort(key=lambda s: (-s.volume, s.label))
    if with_details:
        for summary in found:
            _details(summary, in_window)
    return found


def _details(summary: TopicSummary, in_window: QuerySet[TextAnalysis]) -> None:
    mine = in_window.filter(on_topic(summary.label))
    # Customers touched and what they spent, in one query (people counted once each).
    touched = Person.objects.filter(pk__in=mine.values("touchpoint__person_id")).aggregate(
        n=Count("pk"), value=Sum("total_spent")
    )
    summary.people = touched["n"]
    summary.value = touched["value"] or Decimal(0)
    # Examples that say the topic in their own words: for a problem, negative messages first
    # (a thread about a refund ends with "Thank you so much!", filed under its subject), for
    # praise the positive ones; the latest first, each text once.
    feeling = "negative" if summary.negative * 2 >= summary.volume else "positive"
    reads_so = Case(
        When(
            Q(corrected_sentiment=feeling) | Q(corrected_sentiment="", sentiment_label=feeling),
            then=1,
        ),
        default=0,
        output_field=IntegerField(),
    )
    rows = (
        mine.annotate(reads_so=reads_so)
        .order_by("-reads_so", "-occurred_at")
        .values(
            "touchpoint_id",
            "touchpoint__text",
            "touchpoint__subject",
            "touchpoint__person_id",
            "touchpoint__person__display_name",
            "occurred_at",
            "sentiment_label",
            "corrected_sentiment",
        )[: EXAMPLES * 10]
    )
    seen: set[str] = set()
    summary.examples = []
    for row in rows:
        text = " ".join((row["touchpoint__text"] or "").split()).lower()
        if text in seen:
            continue
        seen.add(text)
        summary.examples.append(dict(row))
        if len(summary.examples) == EXAMPLES:
            break


# A topic is a problem when at least this share of its messages is negative: a rise in
# praise is good news, not an emerging problem.
PROBLEM_SHARE_NEGATIVE = 0.25


def emerging_problems(found: list[TopicSummary]) -> list[TopicSummary]:
    """The problem topics flagged as emerging in their latest week, most unusual first."""
    return sorted(
        (
            s
            for s in found
            if s.trend.flagged
            and s.label not in POSITIVE_TOPICS
            and s.share_negative >= PROBLEM_SHARE_NEGATIVE
        ),
        key=lambda s: s.trend.p_value,
    )


def sentiment_by_week(weeks: int = WEEKS) -> list[dict[str, Any]]:
    """Per week of the window: counts of negative, neutral and positive customer texts."""
    span = window(weeks)
    if span is None:
        return []
    start, end = span
    counts = [dict.fromkeys(("negative", "neutral", "positive"), 0) for _ in range(weeks)]
    rows = (
        customer_texts()
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .exclude(corrected_sentiment="", sentiment_label="")
        .values_list("corrected_sentiment", "sentiment_label", "occurred_at__date")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for corrected, read_as, day, n in rows:
        feeling = corrected or read_as
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        counts[min(max(_week_index(moment, start), 0), weeks - 1)][feeling] += n
    out = []
    for i, c in enumerate(counts):
        total = sum(c.values())
        out.append(
            {
                "week": start + timedelta(days=7 * i),
                "total": total,
                **c,
                **{f"{k}_pct": round(100 * v / total, 1) if total else 0 for k, v in c.items()},
            }
        )
    return out


def messages(
    topic: str = "", *, limit: int = 50, feeling: str = "", **filters: Any
) -> QuerySet[TextAnalysis]:
    """The customer texts behind a number: a topic's (and a feeling's, corrections first, and
    other filters'), newest first."""
    found = customer_texts()
    if topic:
        found = found.filter(on_topic(topic))
    if feeling:
        found = found.filter(
            Q(corrected_sentiment=feeling) | Q(corrected_sentiment="", sentiment_label=feeling)
        )
    return (
        found.filter(**filters)
        .select_related("touchpoint", "touchpoint__person")
        .order_by("-occurred_at")[:limit]
    )


def people_touched(topic: str, *, since: datetime | None = None) -> QuerySet[Person]:
    """The live people whose messages are on ``topic`` (since a time, when given)."""
    found = customer_texts().filter(on_topic(topic))
    if since is not None:
        found = found.filter(occurred_at__gte=since)
    ids = found.values("touchpoint__person_id")
    return Person.objects.live().filter(pk__in=ids).order_by("-total_spent", "pk")


DISCOVER_LIMIT = 2000


def other_themes(weeks: int = WEEKS) -> list[dict[str, Any]]:
    """Themes among the newest customer texts no listed topic caught (not positive, in a
    language the models read), grouped by :func:`devotion.nlp.topics.discover`; cached for
    ten minutes (k-means on up to :data:`DISCOVER_LIMIT` texts takes a second)."""
    from django.core.cache import cache

    from devotion.nlp.topics import discover

    span = window(weeks)
    if span is None:
        return []
    key = f"voice:themes:{span[1].isoformat()}:{TextAnalysis.objects.count()}"
    found: list[dict[str, Any]] | None = cache.get(key)
    if found is not None:
        return found
    rows = list(
        customer_texts()
        .filter(occurred_at__gte=span[0], topic="", corrected_topic="", language="en")
        .exclude(sentiment_label="positive")
        .order_by("-occurred_at")
        .values_list("touchpoint_id", "touchpoint__text", "touchpoint__person_id")[:DISCOVER_LIMIT]
    )
    groups = discover([text for _, text, _ in rows], max_topics=6, min_size=4)
    found = [
        {
            "label": label,
            "volume": len(members),
            "examples": [
                {"touchpoint_id": rows[i][0], "text": rows[i][1], "person_id": rows[i][2]}
                for i in members[:2]
            ],
        }
        for label, members in groups
    ]
    cache.set(key, found, 600)
    return found


def emotions_by_week(weeks: int = WEEKS, *, threshold: float = 0.5) -> list[dict[str, Any]]:
    """Per emotion, the weekly share (%) of customer texts that show it at ``threshold`` or
    more, oldest week first; the emotions seen at all, most frequent first."""
    from devotion.nlp.lexicons import EMOTION_NAMES

    span = window(weeks)
    if span is None:
        return []
    start, end = span
    totals = [0] * weeks
    shown = {name: [0] * weeks for name in EMOTION_NAMES}
    rows = (
        customer_texts()
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .exclude(sentiment_label="")
        .values_list("occurred_at", "emotions")
        .iterator(chunk_size=5000)
    )
    for when, found in rows:
        if when is None:
            continue
        index = min(max(_week_index(when, start), 0), weeks - 1)
        totals[index] += 1
        for name, level in (found or {}).items():
            if name in shown and level >= threshold:
                shown[name][index] += 1
    out: list[dict[str, Any]] = [
        {
            "name": name,
            "count": sum(series),
            "weekly": [
                round(100 * n / t, 1) if t else 0.0 for n, t in zip(series, totals, strict=True)
            ],
        }
        for name, series in shown.items()
        if sum(series)
    ]
    out.sort(key=lambda e: -e["count"])
    return out
