"""The reply coach on its labelled set: precision and recall per judgement, and its speed.

``bench/data/coach_cases.jsonl`` holds 104 cases written by hand: 26 customer messages
(e-mail, chat, reviews, social comments, survey comments, leads; calm and angry) with four
drafts each, good and flawed. Each case labels the points the customer raised (text, kind,
whether the draft answers it), whether the customer is upset, whether the draft acknowledges
it, has a next step, and is company-centred. The rules were tuned on the ``dev`` messages
only; the figures to quote are those of the ``test`` messages (their drafts never seen).

Each judgement is scored as the flag the coach raises (the positive class):

- points: a labelled point counts as found when a point the coach lists is the same sentence
  (or one contains the other); precision over the coach's points, recall over the labels;
- missed point: a labelled point the draft leaves unanswered (flagged when the coach lists it
  unanswered, or does not list it at all? no: only when listed unanswered);
- upset; no acknowledgement (upset cases only); no next step; company-centred.

Run: ``uv run python bench/bench_coach.py [--split test|dev|all]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile
from devotion.nlp import coach

CASES = Path(__file__).resolve().parent / "data" / "coach_cases.jsonl"


def load(split: str) -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line]
    return [c for c in cases if split == "all" or c["split"] == split]


def _same(a: str, b: str) -> bool:
    a, b = a.strip().lower(), b.strip().lower()
    return a in b or b in a


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, predicted: bool, actual: bool) -> None:
        self.tp += predicted and actual
        self.fp += predicted and not actual
        self.fn += actual and not predicted

    def row(self) -> tuple[float, float, int]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return precision, recall, self.tp + self.fn


def evaluate(cases: list[dict[str, Any]], *, show: bool = False) -> dict[str, Score]:
    scores = {
        name: Score()
        for name in (
            "points",
            "missed point",
            "upset",
            "no acknowledgement",
            "no next step",
            "company-centred",
        )
    }
    for case in cases:
        result = coach.review(case["message"], case["draft"])
        found = result.points
        labelled = case["points"]
        # Points: matched both ways.
        matched = [
            next((p for p in found if _same(p.text, label["text"])), None) for label in labelled
        ]
        scores["points"].tp += sum(m is not None for m in matched)
        scores["points"].fn += sum(m is None for m in matched)
        scores["points"].fp += sum(
            not any(_same(p.text, label["text"]) for label in labelled) for p in found
        )
        for label, point in zip(labelled, matched, strict=True):
            flagged = point is not None and not point.answered
            scores["missed point"].add(flagged, not label["answered"])
        scores["upset"].add(result.customer_upset, case["upset"])
        if case["upset"]:
            scores["no acknowledgement"].add(
                result.customer_upset and not result.acknowledges_feeling, not case["acknowledges"]
            )
        scores["no next step"].add(not result.next_step, not case["next_step"])
        scores["company-centred"].add(result.company_centred, case["company_centred"])
        if show:
            wrong = []
            if result.customer_upset != case["upset"]:
                wrong.append(f"upset {result.customer_upset}")
            if result.next_step != case["next_step"]:
                wrong.append(f"next_step {result.next_step} ({result.next_step_text!r})")
            if result.company_centred != case["company_centred"]:
                wrong.append(f"centred {result.company_centred}")
            if case["upset"] and bool(result.acknowledges_feeling) != case["acknowledges"]:
                wrong.append(f"ack {result.acknowledges_feeling}")
            for label, point in zip(labelled, matched, strict=True):
                if point is None:
                    wrong.append(f"point not found: {label['text']!r}")
                elif point.answered != label["answered"]:
                    wrong.append(f"answered {point.answered} for {label['text']!r}")
            for p in found:
                if not any(_same(p.text, label["text"]) for label in labelled):
                    wrong.append(f"extra point {p.kind}: {p.text!r}")
            if wrong:
                print(case["id"], "|", case["draft"][:70], "\n    ", "; ".join(wrong))
    return scores


def speed(cases: list[dict[str, Any]], rounds: int = 20) -> tuple[float, float]:
    """p50 and p95 milliseconds per review, over every case ``rounds`` times."""
    times = []
    for _ in range(rounds):
        for case in cases:
            start = time.perf_counter()
            coach.review(
                case["message"],
                case["draft"],
                coach.Context(
                    name="Jo Bloggs",
                    orders=["4471"],
                    facts={"dog": "Biscuit"},
                    order_count=7,
                    customer_since="March 2024",
                ),
            )
            times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50), percentile(times, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--show", action="store_true", help="print each wrong judgement")
    args = parser.parse_args()
    cases = load(args.split)
    scores = evaluate(cases, show=args.show)
    print(f"{len(cases)} cases ({args.split})")
    print(f"{'judgement':<20} {'precision':>9} {'recall':>7} {'positives':>9}")
    for name, score in scores.items():
        precision, recall, positives = score.row()
        print(f"{name:<20} {precision:>9.2f} {recall:>7.2f} {positives:>9}")
    p50, p95 = speed(load("all"))
    print(f"speed: p50 {p50:.2f} ms, p95 {p95:.2f} ms per review (with a customer context)")


if __name__ == "__main__":
    main()
