"""How long `devotion score` takes, end to end and per phase, as the population grows.

For each size, seeds a dedicated SQLite installation with ``bench/seed_large.py`` (people,
10 touchpoints each on average, two years of orders, messages, surveys, reviews) unless
``--keep`` finds one seeded before, then, in a fresh process each:

- ``devotion score --retrain`` (read, train, score, write back) once,
- ``devotion score`` (the saved model: read, score, write back) ``--runs`` times (median),
- the in-process phase split of a saved-model run (read, score, write; and train from the
  retrain run) with that process's CPU seconds and peak memory.

    uv run python bench/bench_score.py                          # 10k and 100k people
    uv run python bench/bench_score.py --sizes 1000000 --keep   # 1M / 10M (seeding is slow)

Nothing outside ``--home`` (default /tmp/devotion-bench-score) is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import speed  # noqa: E402


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the child and its standard output."""
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, check=True, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run the biggest work first
    # or read the in-process figure (the phase split reports its own).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, done.stdout


def inner(retrain: bool) -> None:
    """Run one scoring in this process and print its phases as JSON (for the outer run)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotion.settings")
    django.setup()
    from devotion.retention.scoring import run_scoring

    cpu = time.process_time()
    outcome = run_scoring(retrain=retrain)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "phases": outcome.seconds,
                "cpu": round(time.process_time() - cpu, 1),
                "peak_mib": round(usage.ru_maxrss / 1024),
                "people": outcome.run.people,
            }
        )
    )


def seed(home: Path, people: int, env: dict[str, str], keep: bool) -> float | None:
    """Seconds spent seeding, or None when ``keep`` found a seeded database."""
    database = home / "devotion.sqlite3"
    if keep and database.exists() and (home / "seeded").exists():
        return None
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
            str(people * 10),
        ],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    (home / "seeded").write_text(f"{people}\n")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="people per run, comma-separated")
    parser.add_argument("--home", default="/tmp/devotion-bench-score")
    parser.add_argument("--keep", action="store_true", help="reuse a database seeded before")
    parser.add_argument("--runs", type=int, default=3, help="saved-model runs per size (median)")
    parser.add_argument("--inner", choices=["train", "saved"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.inner == "train")
        return
    print(f"machine speed (bench.common.speed, lower is faster): {speed():.2f} s")
    for people in (int(s) for s in args.sizes.split(",")):
        home = Path(args.home) / str(people)
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DEVOTION_HOME": str(home)}
        env.pop("DATABASE_URL", None)
        seeded = seed(home, people, env, args.keep)
        me = [sys.executable, "bench/bench_score.py"]
        # The phase split first: a retrain in process (train's share), then saved-model runs.
        _, _, out = _run([*me, "--inner", "train"], env)
        trained = json.loads(out.strip().splitlines()[-1])
        splits = []
        for _ in range(args.runs):
            _, _, out = _run([*me, "--inner", "saved"], env)
            splits.append(json.loads(out.strip().splitlines()[-1]))
        # End to end through the command, Python start-up included.
        devotion = [sys.executable, "-m", "devotion.cli", "score"]
        walls = [_run(devotion, env)[0] for _ in range(args.runs)]
        phases = {
            k: statistics.median(s["phases"][k] for s in splits) for k in ("read", "score", "write")
        }
        print(
            f"{people:,} people / {people * 10:,} touchpoints"
            + (f" (seeded in {seeded:.0f} s)" if seeded is not None else " (kept)")
        )
        print(
            f"  devotion score, saved model: median {statistics.median(walls):.1f} s of "
            f"{', '.join(f'{w:.1f}' for w in walls)} (wall, with Python start-up)"
        )
        print(
            "  in process, median of runs: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
            + f"; CPU {statistics.median(s['cpu'] for s in splits):.1f} s; "
            f"peak {max(s['peak_mib'] for s in splits)} MiB"
        )
        print(
            f"  with training: {sum(trained['phases'].values()):.1f} s in process "
            f"({', '.join(f'{k} {v:.1f}' for k, v in trained['phases'].items())}); "
            f"peak {trained['peak_mib']} MiB"
        )


if __name__ == "__main__":
    main()
