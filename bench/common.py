"""Shared helpers for the benchmark scripts: timing, peak memory, a machine description.

Plain Python, no Django: each ``bench_*.py`` script sets Django up itself.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def median_of_runs(run: Callable[[], float], runs: int) -> tuple[float, list[float]]:
    """Call ``run`` ``runs`` times (it returns one measurement); the median and all values."""
    values = [run() for _ in range(runs)]
    return statistics.median(values), values


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) of ``values``, nearest-rank.

    >>> percentile([1, 2, 3, 4], 50)
    2
    """
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.499999))
    return ordered[min(rank, len(ordered)) - 1]


class Stopwatch:
    """Adds up the time spent inside ``with watch:`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds += time.perf_counter() - self._start


@contextmanager
def timed(label: str) -> Iterator[None]:
    """Print how long the block took."""
    start = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - start:.2f}s", flush=True)


def speed(runs: int = 5) -> float:
    """Seconds a fixed piece of work takes here (median of ``runs``; lower is faster): the
    kinds of work an import does — Python building and sorting tuples and dicts of strings,
    and SQLite inserting indexed rows. Machines of the same kind here differed up to 2.6x
    between sessions and ~25% within one; printed beside a benchmark's numbers, it says how
    fast the machine was when they were measured."""
    import sqlite3

    def once() -> float:
        start = time.perf_counter()
        rows = [
            (f"person-{n % 40_000}@example.com", f"{n:08d}", n * 7 % 1000) for n in range(200_000)
        ]
        owner: dict[str, int] = {}
        for mail, _, n in rows:
            owner.setdefault(mail, n)
        rows.sort(key=lambda row: (row[0], row[2]))
        with sqlite3.connect(":memory:") as db:
            db.execute("CREATE TABLE t (mail TEXT, code TEXT, n INTEGER)")
            db.execute("CREATE INDEX t_mail ON t (mail, n)")
            db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        return time.perf_counter() - start

    return statistics.median(once() for _ in range(runs))


def machine() -> str:
    """One line describing where the numbers were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError):
        mem_gb = 0.0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gb:.1f} GB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
        f"load {load:.2f}, speed {speed():.3f} s (bench.common.speed; lower is faster)"
    )
