"""The business's own language: corrections and labelled files become models of its own.

**Sentiment.** Every label (a staff correction on the timeline, or a row given to
``devotion learn sentiment``) is a :class:`LabelledText`. :func:`train_sentiment` fits a
model stacked on the shipped one (:func:`devotion.nlp.sentiment.fit`, the mean of
``BUSINESS_SEEDS`` fits) and judges it first:

    Each label is held back once (5-fold cross-validation): a model trained on the other four
    fifths predicts it, and the shipped model predicts it too. The business's model takes
    over only when there are at least ``MIN_LABELS`` labels and its macro-F1 on those
    held-back labels beats the shipped model's by at least ``MIN_GAIN``. Otherwise the
    shipped model (or the business model active before) keeps answering.

``devotion learn status`` (:func:`status`) shows which model answers and both scores.

**Topics.** A topic correction teaches by example: a new message close enough (cosine of
hashed features ≥ ``TOPIC_SIMILARITY``) to the centre of a corrected topic's messages gets
that topic (:func:`learned_topics`), ahead of the listed topics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from devotion.nlp import features, sentiment
from devotion.voice.models import LabelledText, TextAnalysis, TextModel

log = logging.getLogger(__name__)

MIN_LABELS = 50
MIN_GAIN = 0.02
TOPIC_SIMILARITY = 0.35
MIN_TOPIC_EXAMPLES = 2

_loaded: dict[str, sentiment.LinearModel] = {}


def active_sentiment_model() -> sentiment.LinearModel:
    """The business's active sentiment model, else the shipped one (one small query)."""
    version = (
        TextModel.objects.filter(kind=TextModel.Kind.SENTIMENT, active=True)
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        return sentiment.shipped()
    model = _loaded.get(version)
    if model is None:
        weights = TextModel.objects.values_list("weights", flat=True).get(version=version)
        model = sentiment.LinearModel.from_bytes(bytes(weights), base=sentiment.shipped())
        _loaded.clear()
        _loaded[version] = model
    return model


def record_correction(
    analysis: TextAnalysis, *, sentiment_label: str, topic: str, user: Any
) -> None:
    """A staff member's correction of one analysis: shown from now on, and kept as a label."""
    text = (analysis.touchpoint.text or analysis.touchpoint.subject).strip()
    with transaction.atomic():
        analysis.corrected_sentiment = sentiment_label
        analysis.corrected_topic = topic.strip()[:100]
        analysis.corrected_by = user
        analysis.corrected_at = timezone.now()
        analysis.save(
            update_fields=["corrected_sentiment", "corrected_topic", "corrected_by", "corrected_at"]
        )
        for kind, label in (
            (LabelledText.Kind.SENTIMENT, sentiment_label),
            (LabelledText.Kind.TOPIC, analysis.corrected_topic),
        ):
            if label:
                LabelledText.objects.update_or_create(
                    kind=kind,
                    touchpoint=analysis.touchpoint,
                    defaults={
                        "label": label,
                        "text": text,
                        "source": LabelledText.Source.CORRECTION,
                        "created_by": user,
                    },
                )
            else:
                LabelledText.objects.filter(kind=kind, touchpoint=analysis.touchpoint).delete()


def add_labels(rows: Sequence[tuple[str, str]], *, kind: str = "sentiment") -> int:
    """Store (text, label) rows from a file; returns how many were added."""
    LabelledText.objects.bulk_create(
        [
            LabelledText(kind=kind, source=LabelledText.Source.IMPORT, text=t, label=label)
            for t, label in rows
        ],
        batch_size=1000,
    )
    return len(rows)


def sentiment_labels() -> tuple[list[str], list[str]]:
    """Every sentiment label the business gave: (texts, labels)."""
    rows = list(
        LabelledText.objects.filter(kind=LabelledText.Kind.SENTIMENT)
        .order_by("pk")
        .values_list("text", "label")
    )
    return [t for t, _ in rows], [label for _, label in rows]


def train_sentiment() -> TextModel:
    """Train, judge (see the module docstring) and record a business sentiment model; it is
    made active only when it passes the rule."""
    texts, labels = sentiment_labels()
    base = sentiment.shipped()
    version = f"business-{timezone.now():%Y%m%d%H%M%S}-{len(labels)}"
    if len(labels) < MIN_LABELS or len(set(labels)) < 2:
        scores: dict[str, float] = {"n": len(labels)}
        model = None
        decision = (
            f"Not trained: {len(labels)} labels; at least {MIN_LABELS}, of two or more "
            "feelings, are needed."
        )
    else:
        scores = sentiment.cross_validate(texts, labels, base=base)
        model = sentiment.fit(
            texts, labels, version=version, base=base, seeds=sentiment.BUSINESS_SEEDS
        )
        gain = scores["own_macro_f1"] - scores["base_macro_f1"]
        decision = (
            f"Macro-F1 on held-back labels {scores['own_macro_f1']:.3f} against the shipped "
            f"model's {scores['base_macro_f1']:.3f} ({gain:+.3f}; it takes over at "
            f"+{MIN_GAIN:.2f} or more)."
        )
    passed = model is not None and scores["own_macro_f1"] - scores["base_macro_f1"] >= MIN_GAIN
    with transaction.atomic():
        if passed:
            TextModel.objects.filter(kind=TextModel.Kind.SENTIMENT, active=True).update(
                active=False
            )
        record = TextModel.objects.create(
            kind=TextModel.Kind.SENTIMENT,
            version=version,
            weights=model.to_bytes() if model is not None else b"",
            labels=len(labels),
            scores=scores,
            active=passed,
            decision=("Active. " if passed else "Not active. ") + decision,
        )
    return record


def status() -> dict[str, Any]:
    """Which sentiment model answers, the latest trained one and its scores, label counts."""
    active = TextModel.objects.filter(kind=TextModel.Kind.SENTIMENT, active=True).first()
    latest = TextModel.objects.filter(kind=TextModel.Kind.SENTIMENT).order_by("-trained_at").first()
    counts = {
        (kind, source): 0
        for kind in LabelledText.Kind.values
        for source in LabelledText.Source.values
    }
    for kind, source in LabelledText.objects.values_list("kind", "source"):
        counts[(kind, source)] += 1
    return {
        "answering": active.version if active else sentiment.shipped().version,
        "active": active,
        "latest": latest,
        "labels": counts,
        "rule": f"a business model takes over when, on 5-fold held-back labels (at least "
        f"{MIN_LABELS}), its macro-F1 beats the shipped model's by {MIN_GAIN:.2f} or more",
    }


_topic_cache: dict[str, Any] = {}


def learned_topics() -> Callable[[Sequence[str]], list[str]] | None:
    """A function giving each text its learned topic ("" when none is close), or None when
    nobody corrected a topic yet. One small query per call; rebuilt when corrections change."""
    from django.db.models import Count, Max

    stamp = LabelledText.objects.filter(kind=LabelledText.Kind.TOPIC).aggregate(
        n=Count("pk"), last=Max("pk")
    )
    if not stamp["n"]:
        return None
    key = f"{stamp['n']}-{stamp['last']}"
    if _topic_cache.get("key") != key:
        _topic_cache.clear()
        _topic_cache["key"] = key
        _topic_cache["fn"] = _build_topic_model()
    fn: Callable[[Sequence[str]], list[str]] | None = _topic_cache["fn"]
    return fn


def _build_topic_model() -> Callable[[Sequence[str]], list[str]] | None:
    import numpy as np

    rows = list(
        LabelledText.objects.filter(kind=LabelledText.Kind.TOPIC).values_list("text", "label")
    )
    by_topic: dict[str, list[str]] = {}
    for text, label in rows:
        by_topic.setdefault(label, []).append(text)
    topics = [t for t, texts in by_topic.items() if len(texts) >= MIN_TOPIC_EXAMPLES]
    if not topics:
        return None
    centres = []
    for topic in topics:
        centre = np.asarray(features.transform(by_topic[topic]).mean(axis=0)).ravel()
        centres.append(centre / (np.linalg.norm(centre) or 1.0))
    matrix = np.vstack(centres)

    def topic_of(texts: Sequence[str]) -> list[str]:
        if not texts:
            return []
        sims = np.asarray(features.transform(texts) @ matrix.T)
        best = sims.argmax(axis=1)
        return [
            topics[int(b)] if sims[i, b] >= TOPIC_SIMILARITY else "" for i, b in enumerate(best)
        ]

    return topic_of
