"""The Voice page (topics, emerging problems, feeling over time), the messages behind any
number, and staff corrections of a message's feeling or topic."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from devotion.nlp import topics as listed_topics
from devotion.team.permissions import role_required
from devotion.trust.models import AuditEvent
from devotion.voice import learning, topics
from devotion.voice.models import SentimentLabel, TextAnalysis

FEELINGS = ("negative", "neutral", "positive")


def _sparkline(series: list[int], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a weekly series (drawn inline: no chart library needed)."""
    top = max(series) or 1
    step = width / max(len(series) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(series)
    )


@require_GET
@role_required("agent")
def voice(request: HttpRequest) -> HttpResponse:
    """Topics with trends, emerging problems, and feeling week by week."""
    # 1. Every topic of the last weeks, with its details and statistics.
    found = topics.summaries()
    for summary in found:
        summary.points = _sparkline(summary.weekly)  # type: ignore[attr-defined]
        # Rising praise is good news: its arrow is green, a problem's red.
        summary.good_news = summary.label in listed_topics.POSITIVE_TOPICS  # type: ignore[attr-defined]
    # 2. Those rising beyond their normal range.
    emerging = topics.emerging_problems(found)
    # 3. Feeling per week, and our replies read as rude.
    weeks = topics.sentiment_by_week()
    feelings = topics.emotions_by_week()
    for emotion in feelings:
        emotion["points"] = _sparkline([round(v) for v in emotion["weekly"]])
    rude = (
        TextAnalysis.objects.filter(rude=True)
        .select_related("touchpoint", "touchpoint__person", "touchpoint__staff")
        .order_by("-occurred_at")[:5]
    )
    waiting = topics.customer_texts().filter(escalation=True)
    return render(
        request,
        "voice/text/voice.html",
        {
            "topics": found,
            "emerging": emerging,
            "weeks": weeks,
            "feelings": feelings,
            "model": learning.active_sentiment_model().version,
            "rude": list(rude),
            "escalations": list(
                waiting.select_related("touchpoint", "touchpoint__person").order_by("-occurred_at")[
                    :5
                ]
            ),
            "themes": topics.other_themes(),
            "any_texts": TextAnalysis.objects.exists(),
        },
    )


class MessagesFilter(forms.Form):
    topic = forms.CharField(required=False, max_length=100)
    feeling = forms.ChoiceField(required=False, choices=[("", "Any"), *SentimentLabel.choices])
    rude = forms.BooleanField(required=False)
    escalation = forms.BooleanField(required=False)
    week = forms.DateField(required=False)  # the first day of a 7-day span


@require_GET
@role_required("agent")
def voice_messages(request: HttpRequest) -> HttpResponse:
    """The messages and people behind a number on the Voice page."""
    # 1. Read the filters (a bad value shows everything, never an error page).
    form = MessagesFilter(request.GET)
    values = form.cleaned_data if form.is_valid() else {}
    topic = values.get("topic") or ""
    # 2. The messages, newest first, and the people they came from.
    if values.get("rude"):
        found: Any = (
            TextAnalysis.objects.filter(rude=True)
            .select_related("touchpoint", "touchpoint__person", "touchpoint__staff")
            .order_by("-occurred_at")[:100]
        )
    else:
        filters: dict[str, Any] = {}
        feeling = values.get("feeling")
        if values.get("escalation"):
            filters["escalation"] = True
        if values.get("week"):
            first = datetime.combine(values["week"], time.min, tzinfo=UTC)
            filters["occurred_at__gte"] = first
            filters["occurred_at__lt"] = first + timedelta(days=7)
        found = topics.messages(topic, limit=100, feeling=feeling or "", **filters)
    people = list(topics.people_touched(topic)[:50]) if topic else []
    return render(
        request,
        "voice/text/messages.html",
        {"rows": list(found), "topic": topic, "filters": values, "people": people},
    )


class CorrectionForm(forms.Form):
    sentiment = forms.ChoiceField(
        required=False, choices=[("", "As read"), *SentimentLabel.choices]
    )
    topic = forms.CharField(required=False, max_length=100)
    next = forms.CharField(required=False, max_length=500)


@require_POST
@role_required("agent")
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """A staff member corrects one message's feeling and/or topic (kept as a label)."""
    # 1. The analysis being corrected, and what the person chose.
    analysis = get_object_or_404(TextAnalysis.objects.select_related("touchpoint"), pk=pk)
    form = CorrectionForm(request.POST)
    back = reverse("customer", args=[analysis.touchpoint.person_id]) + f"#tp-{pk}"
    next_url = form.data.get("next", "")
    if isinstance(next_url, str) and next_url.startswith("/") and not next_url.startswith("//"):
        back = next_url
    if not form.is_valid():
        flash.error(request, "That correction was not understood: pick a feeling from the list.")
        return HttpResponseRedirect(back)
    # 2. Keep it (shown from now on, learned from at the next training).
    from devotion.voice.learning import record_correction

    before_topic = analysis.shown_topic
    record_correction(
        analysis,
        sentiment_label=form.cleaned_data["sentiment"],
        topic=form.cleaned_data["topic"],
        user=request.user,
    )
    # 3. Audit it (ids only) and go back to where the person was.
    AuditEvent.record(
        "text.correct",
        actor=request.user,
        object_type="touchpoint",
        object_id=pk,
        sentiment=form.cleaned_data["sentiment"],
        topic_changed=analysis.shown_topic != before_topic,
    )
    flash.success(request, "Thanks: the correction is shown now and Devotion will learn from it.")
    return HttpResponseRedirect(back)


class ProblemSegmentForm(forms.Form):
    topic = forms.CharField(max_length=100)


@require_POST
@role_required("manager")
def save_problem_segment(request: HttpRequest) -> HttpResponse:
    """Save the people an emerging problem touched as a live segment: whoever wrote about its
    topic within the Voice page's window (and whoever does from now on)."""
    from devotion.retention.models import Segment

    # 1. The topic, which must have messages; the window the page counted them in.
    form = ProblemSegmentForm(request.POST)
    topic = form.cleaned_data["topic"].strip() if form.is_valid() else ""
    span = topics.window()
    if (
        not topic
        or span is None
        or not topics.customer_texts().filter(topics.on_topic(topic)).exists()
    ):
        flash.error(request, "There is no message on that topic to make a segment of.")
        return HttpResponseRedirect(reverse("voice"))
    days = problem_window_days(span[0])
    # 2. The same segment saved before? Show it rather than make a twin.
    condition = {"field": "wrote_about", "op": "within", "value": {"topic": topic, "days": days}}
    definition = {"conditions": [condition]}
    twin = Segment.objects.filter(definition=definition, builtin="").first()
    if twin is not None:
        flash.info(request, f"This problem's people are already the segment “{twin.name}”.")
        return HttpResponseRedirect(reverse("retention-segment", args=[twin.pk]))
    # 3. Save it under a free name, audited like every segment save (ids and fields only).
    segment = Segment.objects.create(
        name=_free_segment_name(f"Wrote about {topic}, last {days} days"),
        description="Saved from an emerging problem on the Voice page; stays live.",
        definition=definition,
        created_by=cast(Any, request.user),  # role_required: a signed-in User
    )
    AuditEvent.record(
        "segment.created",
        actor=request.user,
        object_type="segment",
        object_id=segment.pk,
        fields=["wrote_about"],
        source="voice",
    )
    flash.success(request, f"Saved the segment “{segment.name}”.")
    return HttpResponseRedirect(reverse("retention-segment", args=[segment.pk]))


def problem_window_days(start: datetime, now: datetime | None = None) -> int:
    """How many days (today, UTC, and those before) reach back to a window starting at
    ``start`` (a UTC midnight): the ``days`` of a ``wrote_about`` segment condition that
    selects the window's people today.

    >>> problem_window_days(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 15, tzinfo=UTC))
    1
    >>> problem_window_days(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 25, 9, tzinfo=UTC))
    84
    """
    today = (now or timezone.now()).astimezone(UTC).date()
    return max((today - start.astimezone(UTC).date()).days + 1, 1)


def _free_segment_name(name: str) -> str:
    """``name``, or ``name (2)``, ``(3)``... when a segment already has it."""
    from devotion.retention.models import Segment

    name = name[:90]
    taken = {
        n.lower()
        for n in Segment.objects.filter(name__istartswith=name).values_list("name", flat=True)
    }
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def topic_choices() -> list[str]:
    """Topics a person can pick when correcting: the listed ones and those staff added."""
    added = (
        TextAnalysis.objects.exclude(corrected_topic="")
        .values_list("corrected_topic", flat=True)
        .distinct()
        .order_by()[:50]
    )
    return sorted(set(listed_topics.LABELS) | set(added))
