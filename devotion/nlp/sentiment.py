"""Sentiment (negative / neutral / positive, with a score) from a linear model on hashed
features (no Django).

A :class:`LinearModel` is only its weights: ``classes``, ``coef`` (classes x features) and
``intercept``, saved as a NumPy ``.npz`` (never a pickle, so loading a model file runs no
code). The shipped model is ``data/sentiment.npz``, built by ``tools/train_sentiment.py``
from permissively licensed texts (see :mod:`devotion.nlp.corpus`). A business's own model
(:func:`fit_business`) is stacked on the shipped one: it reads the same features plus the
shipped model's log-probabilities, so a few hundred labels already move it.

>>> model = shipped()
>>> [p.label for p in model.predict(["Thank you so much, great service!",
...                                   "My order never arrived and nobody answers."])]
['positive', 'negative']
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from devotion.nlp import features

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
SHIPPED_PATH = Path(__file__).parent / "data" / "sentiment.npz"
# How strongly the shipped model's log-probabilities speak in a stacked business model,
# against hashed features that are L2-normalised (each about 1 / sqrt(n_tokens)).
STACK_SCALE = 0.5
# A business model is the average of this many SGD fits that differ only in the order they
# read the labels (see :func:`fit`).
BUSINESS_SEEDS = 5


@dataclass(frozen=True, slots=True)
class Sentiment:
    """One text's sentiment: ``label`` and ``score`` (P(positive) - P(negative), -1..1)."""

    label: str
    score: float


@dataclass
class LinearModel:
    """A multinomial linear classifier over hashed features (see the module docstring)."""

    version: str
    classes: tuple[str, ...]
    coef: Any  # ndarray (n_classes, n_features [+ n_classes when stacked])
    intercept: Any  # ndarray (n_classes,)
    base: LinearModel | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def decision(self, texts: Sequence[str]) -> Any:
        """Raw class scores (n_texts x n_classes)."""
        x = features.transform(texts)
        scores = np.asarray(x @ self.coef[:, : features.N_FEATURES].T) + self.intercept
        if self.base is not None:
            scores += self.base_logp(texts) @ self.coef[:, features.N_FEATURES :].T
        return scores

    def base_logp(self, texts: Sequence[str]) -> Any:
        assert self.base is not None
        return np.log(np.clip(self.base.proba(texts), 1e-6, 1.0)) * STACK_SCALE

    def proba(self, texts: Sequence[str]) -> Any:
        """Class probabilities (n_texts x n_classes), columns in ``classes`` order."""
        if not len(texts):
            return np.zeros((0, len(self.classes)))
        scores = self.decision(texts)
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        """The sentiment of each text, in order."""
        probs = self.proba(texts)
        pos = self.classes.index("positive")
        neg = self.classes.index("negative")
        return [
            Sentiment(self.classes[int(row.argmax())], round(float(row[pos] - row[neg]), 4))
            for row in probs
        ]

    def to_bytes(self) -> bytes:
        """The model as ``.npz`` bytes (weights as float32; a stacked model names its base)."""
        buffer = io.BytesIO()
        meta = {**self.meta, "version": self.version, "classes": list(self.classes)}
        if self.base is not None:
            meta["base_version"] = self.base.version
        np.savez_compressed(
            buffer,
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            meta=np.array(json.dumps(meta)),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, base: LinearModel | None = None) -> LinearModel:
        """Load :meth:`to_bytes` output (``allow_pickle=False``: a model file runs no code)."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            coef = npz["coef"].astype(np.float64)
            intercept = npz["intercept"].astype(np.float64)
        stacked = coef.shape[1] > features.N_FEATURES
        if stacked and base is None:
            raise ValueError("this model is stacked on a base model: pass base=")
        return cls(
            version=meta.pop("version"),
            classes=tuple(meta.pop("classes")),
            coef=coef,
            intercept=intercept,
            base=base if stacked else None,
            meta=meta,
        )


@lru_cache(maxsize=1)
def shipped() -> LinearModel:
    """The model shipped in the package (``data/sentiment.npz``)."""
    return LinearModel.from_bytes(SHIPPED_PATH.read_bytes())


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    version: str,
    base: LinearModel | None = None,
    sample_weight: Any = None,
    alpha: float = 1e-5,
    random_state: int = 0,
    seeds: int = 1,
) -> LinearModel:
    """Train a :class:`LinearModel` (stacked on ``base`` when given) on labelled texts.

    Labels must be among :data:`LABELS`; every label should occur at least once. With
    ``seeds`` > 1 the weights are the mean of that many fits that shuffle the labels
    differently (``random_state``, ``random_state + 1``…): stochastic gradient descent stops
    after a few passes, where the order it read the labels in still shows in the weights; the
    mean keeps what every order agrees on (a few hundred or thousand labels: measured in
    docs/benchmarks.md).
    """
    from scipy import sparse
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise ValueError(f"unknown label(s): {', '.join(unknown)}; use {', '.join(LABELS)}")
    x = features.transform(texts)
    if base is not None:
        base_feats = np.log(np.clip(base.proba(texts), 1e-6, 1.0)) * STACK_SCALE
        x = sparse.hstack([x, sparse.csr_matrix(base_feats)]).tocsr()
    y = np.asarray(labels)
    coefs, intercepts = [], []
    for seed in range(random_state, random_state + max(1, seeds)):
        classifier = SGDClassifier(
            loss="log_loss",
            alpha=alpha,
            max_iter=50,
            tol=1e-4,
            class_weight="balanced",
            random_state=seed,
        )
        with warnings.catch_warnings():
            # A few hundred labels that a line separates perfectly keep SGD's loss falling
            # past max_iter: the model is already right, more passes only grow the weights.
            warnings.simplefilter("ignore", ConvergenceWarning)
            classifier.fit(x, y, sample_weight=sample_weight)
        coefs.append(np.asarray(classifier.coef_))
        intercepts.append(np.asarray(classifier.intercept_))
    classes = tuple(str(c) for c in classifier.classes_)
    coef = np.mean(coefs, axis=0)
    intercept = np.mean(intercepts, axis=0)
    if len(classes) == 2:  # binary SGD keeps one row: expand so every class has a column
        coef = np.vstack([-coef, coef]) / 2
        intercept = np.array([-intercept[0], intercept[0]]) / 2
    # Every model answers in all three labels: a class never seen gets a very low score.
    full_coef = np.zeros((len(LABELS), coef.shape[1]))
    full_intercept = np.full(len(LABELS), -20.0)
    for row, label in enumerate(classes):
        full_coef[LABELS.index(label)] = coef[row]
        full_intercept[LABELS.index(label)] = intercept[row]
    return LinearModel(version, LABELS, full_coef, full_intercept, base=base)


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-averaged F1 over the labels present in ``truth`` or ``predicted``.

    >>> round(macro_f1(["negative", "positive"], ["negative", "negative"]), 3)
    0.333
    """
    labels = sorted(set(truth) | set(predicted))
    scores = []
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label == p)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if p == label != t)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label != p)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of texts whose predicted label is the true one."""
    if not truth:
        return 0.0
    return sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / len(truth)


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    base: LinearModel,
    folds: int = 5,
    seeds: int = BUSINESS_SEEDS,
) -> dict[str, float]:
    """Judge a business model against ``base`` on the business's own labels.

    Each text is predicted by a model trained without its fold (``folds``-fold, assigned by
    position after a fixed shuffle), so every label is held back once. Returns accuracy and
    macro-F1 of both on the same texts: ``own_accuracy``, ``own_macro_f1``,
    ``base_accuracy``, ``base_macro_f1``, and ``n``.
    """
    n = len(texts)
    order = np.random.default_rng(0).permutation(n)
    fold_of = np.empty(n, dtype=int)
    fold_of[order] = np.arange(n) % folds
    own: list[str] = [""] * n
    for k in range(folds):
        train = [i for i in range(n) if fold_of[i] != k]
        test = [i for i in range(n) if fold_of[i] == k]
        if not test:
            continue
        model = fit(
            [texts[i] for i in train],
            [labels[i] for i in train],
            version="cv",
            base=base,
            seeds=seeds,
        )
        for i, result in zip(test, model.predict([texts[i] for i in test]), strict=True):
            own[i] = result.label
    base_pred = [r.label for r in base.predict(texts)]
    return {
        "n": n,
        "own_accuracy": round(accuracy(labels, own), 4),
        "own_macro_f1": round(macro_f1(labels, own), 4),
        "base_accuracy": round(accuracy(labels, base_pred), 4),
        "base_macro_f1": round(macro_f1(labels, base_pred), 4),
    }
