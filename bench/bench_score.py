"""How long `devotion score` takes, end to end, as the population grows.

For each size, seeds a dedicated SQLite installation with ``bench/seed_large.py`` (people,
10 touchpoints each on average, two years of orders, messages, surveys, reviews), then runs
``devotion score --retrain`` (read, train, score, write back) and ``devotion score`` (the
saved model: read, score, write back) in a fresh process each, and reports wall time and the
peak memory of the scoring process.

    uv run python bench/bench_score.py                   # 10k and 100k people
    uv run python bench/bench_score.py --sizes 1000000   # the 1M / 10M target (slow to seed)

Nothing outside ``--home`` (default /tmp/devotion-bench-score) is touched.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and the peak RSS (MiB) of the child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="people per run, comma-separated")
    parser.add_argument("--home", default="/tmp/devotion-bench-score")
    args = parser.parse_args()
    print(
        "people     touchpoints  seed s   score+train s  peak MiB   score (saved model) s  peak MiB"
    )
    for people in (int(s) for s in args.sizes.split(",")):
        home = Path(args.home) / str(people)
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DEVOTION_HOME": str(home)}
        env.pop("DATABASE_URL", None)
        touchpoints = people * 10
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "bench/seed_large.py",
                "--db",
                "sqlite",
                "--home",
                str(home),
                "--people",
                str(people),
                "--touchpoints",
                str(touchpoints),
            ],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        seeded = time.perf_counter() - started
        devotion = [sys.executable, "-m", "devotion.cli", "score"]
        trained, trained_mb = _run([*devotion, "--retrain"], env)
        scored, scored_mb = _run(devotion, env)
        print(
            f"{people:<10,} {touchpoints:<12,} {seeded:<8.1f} {trained:<14.1f} {trained_mb:<10.0f} "
            f"{scored:<22.1f} {scored_mb:.0f}"
        )


if __name__ == "__main__":
    main()
