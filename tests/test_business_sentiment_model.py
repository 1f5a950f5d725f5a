"""The business's own sentiment model: TF-IDF word and character n-grams stacked on the
shipped model, its regularisation chosen inside its training labels only, saved and loaded
without pickle."""

from __future__ import annotations

import numpy as np
import pytest

from devotion.nlp import features, sentiment

# Misspelt and run-together words the shipped model's word features never saw: character
# n-grams still link "grrrounded" and "groundedd" to "grounded".
TRAIN = [
    ("zapped, love it", "positive"),
    ("so zapped today", "positive"),
    ("totally zapped", "positive"),
    ("grounded again", "negative"),
    ("left grounded", "negative"),
    ("grounded today", "negative"),
    ("order 5 at noon", "neutral"),
    ("order 7 at noon", "neutral"),
    ("order 9 at noon", "neutral"),
] * 4


def _fit(**kwargs):
    texts, labels = zip(*TRAIN, strict=True)
    return sentiment.fit_business(
        list(texts), list(labels), version="b-1", base=sentiment.shipped(), **kwargs
    )


def test_it_reads_character_ngrams_so_misspellings_still_count():
    model = _fit()
    assert model.idf is not None and model.n_inputs == features.N_NGRAM_FEATURES
    misspelt, praise, plain = model.predict(["groundedd", "zappedd", "order 11 at noon"])
    assert misspelt.label == "negative" and plain.label == "neutral"
    assert praise.score > 0.1  # no word of it was seen, its pieces were


def test_the_model_file_keeps_the_idf_and_loads_without_pickle():
    model = _fit(alpha=1e-4)
    again = sentiment.LinearModel.from_bytes(model.to_bytes(), base=sentiment.shipped())
    assert again.idf is not None and again.base is not None and again.meta["alpha"] == 1e-4
    texts = ["grounded again, awful", "zapped!"]
    assert np.allclose(again.proba(texts), model.proba(texts), atol=1e-4)
    with pytest.raises(ValueError, match="stacked"):
        sentiment.LinearModel.from_bytes(model.to_bytes())


def test_alpha_is_chosen_from_the_training_labels_alone(monkeypatch):
    seen: list[int] = []
    real = sentiment.tune_alpha

    def spy(counts, base_logp, labels):
        seen.append(len(labels))
        return real(counts, base_logp, labels)

    monkeypatch.setattr(sentiment, "tune_alpha", spy)
    texts, labels = zip(*TRAIN, strict=True)
    scores = sentiment.cross_validate(list(texts), list(labels), base=sentiment.shipped())
    # Five outer folds, each tuned on its four training fifths (never the fold it is judged on).
    assert seen == [
        len(TRAIN) - len(TRAIN) // 5 - (1 if k < len(TRAIN) % 5 else 0) for k in range(5)
    ]
    assert scores["own_macro_f1"] > scores["base_macro_f1"]


def test_tuning_picks_an_alpha_from_the_grid():
    texts, labels = zip(*TRAIN, strict=True)
    counts = features.ngram_counts(texts)
    base_logp = sentiment.shipped().base_logp_of(list(texts))
    assert sentiment.tune_alpha(counts, base_logp, list(labels)) in sentiment.ALPHAS
    assert sentiment.tune_alpha(counts[:3], base_logp[:3], list(labels)[:3]) == sentiment.ALPHAS[0]


def test_a_model_saved_before_ngrams_still_loads():
    texts, labels = zip(*TRAIN, strict=True)
    old = sentiment.fit(list(texts), list(labels), version="old", base=sentiment.shipped())
    again = sentiment.LinearModel.from_bytes(old.to_bytes(), base=sentiment.shipped())
    assert again.idf is None and again.predict(["grounded again"])[0].label == "negative"
