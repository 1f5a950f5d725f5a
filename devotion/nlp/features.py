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


# -- word and character n-grams, TF-IDF weighted (the business's own sentiment model) --------

N_WORD_NGRAMS = 2**18
N_CHAR_NGRAMS = 2**18
N_NGRAM_FEATURES = N_WORD_NGRAMS + N_CHAR_NGRAMS


@lru_cache(maxsize=1)
def _ngram_hashers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import HashingVectorizer

    common: dict[str, Any] = {"alternate_sign": False, "norm": None, "lowercase": True}
    words = HashingVectorizer(
        n_features=N_WORD_NGRAMS,
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b|[!?]",  # one-letter words and ! ? count in short texts
        **common,
    )
    chars = HashingVectorizer(
        n_features=N_CHAR_NGRAMS, analyzer="char_wb", ngram_range=(2, 5), **common
    )
    return words, chars


def ngram_counts(texts: Iterable[str]) -> Any:
    """Counts of hashed word 1-2-grams, then of character 2-5-grams inside word boundaries
    (misspellings, "Cancelled Flightled", emoji and elongations still share pieces):
    a sparse matrix of ``N_NGRAM_FEATURES`` columns.

    >>> ngram_counts(["so good!!", "bad"]).shape
    (2, 524288)
    """
    from scipy import sparse

    texts = list(texts)
    words, chars = _ngram_hashers()
    return sparse.hstack([words.transform(texts), chars.transform(texts)]).tocsr()


def idf_of(counts: Any) -> Any:
    """Smoothed inverse document frequency per column, from training texts' counts
    (``log((1 + n) / (1 + df)) + 1``, as scikit-learn's ``TfidfTransformer``)."""
    import numpy as np

    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + counts.shape[0]) / (1 + df)) + 1.0


def tfidf(counts: Any, idf: Any) -> Any:
    """Sublinear TF (1 + log count) times ``idf``, each row scaled to unit length.

    >>> import numpy as np
    >>> x = tfidf(ngram_counts(["good good", "bad"]), np.ones(N_NGRAM_FEATURES))
    >>> [round(float(v), 6) for v in np.sqrt(x.multiply(x).sum(axis=1)).A1]
    [1.0, 1.0]
    """
    import numpy as np
    from scipy import sparse

    x = counts.astype(np.float64, copy=True)
    x.data = 1.0 + np.log(x.data)
    x = x @ sparse.diags(np.asarray(idf, dtype=np.float64))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ x
