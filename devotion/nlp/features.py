"""Turning texts into the hashed features the linear models read (no Django).

Features are hashed (scikit-learn's ``HashingVectorizer``, MurmurHash3), so a model is only a
weight matrix: nothing about the vocabulary needs storing, a new business's words need no
refit of a vocabulary, and the same text always gives the same features on every machine.

Tokens are lower-cased words; ``@handles`` and links become placeholders; a word after a
negation ("not", "never", "n't"…) up to the next punctuation gets a ``NOT_`` prefix, so
"not happy" and "happy" are different features. Emoji whose feeling is plain are read as the
word they stand for, and a few mild set phrases as the word they mean
(:data:`devotion.nlp.lexicons.EMOJI_WORDS`, :data:`~devotion.nlp.lexicons.MILD_PHRASES`).

>>> tokens("I'm NOT happy with @acme: https://x.io/1 !!")
["i'm", 'not', 'NOT_happy', 'NOT_with', 'NOT_@user', ':', 'url', '!', '!']
>>> tokens("Fine, nothing special 😍")
['fine', ',', 'ok', 'love']
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from devotion.nlp import lexicons

N_FEATURES = 2**18

_TOKEN = re.compile(
    r"https?://\S+|www\.\S+|@\w+|#\w+|[a-zà-ÿ]+(?:'[a-z]+)?|n't|'[a-z]+|\d+|[!?]|[.,;:]",
    re.IGNORECASE,
)
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nowhere",
        "neither",
        "nor",
        "cannot",
        "can't",
        "won't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "hasn't",
        "haven't",
        "hadn't",
        "shouldn't",
        "wouldn't",
        "couldn't",
        "n't",
        "without",
    ]
)
_STOPS_NEGATION = frozenset(".,;:!?")


_EMOJI = re.compile("|".join(re.escape(e) for e in sorted(lexicons.EMOJI_WORDS, key=len)[::-1]))
_MILD = re.compile(
    r"\b(?:"
    + "|".join(re.escape(p) for p in sorted(lexicons.MILD_PHRASES, key=len)[::-1])
    + r")\b",
    re.IGNORECASE,
)


def has_feeling_emoji(text: str) -> bool:
    """Whether ``text`` holds an emoji with a plain feeling (a reply of "😍" or "👎" says
    as much as a word, though it has no language).

    >>> has_feeling_emoji("😍😍"), has_feeling_emoji("☕"), has_feeling_emoji("ok")
    (True, False, False)
    """
    return not text.isascii() and _EMOJI.search(text) is not None


def plain_words(text: str) -> str:
    """``text`` with plain-feeling emoji and mild set phrases replaced by their word (and a
    typographic apostrophe, U+2019, as a plain one)."""
    if not text.isascii():
        text = text.replace("\u2019", "'")
        text = _EMOJI.sub(lambda m: f" {lexicons.EMOJI_WORDS[m.group()]} ", text)
    return _MILD.sub(lambda m: lexicons.MILD_PHRASES[m.group().lower()], text)


def tokens(text: str) -> list[str]:
    """The word tokens of ``text`` with negation marking (see the module docstring)."""
    out: list[str] = []
    negated = False
    for match in _TOKEN.finditer(plain_words(text)):
        token = match.group().lower()
        if token.startswith(("http://", "https://", "www.")):
            token = "url"
        elif token.startswith("@"):
            token = "@user"
        elif token.startswith("#"):
            token = token[1:]
        if token in _STOPS_NEGATION:
            negated = False
            out.append(token)
            continue
        # "didn't" arrives as one token: it negates like "not".
        if token in _NEGATIONS or token.endswith("n't"):
            out.append(token)
            negated = True
            continue
        out.append("NOT_" + token if negated else token)
    return out


class WordSet:
    """A word list with ``*`` endings, for fast membership of single tokens.

    >>> ws = WordSet(["thank*", "great"])
    >>> "thanks" in ws, "great" in ws, "greatly" in ws
    (True, True, False)
    """

    def __init__(self, entries: Iterable[str]) -> None:
        entries = list(entries)
        self.exact = frozenset(e for e in entries if not e.endswith("*"))
        self.prefixes = tuple(e[:-1] for e in entries if e.endswith("*"))

    def __contains__(self, token: object) -> bool:
        if not isinstance(token, str):
            return False
        return token in self.exact or (bool(self.prefixes) and token.startswith(self.prefixes))


_POSITIVE = WordSet(lexicons.words(lexicons.POSITIVE))
_NEGATIVE = WordSet(lexicons.words(lexicons.NEGATIVE))


def lexicon_features(words: list[str]) -> list[str]:
    """One ``LEX_POS`` / ``LEX_NEG`` feature per word of our sentiment lists (a negated
    positive word counts as negative, a negated negative one as neither).

    >>> lexicon_features(["thanks", "NOT_happy", "NOT_bad", "delayed"])
    ['LEX_POS', 'LEX_NEG', 'LEX_NEG']
    """
    out: list[str] = []
    for word in words:
        negated = word.startswith("NOT_")
        bare = word[4:] if negated else word
        if bare in _POSITIVE:
            out.append("LEX_NEG" if negated else "LEX_POS")
        elif bare in _NEGATIVE and not negated:
            out.append("LEX_NEG")
    return out


def analyzer(text: str) -> list[str]:
    """Unigrams, bigrams and lexicon hits of :func:`tokens` (what the sentiment model reads).

    >>> analyzer("not good")
    ['not', 'NOT_good', 'not NOT_good', 'LEX_NEG']
    """
    words = tokens(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)] + lexicon_features(words)


@lru_cache(maxsize=1)
def vectorizer() -> Any:
    """The shared hashing vectorizer (scikit-learn is imported on first use only)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer=analyzer,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm="l2",
    )


def transform(texts: Iterable[str]) -> Any:
    """A sparse (n_texts x N_FEATURES) matrix of hashed, L2-normalised features."""
    return vectorizer().transform(list(texts))
