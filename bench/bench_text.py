"""Benchmark: text understanding — sentiment quality on real customer-service tweets through
``POST /api/v1/text/analyze`` (out of the box and after ``learn``), and speed.

    uv run python bench/bench_text.py [--data /work/shared/data] [--folds 5] [--quick]

(a) **Out of the box**: every tweet of ``twitter-airline-sentiment/tweets_shared.csv`` through
the API with the shipped model (never trained on tweets), accuracy and macro-F1 over the 3
classes, and VADER 3.3.2 on the same texts in the same run (compound ≥ 0.05 positive, ≤ -0.05
negative, as in that folder's SOURCE.md).
(b) **After learning**: 5-fold stratified cross-validation on the same file (the held-back
part of the data set stays sealed). For each fold and each size (200, 1,000, all training
labels) the labels go in as ``devotion learn sentiment`` puts them (``LabelledText`` rows, then
``train_sentiment()`` with its take-over rule), and the held-out fold goes through the API with
whichever model then answers.
(c) **Speed** on one core: texts/s of ``analyze()`` (sentiment + emotions + needs-reply +
topic + mentions + rudeness) and of the API endpoint in-process (Django test client, 1,000 texts
a request), topics for 100,000 messages, peak memory.

A fresh SQLite database in a temporary ``DEVOTION_HOME``; nothing else is touched.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import peak_rss_mb, speed  # noqa: E402


def _setup() -> None:
    home = tempfile.mkdtemp(prefix="devotion-bench-text-")
    os.environ["DEVOTION_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotion.settings")
    os.environ["DEVOTION_API_RATE_LIMIT"] = "1000000"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _tweets(data: Path) -> tuple[list[str], list[str]]:
    with (data / "twitter-airline-sentiment" / "tweets_shared.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["airline_sentiment"] for r in rows]


def _api(client, key: str, texts: list[str]) -> list[str]:
    labels: list[str] = []
    for start in range(0, len(texts), 1000):
        response = client.post(
            "/api/v1/text/analyze",
            json.dumps({"texts": texts[start : start + 1000]}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200, response.content[:300]
        labels += [r["sentiment"]["label"] or "neutral" for r in response.json()["results"]]
    return labels


def _vader(texts: list[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        c = analyzer.polarity_scores(text)["compound"]
        out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    return out


def _folds(labels: list[str], k: int, seed: int = 0) -> list[int]:
    """A stratified fold number per row."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    fold = [0] * len(labels)
    for rows in by_label.values():
        rng.shuffle(rows)
        for j, i in enumerate(rows):
            fold[i] = j % k
    return fold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=os.environ.get("DEVOTION_DATA", "/work/shared/data"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 folds, no 'all' size")
    parser.add_argument("--speed-only", action="store_true", help="only (c)")
    args = parser.parse_args()
    _setup()
    from django.test import Client

    from devotion.api.models import ApiKey
    from devotion.nlp import sentiment
    from devotion.voice import learning
    from devotion.voice.models import LabelledText, TextModel

    texts, truth = _tweets(Path(args.data))
    client = Client(HTTP_HOST="localhost")
    _, key = ApiKey.create("bench", ["text:analyze"])
    print(f"{len(texts):,} tweets; classes {dict(sorted(_count(truth).items()))}")

    print(f"machine speed {speed():.2f} s (bench.common.speed(), lower is faster)")
    if args.speed_only:
        _speed(client, key, texts)
        return

    # (a) Out of the box, and VADER in the same run.
    ours = _api(client, key, texts)
    vader = _vader(texts)
    for name, predicted in (("Devotion shipped model", ours), ("VADER 3.3.2", vader)):
        print(
            f"(a) {name:<24} accuracy {sentiment.accuracy(truth, predicted):.3f}  "
            f"macro-F1 {sentiment.macro_f1(truth, predicted):.3f}"
        )

    # (b) After learning: a learning curve under stratified k-fold CV.
    k = 2 if args.quick else args.folds
    sizes: list[int | None] = [200, 1000] if args.quick else [200, 1000, None]
    fold_of = _folds(truth, k)
    for size in sizes:
        accs, f1s, active = [], [], 0
        for fold in range(k):
            train = [i for i in range(len(texts)) if fold_of[i] != fold]
            test = [i for i in range(len(texts)) if fold_of[i] == fold]
            if size is not None:
                train = random.Random(fold).sample(train, size)
            LabelledText.objects.all().delete()
            TextModel.objects.all().delete()
            learning.add_labels([(texts[i], truth[i]) for i in train])
            record = learning.train_sentiment()
            active += record.active
            predicted = _api(client, key, [texts[i] for i in test])
            accs.append(sentiment.accuracy([truth[i] for i in test], predicted))
            f1s.append(sentiment.macro_f1([truth[i] for i in test], predicted))
        label = "all" if size is None else f"{size:,}"
        print(
            f"(b) after learning {label:>5} labels: accuracy {sum(accs) / k:.3f}  "
            f"macro-F1 {sum(f1s) / k:.3f}  (business model active in {active}/{k} folds)"
        )
    LabelledText.objects.all().delete()
    TextModel.objects.all().delete()

    _speed(client, key, texts)


def _speed(client: Any, key: str, texts: list[str]) -> None:
    """(c) Speed on one core."""
    from devotion.nlp import topics
    from devotion.nlp.analyze import analyze

    sample = (texts * 2)[:20_000]
    analyze(sample[:100])
    start = time.perf_counter()
    analyze(sample)
    seconds = time.perf_counter() - start
    print(f"(c) analyze(): {len(sample) / seconds:,.0f} texts/s on one core")
    from devotion.nlp import signals
    from devotion.nlp.sentiment import shipped

    model = shipped()
    start = time.perf_counter()
    model.predict(sample)
    for text in sample:
        signals.emotions(text)
        signals.needs_reply(text)
    seconds = time.perf_counter() - start
    print(f"(c) sentiment + emotions + needs-reply: {len(sample) / seconds:,.0f} texts/s")
    start = time.perf_counter()
    _api(client, key, sample[:10_000])
    seconds = time.perf_counter() - start
    print(f"(c) POST /api/v1/text/analyze in-process: {10_000 / seconds:,.0f} texts/s")
    hundred_k = (texts * 10)[:100_000]
    start = time.perf_counter()
    found = [topics.assign(t) for t in hundred_k]
    seconds = time.perf_counter() - start
    print(
        f"(c) topics for {len(hundred_k):,} messages: {seconds:.1f} s "
        f"({sum(1 for t in found if t):,} with a listed topic)"
    )
    print(f"peak memory {peak_rss_mb():.0f} MiB")


def _count(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in values:
        out[v] += 1
    return out


if __name__ == "__main__":
    main()
