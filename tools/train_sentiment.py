"""Build the shipped sentiment model, devotion/nlp/data/sentiment.npz, from permissive data.

    uv run python tools/train_sentiment.py [--data /work/shared/data]

Reads only CC0 / CC BY / public-domain texts (see devotion/nlp/corpus.py for the sources and
how each gets its labels); the airline tweets (CC BY-NC-SA) are never read. Deterministic: the
same data gives the same file. Per-source weights: short support queries (BANKING77) count
twice, positive reviews 0.3, because most messages a business gets are short and about a
problem while the reviews are long and mostly five-star.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devotion.nlp import corpus, sentiment

VERSION = "shipped-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=os.environ.get("DEVOTION_DATA", "/work/shared/data"))
    parser.add_argument("--out", default=str(sentiment.SHIPPED_PATH))
    args = parser.parse_args()
    data = Path(args.data)
    reviews = corpus.clothing_reviews(
        data / "womens-ecommerce-clothing-reviews" / "womens_clothing_ecommerce_reviews.csv.gz"
    )
    queries = corpus.banking_queries(data / "banking77" / "train.csv")
    complaints = corpus.complaint_narratives(
        data / "cfpb-complaints-sample" / "complaints_sample.csv"
    )
    rows = reviews + queries + complaints
    weights = np.array(
        [0.3 if label == "positive" else 1.0 for _, label in reviews]
        + [2.0] * len(queries)
        + [1.0] * len(complaints)
    )
    counts = collections.Counter(label for _, label in rows)
    model = sentiment.fit(
        [t for t, _ in rows], [label for _, label in rows], version=VERSION, sample_weight=weights
    )
    model.meta = {
        "trained_on": "clothing reviews (CC0), BANKING77 train (CC BY 4.0), CFPB narratives (PD)",
        "examples": dict(counts),
        "built": dt.date.today().isoformat(),
    }
    Path(args.out).write_bytes(model.to_bytes())
    print(f"wrote {args.out}: {len(rows)} examples {dict(counts)}")


if __name__ == "__main__":
    main()
