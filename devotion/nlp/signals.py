"""Rules over word lists (our own, :mod:`devotion.nlp.lexicons`): emotions, whether a
message needs a reply and why, rudeness in our replies, mentions of staff and products.

>>> needs_reply("I want to speak to a manager.")
(True, ['complaint', 'request', 'escalation'])
>>> needs_reply("Thanks, all sorted!")
(False, [])
>>> rudeness("As I already told you, read the manual.")
['as i already told you', 'read the manual']
>>> emotions("I am furious, this is unacceptable!")["anger"]
1.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from devotion.nlp import lexicons
from devotion.nlp.features import plain_words, tokens

REASONS: tuple[str, ...] = ("question", "complaint", "request", "escalation")


def _phrase_pattern(entries: Sequence[str]) -> re.Pattern[str]:
    parts = sorted(
        (re.escape(e).replace(r"\*", r"\w*").replace(r"\ ", r"\s+") for e in entries),
        key=len,
        reverse=True,
    )
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])", re.IGNORECASE)


_ESCALATION = _phrase_pattern(lexicons.phrases(lexicons.ESCALATION))
_REQUEST = _phrase_pattern(lexicons.phrases(lexicons.REQUEST_PHRASES))
_COMPLAINT = _phrase_pattern(lexicons.phrases(lexicons.COMPLAINT_PHRASES))
_RUDE_PHRASES = _phrase_pattern(lexicons.phrases(lexicons.RUDE_PHRASES))
_RUDE_WORDS = _phrase_pattern(lexicons.words(lexicons.RUDE_WORDS))
_QUESTION_START = re.compile(
    r"(?:^|[.!?]\s+)(?:" + "|".join(lexicons.words(lexicons.QUESTION_STARTS)) + r")\b[^.!]*$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")

# Emotion words: single tokens through WordSet; multi-word entries by pattern.
_EMOTION_WORDS = {
    name: {entry: weight for entry, weight in table.items() if " " not in entry}
    for name, table in lexicons.EMOTIONS.items()
}
_EMOTION_PHRASES = {
    name: [(_phrase_pattern([entry]), weight) for entry, weight in table.items() if " " in entry]
    for name, table in lexicons.EMOTIONS.items()
}
_INTENSIFIERS = frozenset(
    ["very", "so", "really", "extremely", "absolutely", "totally", "completely", "truly"]
)


@lru_cache(maxsize=1)
def _emotion_lookup() -> tuple[dict[str, list[tuple[str, float]]], list[tuple[str, str, float]]]:
    exact: dict[str, list[tuple[str, float]]] = {}
    prefixes: list[tuple[str, str, float]] = []
    for name, table in _EMOTION_WORDS.items():
        for entry, weight in table.items():
            if entry.endswith("*"):
                prefixes.append((entry[:-1], name, weight))
            else:
                exact.setdefault(entry, []).append((name, weight))
    return exact, prefixes


@lru_cache(maxsize=100_000)
def _emotion_hits(word: str) -> tuple[tuple[str, float], ...]:
    """The (emotion, weight) pairs one token carries (none when negated); words repeat a
    lot, so each is looked up once."""
    if word.startswith("NOT_"):
        return ()
    exact, prefixes = _emotion_lookup()
    hits = list(exact.get(word, ()))
    hits += [(name, weight) for prefix, name, weight in prefixes if word.startswith(prefix)]
    return tuple(hits)


def emotions(text: str) -> dict[str, float]:
    """Each emotion's intensity in ``text``, 0..1 (0 when absent), for every name in
    :data:`lexicons.EMOTION_NAMES`. A negated word counts for nothing; "very", "so"… before a
    word and "!" in the text strengthen it; several words of one emotion add up, capped at 1.

    >>> e = emotions("Really happy with it, thank you!")
    >>> e["joy"] > e["trust"] > 0, e["anger"]
    (True, 0.0)
    """
    found = dict.fromkeys(lexicons.EMOTION_NAMES, 0.0)
    words = tokens(text)
    boost = 1.2 if "!" in words else 1.0
    for i, word in enumerate(words):
        hits = _emotion_hits(word)
        if not hits:
            continue
        strength = 1.3 if i and words[i - 1] in _INTENSIFIERS else 1.0
        for name, weight in hits:
            found[name] += weight * strength * boost
    for name, patterns in _EMOTION_PHRASES.items():
        for pattern, weight in patterns:
            if pattern.search(text):
                found[name] += weight * boost
    return {name: round(min(value, 1.0), 2) for name, value in found.items()}


def needs_reply(text: str, *, negative: bool = False) -> tuple[bool, list[str]]:
    """Whether a customer's message needs a reply, and why (in :data:`REASONS` order).

    A question (a question mark, or a sentence opening like one: "where is…", "can you…"), a
    complaint (a complaint phrase, or any text the sentiment model calls ``negative``), a
    request ("please", "I want…", "send me…"), an escalation ("speak to a manager").
    """
    reasons: list[str] = []
    stripped = text.strip()
    sentences = [s for s in _SPLIT.split(stripped) if s]
    if "?" in stripped or any(_QUESTION_START.search(s) for s in sentences):
        reasons.append("question")
    escalation = bool(_ESCALATION.search(stripped))
    # Asking for a manager is both a complaint and a request, whatever the words.
    # "Can't complain" and "no complaints" are praise: read as the word they mean first.
    if negative or escalation or _COMPLAINT.search(plain_words(stripped)):
        reasons.append("complaint")
    if escalation or _REQUEST.search(stripped):
        reasons.append("request")
    if escalation:
        reasons.append("escalation")
    return bool(reasons), reasons


def rudeness(text: str) -> list[str]:
    """The rude phrases and words in one of our own replies (empty when polite), lower-cased.

    >>> rudeness("Thank you for your patience, we have sent a new one.")
    []
    """
    found = [m.group().lower() for m in _RUDE_PHRASES.finditer(text)]
    found += [m.group().lower() for m in _RUDE_WORDS.finditer(text)]
    return list(dict.fromkeys(" ".join(f.split()) for f in found))


class NameIndex:
    """Finds names (staff, products, people) in texts: whole words, case-insensitive.

    ``names`` maps a name as people write it ("Maria", "Linen Shirt") to what it stands for
    (an id). Names shorter than 3 letters are ignored (too many false hits).

    >>> index = NameIndex({"Maria": 7, "Linen Shirt": "sku-1"})
    >>> index.find("maria was lovely, the linen shirt fits")
    [('Maria', 7), ('Linen Shirt', 'sku-1')]
    """

    def __init__(self, names: Mapping[str, object]) -> None:
        usable = {name.strip(): ref for name, ref in names.items() if len(name.strip()) >= 3}
        self._refs = {name.lower(): (name, ref) for name, ref in usable.items()}
        self._pattern = _phrase_pattern(list(usable)) if usable else None

    def find(self, text: str) -> list[tuple[str, object]]:
        if self._pattern is None:
            return []
        seen: dict[str, tuple[str, object]] = {}
        for match in self._pattern.finditer(text):
            key = " ".join(match.group().lower().split())
            if key in self._refs and key not in seen:
                seen[key] = self._refs[key]
        return list(seen.values())
