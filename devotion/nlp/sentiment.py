"""Sentiment (negative / neutral / positive, with a score) from a linear model on hashed
features (no Django).

A :class:`LinearModel` is only its weights: ``classes``, ``coef`` (classes x features) and
``intercept``, saved as a NumPy ``.npz`` (never a pickle, so loading a model file runs no
code). The shipped model is ``data/sentiment.npz``, built by ``tools/train_sentiment.py``
from permissively licensed texts (see :mod:`devotion.nlp.corpus`). A business's own model
(:func:`fit_business`) is stacked on the shipped one: it reads TF-IDF weighted word 1-2-grams
and character 2-5-grams of the business's texts (sublinear TF, IDF learned from its labels,
kept in the file as ``idf``) plus the shipped model's log-probabilities, so a few hundred
labels already move it; its regularisation is chosen by cross-validation inside its own
training labels (:func:`tune_alpha`).

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
# The regularisation strengths a business model chooses from (SGD's alpha: 1 / (C n)).
ALPHAS: tuple[float, ...] = (1e-5, 1e-4)
INNER_FOLDS = 3


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
    idf: Any = None  # ndarray (N_NGRAM_FEATURES,): reads TF-IDF n-grams instead of tokens

    @property
    def n_inputs(self) -> int:
        """Columns of the text features (the stacked base's log-probabilities follow)."""
        return features.N_FEATURES if self.idf is None else features.N_NGRAM_FEATURES

    def inputs(self, texts: Sequence[str]) -> Any:
        """The text features this model reads."""
        if self.idf is None:
            return features.transform(texts)
        return features.tfidf(features.ngram_counts(texts), self.idf)

    def decision(self, texts: Sequence[str]) -> Any:
        """Raw class scores (n_texts x n_classes)."""
        base_logp = self.base_logp(texts) if self.base is not None else None
        return self.decision_of(self.inputs(texts), base_logp)

    def decision_of(self, x: Any, base_logp: Any = None) -> Any:
        """Raw class scores from :meth:`inputs` (and :meth:`base_logp` when stacked)."""
        n = self.n_inputs
        scores = np.asarray(x @ self.coef[:, :n].T) + self.intercept
        if self.base is not None:
            scores += base_logp @ self.coef[:, n:].T
        return scores

    def base_logp(self, texts: Sequence[str]) -> Any:
        assert self.base is not None
        return self.base.base_logp_of(texts)

    def base_logp_of(self, texts: Sequence[str]) -> Any:
        """This model's log-probabilities as a stacked model reads them."""
        return np.log(np.clip(self.proba(texts), 1e-6, 1.0)) * STACK_SCALE

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
        arrays: dict[str, Any] = {
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
            "meta": np.array(json.dumps(meta)),
        }
        if self.idf is not None:
            arrays["idf"] = np.asarray(self.idf, dtype=np.float32)
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, base: LinearModel | None = None) -> LinearModel:
        """Load :meth:`to_bytes` output (``allow_pickle=False``: a model file runs no code)."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            coef = npz["coef"].astype(np.float64)
            intercept = npz["intercept"].astype(np.float64)
            idf = npz["idf"].astype(np.float64) if "idf" in npz.files else None
        n_inputs = features.N_FEATURES if idf is None else features.N_NGRAM_FEATURES
        stacked = coef.shape[1] > n_inputs
        if stacked and base is None:
            raise ValueError("this model is stacked on a base model: pass base=")
        return cls(
            version=meta.pop("version"),
            classes=tuple(meta.pop("classes")),
            coef=coef,
            intercept=intercept,
            base=base if stacked else None,
            meta=meta,
            idf=idf,
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
) -> LinearModel:
    """Train a :class:`LinearModel` (stacked on ``base`` when given) on labelled texts.

    Labels must be among :data:`LABELS`; every label should occur at least once.
    """
    from scipy import sparse

    _check_labels(labels)
    x = features.transform(texts)
    if base is not None:
        base_feats = np.log(np.clip(base.proba(texts), 1e-6, 1.0)) * STACK_SCALE
        x = sparse.hstack([x, sparse.csr_matrix(base_feats)]).tocsr()
    coef, intercept = _sgd(x, labels, alpha, sample_weight, random_state)
    return LinearModel(version, LABELS, coef, intercept, base=base)


def _check_labels(labels: Sequence[str]) -> None:
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise ValueError(f"unknown label(s): {', '.join(unknown)}; use {', '.join(LABELS)}")


def _sgd(
    x: Any, labels: Sequence[str], alpha: float, sample_weight: Any, random_state: int
) -> tuple[Any, Any]:
    """A balanced logistic-loss linear model's (coef, intercept), one row per :data:`LABELS`."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    classifier = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=50,
        tol=1e-4,
        class_weight="balanced",
        random_state=random_state,
    )
    with warnings.catch_warnings():
        # A few hundred labels that a line separates perfectly keep SGD's loss falling past
        # max_iter: the model is already right, more passes only grow the weights.
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(x, np.asarray(labels), sample_weight=sample_weight)
    classes = tuple(str(c) for c in classifier.classes_)
    coef = np.asarray(classifier.coef_)
    intercept = np.asarray(classifier.intercept_)
    if len(classes) == 2:  # binary SGD keeps one row: expand so every class has a column
        coef = np.vstack([-coef, coef]) / 2
        intercept = np.array([-intercept[0], intercept[0]]) / 2
    # Every model answers in all three labels: a class never seen gets a very low score.
    full_coef = np.zeros((len(LABELS), coef.shape[1]))
    full_intercept = np.full(len(LABELS), -20.0)
    for row, label in enumerate(classes):
        full_coef[LABELS.index(label)] = coef[row]
        full_intercept[LABELS.index(label)] = intercept[row]
    return full_coef, full_intercept


def _fold_numbers(n: int, folds: int, seed: int = 0) -> Any:
    """A fold number per position, after a fixed shuffle."""
    order = np.random.default_rng(seed).permutation(n)
    fold_of = np.empty(n, dtype=int)
    fold_of[order] = np.arange(n) % folds
    return fold_of


def _fit_counts(
    counts: Any, base_logp: Any, labels: Sequence[str], alpha: float, version: str, base: Any
) -> LinearModel:
    """A business model from n-gram counts: IDF from these texts, TF-IDF, stacked, SGD."""
    from scipy import sparse

    idf = features.idf_of(counts)
    x = sparse.hstack([features.tfidf(counts, idf), sparse.csr_matrix(base_logp)]).tocsr()
    coef, intercept = _sgd(x, labels, alpha, None, 0)
    return LinearModel(version, LABELS, coef, intercept, base=base, idf=idf)


def _predict_counts(model: LinearModel, counts: Any, base_logp: Any) -> list[str]:
    scores = model.decision_of(features.tfidf(counts, model.idf), base_logp)
    return [model.classes[int(i)] for i in scores.argmax(axis=1)]


def tune_alpha(counts: Any, base_logp: Any, labels: Sequence[str]) -> float:
    """The :data:`ALPHAS` value with the best macro-F1 in :data:`INNER_FOLDS`-fold
    cross-validation over these (training) texts only: the texts a model is judged on never
    choose its settings. The first (weakest) on a tie or with too few labels to split."""
    n = len(labels)
    if n < 2 * INNER_FOLDS or len(ALPHAS) == 1:
        return ALPHAS[0]
    fold_of = _fold_numbers(n, INNER_FOLDS, seed=1)
    best, best_f1 = ALPHAS[0], -1.0
    for alpha in ALPHAS:
        predicted = [""] * n
        for k in range(INNER_FOLDS):
            train, test = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
            model = _fit_counts(
                counts[train],
                base_logp[train],
                [labels[int(i)] for i in train],
                alpha,
                "inner",
                None,
            )
            for i, label in zip(
                test, _predict_counts(model, counts[test], base_logp[test]), strict=True
            ):
                predicted[i] = label
        f1 = macro_f1(labels, predicted)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = alpha, f1
    return best


def fit_business(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    version: str,
    base: LinearModel,
    alpha: float | None = None,
) -> LinearModel:
    """A business's own model (see the module docstring), stacked on ``base``; ``alpha`` is
    chosen by :func:`tune_alpha` on these texts when not given.

    >>> texts = ["love it", "great, thanks", "awful delay", "lost my bag", "ok noted",
    ...          "flight at 5"] * 3
    >>> labels = ["positive", "positive", "negative", "negative", "neutral", "neutral"] * 3
    >>> model = fit_business(texts, labels, version="doc", base=shipped())
    >>> [p.label for p in model.predict(["love it", "lost my bag"])]
    ['positive', 'negative']
    """
    _check_labels(labels)
    counts = features.ngram_counts(texts)
    base_logp = base.base_logp_of(texts)
    if alpha is None:
        alpha = tune_alpha(counts, base_logp, labels)
    model = _fit_counts(counts, base_logp, labels, alpha, version, base)
    model.meta["alpha"] = alpha
    return model


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
) -> dict[str, float]:
    """Judge a business model against ``base`` on the business's own labels.

    Each text is predicted by a model trained without its fold (``folds``-fold, assigned by
    position after a fixed shuffle; its ``alpha`` tuned inside the other folds only), so
    every label is held back once. Returns accuracy and
    macro-F1 of both on the same texts: ``own_accuracy``, ``own_macro_f1``,
    ``base_accuracy``, ``base_macro_f1``, and ``n``.
    """
    n = len(texts)
    fold_of = _fold_numbers(n, folds)
    counts = features.ngram_counts(texts)  # hashed once: each fold slices them
    base_logp = base.base_logp_of(texts)
    own: list[str] = [""] * n
    for k in range(folds):
        train, test = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        if not len(test):
            continue
        train_labels = [labels[int(i)] for i in train]
        alpha = tune_alpha(counts[train], base_logp[train], train_labels)
        model = _fit_counts(counts[train], base_logp[train], train_labels, alpha, "cv", base)
        for i, label in zip(
            test, _predict_counts(model, counts[test], base_logp[test]), strict=True
        ):
            own[i] = label
    base_pred = [r.label for r in base.predict(texts)]
    return {
        "n": n,
        "own_accuracy": round(accuracy(labels, own), 4),
        "own_macro_f1": round(macro_f1(labels, own), 4),
        "base_accuracy": round(accuracy(labels, base_pred), 4),
        "base_macro_f1": round(macro_f1(labels, base_pred), 4),
    }
