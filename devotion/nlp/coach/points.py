"""What the customer raised and how they feel: the message's sentences, the points in them
(questions, complaints, requests), whether a draft answers each, whether they are upset."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from devotion.nlp.coach.words import (
    ANGER,
    COMPLAINT_WORDS,
    CONCEPT_CUES,
    DEFLECT,
    PLEASANTRY,
    POLICY,
    POLITE_ASK,
    QUESTION_START,
    REMEDIES,
    REQUEST,
    STOP,
    STRONG,
)

# ------------------------------------------------------------------------------------ shapes


@dataclass
class Point:
    """Something the customer raised: a question, a complaint or a request."""

    text: str
    kind: str  # question | complaint | request
    answered: bool = False
    answered_by: str = ""  # the draft sentence that answers it


@dataclass
class Rewrite:
    """A company-centred sentence of the draft and how to say it in "we/you" terms."""

    sentence: str
    suggestion: str
    reason: str


@dataclass
class Context:
    """What we know of the customer, for personal touches (all optional)."""

    name: str = ""
    orders: Sequence[str] = ()  # order numbers, most recent first
    facts: Mapping[str, str] = field(default_factory=dict)  # e.g. {"dog's name": "Biscuit"}
    order_count: int = 0
    customer_since: str = ""  # a year or date, as people read it


@dataclass
class Review:
    """The coach's findings on one draft."""

    points: list[Point]
    misses_points: bool
    customer_upset: bool
    acknowledges_feeling: bool | None  # None when the customer is not upset
    next_step: bool
    next_step_text: str
    company_centred: bool
    rewrites: list[Rewrite]
    personalisation: list[str]
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def missed(self) -> list[Point]:
        return [p for p in self.points if not p.answered]


# ---------------------------------------------------------------------------------- sentences


def sentences(text: str) -> list[str]:
    """Split text into sentences (on . ! ? and line breaks), keeping the end marks.

    >>> sentences("Hi there. Where is it?! I paid.\\nThanks")
    ['Hi there.', 'Where is it?!', 'I paid.', 'Thanks']
    """
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p and p.strip() and re.search(r"\w", p)]


def _stem(word: str) -> str:
    word = word.lower().strip("'")
    for suffix in ("ies", "ing", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def _keys(text: str) -> frozenset[str]:
    """Subjects of a text: its concepts and the stems of its content words."""
    lower = text.lower()
    found = {f"#{concept}" for concept, cue in CONCEPT_CUES.items() if cue.search(lower)}
    for word in re.findall(r"[a-z0-9][a-z0-9']+", lower):
        plain = word.replace("'", "")
        if plain not in STOP and len(plain) > 2:
            found.add(_stem(plain))
    return frozenset(found)


# ---------------------------------------------------------------------------------- judging


def raised_points(message: str) -> list[Point]:
    """The questions, complaints and requests in a customer's message, one per sentence.

    >>> message = "Hello. The mug was cracked! When will a new one come?"
    >>> [(p.kind, p.text) for p in raised_points(message)]
    [('complaint', 'The mug was cracked!'), ('question', 'When will a new one come?')]
    """
    points = []
    for sentence in sentences(message):
        bare = sentence.strip(" -*•")
        if PLEASANTRY.match(bare) or len(_keys(bare)) == 0:
            continue
        if POLITE_ASK.match(bare):
            kind = "request"  # "Can you send a new one?" asks us to act
        elif bare.rstrip().endswith("?") or (QUESTION_START.match(bare) and "?" in bare):
            kind = "question"
        elif REQUEST.search(bare):
            kind = "request"
        elif COMPLAINT_WORDS.search(bare):
            kind = "complaint"
        else:
            continue
        points.append(Point(text=bare, kind=kind))
    return points


def answers(point: Point, draft_sentences: list[str]) -> str:
    """The draft sentence that speaks to ``point`` ('' if none): a shared concept, or two
    shared content words (one when the point has few)."""
    wanted = _keys(point.text)
    concepts = {k for k in wanted if k.startswith("#")}
    words = wanted - concepts
    if point.kind in ("complaint", "request"):
        concepts |= {f"#{r}" for c in concepts for r in REMEDIES.get(c[1:], ())}
    best, best_score = "", 0.0
    for sentence in draft_sentences:
        if DEFLECT.search(sentence) or POLICY.search(sentence):
            continue
        have = _keys(sentence)
        if point.kind == "complaint" and concepts and not concepts & have:
            continue  # a complaint about delivery is not answered by praise of the coffee
        score = 2.0 * len(concepts & have) + len(words & have)
        if score > best_score:
            best, best_score = sentence, score
    needed = 2.0 if len(words) >= 3 or concepts else 1.0
    return best if best_score >= needed else ""


def is_outburst(text: str) -> bool:
    """A complaint that is all feeling and no subject ("Not happy.", "This is unacceptable.")."""
    keys = _keys(text)
    return not any(k.startswith("#") for k in keys) and len(keys) <= 2


def is_upset(message: str, points: Iterable[Point] = ()) -> bool:
    """A complaint about something we got wrong, angry words, or shouting (!! or CAPITALS).

    A mild problem ("the code doesn't work", "it's too big") is a complaint, not upset."""
    if ANGER.search(message):
        return True
    if any(p.kind == "complaint" and STRONG.search(p.text) for p in points):
        return True
    if "!!" in message:
        return True
    shouted = [w for w in re.findall(r"\b[A-Z]{4,}\b", message) if w not in {"ASAP", "HTTP"}]
    return len(shouted) >= 2
