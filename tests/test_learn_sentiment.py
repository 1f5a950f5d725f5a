"""``devotion learn sentiment FILE`` and ``devotion learn status``: a business model answers only
when it beats the shipped one on held-back labels."""

from __future__ import annotations

import csv
import random

import pytest
from django.core.management import CommandError, call_command

from devotion.nlp.sentiment import shipped
from devotion.voice import learning
from devotion.voice.models import TextModel

pytestmark = pytest.mark.django_db

# A business whose customers use its own words: "zapped" is praise, "grounded" a complaint,
# which the shipped model has never seen.
_PRAISE = ["zapped", "zapped it", "so zapped", "totally zapped"]
_COMPLAINT = ["grounded", "grounded again", "left grounded", "grounded today"]


def _file(tmp_path, n=150, seed=1):
    rng = random.Random(seed)
    path = tmp_path / "labels.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["message", "feeling"])
        for i in range(n):
            if i % 2:
                writer.writerow([f"Order {i}: {rng.choice(_PRAISE)}", "positive"])
            else:
                writer.writerow([f"Order {i}: {rng.choice(_COMPLAINT)}", "negative"])
    return path


def test_a_business_model_that_beats_the_shipped_one_takes_over(tmp_path, capsys):
    call_command(
        "learn", "sentiment", str(_file(tmp_path)), text_column="message", label_column="feeling"
    )
    out = capsys.readouterr().out
    assert "Active." in out
    model = TextModel.objects.get(active=True)
    assert model.scores["own_macro_f1"] >= model.scores["base_macro_f1"] + learning.MIN_GAIN
    answering = learning.active_sentiment_model()
    assert answering.version == model.version
    assert answering.predict(["Order 999: totally zapped"])[0].label == "positive"
    call_command("learn", "status")
    status = capsys.readouterr().out
    assert f"Sentiment answered by: {model.version}" in status
    assert "150 from files" in status


def test_too_few_labels_leave_the_shipped_model_answering(tmp_path, capsys):
    call_command(
        "learn",
        "sentiment",
        str(_file(tmp_path, n=20)),
        text_column="message",
        label_column="feeling",
    )
    assert "Not trained" in capsys.readouterr().out
    assert not TextModel.objects.filter(active=True).exists()
    assert learning.active_sentiment_model().version == shipped().version


def test_a_model_no_better_than_the_shipped_one_does_not_take_over(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t", "l"])
        for i in range(60):
            writer.writerow([f"Thank you, wonderful service {i}", "positive"])
            writer.writerow([f"Terrible, my order never arrived {i}", "negative"])
    call_command("learn", "sentiment", str(path), text_column="t", label_column="l")
    assert "Not active." in capsys.readouterr().out
    assert not TextModel.objects.filter(active=True).exists()


def test_a_bad_file_gets_a_clear_error(tmp_path):
    path = _file(tmp_path)
    with pytest.raises(CommandError, match="no column 'text'"):
        call_command("learn", "sentiment", str(path), text_column="text", label_column="feeling")
    bad = tmp_path / "bad.csv"
    bad.write_text("t,l\nhello,great\n")
    with pytest.raises(CommandError, match="Line 2: the label 'great'"):
        call_command("learn", "sentiment", str(bad), text_column="t", label_column="l")


def test_a_business_model_is_the_mean_of_fits_that_read_the_labels_in_other_orders():
    import numpy as np

    from devotion.nlp import sentiment

    rng = random.Random(3)
    texts = [f"Order {i}: {rng.choice(_PRAISE if i % 2 else _COMPLAINT)}" for i in range(60)]
    labels = ["positive" if i % 2 else "negative" for i in range(60)]
    single = [
        sentiment.fit(texts, labels, version="one", base=shipped(), random_state=seed)
        for seed in (4, 5, 6)
    ]
    mean = sentiment.fit(texts, labels, version="mean", base=shipped(), random_state=4, seeds=3)
    assert not np.allclose(single[0].coef, single[1].coef)  # the order shows in one fit
    assert np.allclose(mean.coef, np.mean([m.coef for m in single], axis=0))
    assert np.allclose(mean.intercept, np.mean([m.intercept for m in single], axis=0))
    assert mean.predict(["Order 999: totally zapped"])[0].label == "positive"
