"""Benchmark: do Devotion's topics recover the known problem of each message?

    uv run python bench/bench_topics.py [--data /work/shared/data]

Two real sets where each message's true problem is known: the negative airline tweets with
their ``negativereason`` (10 reasons, "Can't Tell" left out) and the BANKING77 test queries
(77 intents). Devotion's topics (the listed topics of ``devotion.nlp.topics.assign``, then
``discover`` grouping what none caught) against TF-IDF + k-means with k = the true number of
classes, in the same run: adjusted Rand index and purity (share of messages in the majority
true class of their group). Nothing is trained on either set.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def purity(truth: list[str], groups: list[str]) -> float:
    """Share of items that belong to the most common true class of their group."""
    by_group: dict[str, Counter[str]] = defaultdict(Counter)
    for t, g in zip(truth, groups, strict=True):
        by_group[g][t] += 1
    return sum(c.most_common(1)[0][1] for c in by_group.values()) / len(truth)


def devotion_topics(texts: list[str], k: int) -> list[str]:
    from devotion.nlp import topics

    labels = [topics.assign(t) for t in texts]
    rest = [i for i, label in enumerate(labels) if not label]
    groups = topics.discover([texts[i] for i in rest], max_topics=k, min_size=5)
    for name, members in groups:
        for j in members:
            labels[rest[j]] = f"other: {name}"
    return [label or "unassigned" for label in labels]


def kmeans(texts: list[str], k: int) -> list[str]:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2).fit_transform(texts)
    return [str(c) for c in KMeans(n_clusters=k, n_init=5, random_state=0).fit_predict(x)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=os.environ.get("DEVOTION_DATA", "/work/shared/data"))
    data = Path(parser.parse_args().data)
    from sklearn.metrics import adjusted_rand_score

    sets = {}
    with (data / "twitter-airline-sentiment" / "tweets_shared.csv").open(newline="") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["airline_sentiment"] == "negative"
            and r["negativereason"] not in ("", "Can't Tell")
        ]
    sets["airline complaints (negativereason)"] = (
        [r["text"] for r in rows],
        [r["negativereason"] for r in rows],
    )
    with (data / "banking77" / "test.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    sets["BANKING77 test (intent)"] = ([r["text"] for r in rows], [r["category"] for r in rows])
    for name, (texts, truth) in sets.items():
        k = len(set(truth))
        for method, fn in (("Devotion topics", devotion_topics), ("TF-IDF + k-means", kmeans)):
            start = time.perf_counter()
            groups = fn(texts, k)
            seconds = time.perf_counter() - start
            print(
                f"{name} ({len(texts):,} texts, {k} classes) — {method}: "
                f"ARI {adjusted_rand_score(truth, groups):.3f}, "
                f"purity {purity(truth, groups):.3f}, "
                f"{len(set(groups))} groups, {seconds:.1f} s"
            )


if __name__ == "__main__":
    main()
