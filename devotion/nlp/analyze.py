"""Everything Devotion reads in a text, for a batch of texts at once (no Django).

:func:`analyze` is the one entry point the voice app, the API and a Spark job share: it takes
plain strings (and optional names to look for) and returns plain dataclasses, so the same
batch gives the same results wherever it runs.

>>> [r] = analyze(["I want to speak to a manager, my order is two weeks late!"])
>>> r.language, r.needs_reply, r.reply_reasons, r.topic
('en', True, ['complaint', 'request', 'escalation'], 'late delivery')
>>> [r] = analyze(["Merci beaucoup pour votre aide, la commande est bien arrivée."])
>>> r.language, r.sentiment_label, r.sentiment_score
('fr', None, None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from devotion.nlp import features, language, signals, topics
from devotion.nlp.sentiment import LinearModel, shipped

# Languages the sentiment model, the word lists and the topics are written for. Texts in
# others get their language and reply-needed question marks, nothing that would be a guess.
SUPPORTED_LANGUAGES = frozenset({"en"})


@dataclass(slots=True)
class Analysis:
    """What one text says (see :func:`analyze`)."""

    language: str
    sentiment_label: str | None
    sentiment_score: float | None
    emotions: dict[str, float]
    needs_reply: bool
    reply_reasons: list[str]
    mentions: list[dict[str, Any]] = field(default_factory=list)
    topic: str = ""
    rude: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def analyze(
    texts: Sequence[str],
    *,
    model: LinearModel | None = None,
    staff: Mapping[str, object] | None = None,
    products: Mapping[str, object] | None = None,
    topic_of: Any = None,
    subjects: Sequence[str] | None = None,
) -> list[Analysis]:
    """Analyse a batch of texts, in order.

    ``subjects`` (one per text, "" for none) name the thread each message is in: they help
    find its topic ("Where is my refund") but not its feeling — the customer's "Thank you so
    much!" at the end of that thread is not a complaint.

    ``model`` is the sentiment model (the shipped one by default); ``staff`` and
    ``products`` map names as customers write them to ids, found as mentions;
    ``topic_of`` optionally maps a list of texts to topics (a business's learned topics),
    overriding the listed topics where it answers non-empty.
    """
    model = model or shipped()
    languages = [language.detect(text) for text in texts]
    # Texts in a language the model reads, and texts of emoji alone whose feeling is plain
    # (they keep the language "und": the model reads those emoji as their words).
    supported = [
        i
        for i, lang in enumerate(languages)
        if lang in SUPPORTED_LANGUAGES or (lang == "und" and features.has_feeling_emoji(texts[i]))
    ]
    predicted = dict(zip(supported, model.predict([texts[i] for i in supported]), strict=True))
    about = [
        f"{subject}. {text}" if subject and text else (text or subject)
        for text, subject in zip(texts, subjects or [""] * len(texts), strict=True)
    ]
    learned_topics = list(topic_of([about[i] for i in supported])) if topic_of else []
    learned = dict(zip(supported, learned_topics, strict=False))
    staff_index = signals.NameIndex(staff or {})
    product_index = signals.NameIndex(products or {})
    results: list[Analysis] = []
    zero = dict.fromkeys(signals.lexicons.EMOTION_NAMES, 0.0)
    for i, text in enumerate(texts):
        mentions = [
            {"kind": "staff", "name": name, "id": ref} for name, ref in staff_index.find(text)
        ] + [{"kind": "product", "name": name, "id": ref} for name, ref in product_index.find(text)]
        if i not in predicted:
            question = "?" in text
            results.append(
                Analysis(
                    language=languages[i],
                    sentiment_label=None,
                    sentiment_score=None,
                    emotions=dict(zero),
                    needs_reply=question,
                    reply_reasons=["question"] if question else [],
                    mentions=mentions,
                )
            )
            continue
        sentiment = predicted[i]
        needs, reasons = signals.needs_reply(text, negative=sentiment.label == "negative")
        label, score = sentiment.label, sentiment.score
        # A complaint told in plain words ("my parcel never arrived") reads neutral to a
        # model that learned feelings from words: the complaint phrase makes it negative.
        if label == "neutral" and "complaint" in reasons:
            label, score = "negative", min(score, -0.1)
        results.append(
            Analysis(
                language=languages[i],
                sentiment_label=label,
                sentiment_score=score,
                emotions=signals.emotions(text),
                needs_reply=needs,
                reply_reasons=reasons,
                mentions=mentions,
                topic=learned.get(i) or topics.assign(about[i]),
                rude=signals.rudeness(text),
            )
        )
    return results
