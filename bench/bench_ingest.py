"""Benchmark: bulk ingest of order events through ``ingest()`` into a fresh database.

Generates a realistic orders workload in the canonical raw event shape (customers with
Pareto-distributed order counts, e-mails, some phones, a shop customer id, 1-3 lines per
order, times spread over two years) and streams it in batches into
:func:`devotion.ingest.store.ingest`, the same call the file importer and the API make.
Reports rows/s (ingest time only; generating the rows is timed separately), total seconds and
peak RSS.

    uv run python bench/bench_ingest.py --rows 1000000 --db sqlite
    uv run python bench/bench_ingest.py --rows 1000000 --db postgres --runs 3

``--db postgres`` drops and creates the dedicated database ``devotion_bench`` on the server of
``BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432``); ``--db sqlite`` uses a
temporary ``DEVOTION_HOME``. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Stopwatch, machine, peak_rss_mb

BENCH_DB = "devotion_bench"
PRODUCTS = [
    (f"SKU-{n:04d}", f"Product {n}", round(random.Random(n).uniform(3, 120), 2)) for n in range(500)
]
FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Ken",
    "Linus",
    "Margaret",
    "Donald",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Sophie",
    "Niklaus",
    "Katherine",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Thompson",
    "Torvalds",
    "Hamilton",
    "Knuth",
    "Allen",
    "Backus",
    "Perlman",
    "Lee",
    "Wilson",
    "Wirth",
    "Johnson",
]


def orders(rows: int, customers: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``rows`` order events over ``customers`` people, oldest first, deterministic."""
    rng = random.Random(seed)
    # Pareto weights: a few regulars place many orders, most people one or two.
    weights = [rng.paretovariate(1.2) for _ in range(customers)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = timedelta(days=700).total_seconds()
    chunk = 10_000
    number = 0
    while number < rows:
        size = min(chunk, rows - number)
        picks = rng.choices(range(customers), weights=weights, k=size)
        for customer in picks:
            number += 1
            person: dict[str, Any] = {
                "email": f"customer{customer}@example.com",
                "external_id": f"cus_{customer}",
                "name": f"{FIRST[customer % 16]} {LAST[(customer // 16) % 16]}",
            }
            if customer % 3 == 0:
                person["phone"] = f"+1 415 {200 + customer // 10000:03d} {customer % 10000:04d}"
            lines = []
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                sku, name, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
                lines.append(
                    {
                        "product_id": sku,
                        "product_name": name,
                        "quantity": rng.choice((1, 1, 1, 2)),
                        "unit_price": str(price),
                    }
                )
            when = start + timedelta(seconds=span * number / rows)
            yield {
                "kind": "order",
                "source": "shopify",
                "external_id": str(100_000 + number),
                "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "person": person,
                "channel": "web",
                "currency": "USD",
                "lines": lines,
            }


def _prepare_environment(db: str) -> None:
    """Point settings at a fresh, dedicated database before Django starts."""
    home = tempfile.mkdtemp(prefix="devotion-bench-")
    os.environ["DEVOTION_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotion.settings")
    if db == "postgres":
        server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
        os.environ["DATABASE_URL"] = f"{server.rstrip('/')}/{BENCH_DB}"
    else:
        os.environ.pop("DATABASE_URL", None)


def _fresh_database(db: str) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    if db == "postgres":
        import psycopg

        server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
        with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    else:
        name = Path(settings.DATABASES["default"]["NAME"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)


def _backend_cpu_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend process (same machine), else 0.

    With other work on the machine, wall time says little; CPU time of this process plus the
    server process serving it is what the import costs on a quiet machine.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(args: argparse.Namespace) -> dict[str, float]:
    from django.db import connection

    from devotion.ingest.store import ingest

    _fresh_database(args.db)
    ingest_time, generate_time = Stopwatch(), Stopwatch()
    cpu = time.process_time()
    server_cpu = _backend_cpu_seconds()
    counts: dict[str, int] = {}
    batch: list[dict[str, Any]] = []
    stream = orders(args.rows, args.customers)
    done = 0
    wall = time.perf_counter()
    while True:
        with generate_time:
            generate_cpu = time.process_time()
            batch = [event for _, event in zip(range(args.batch), stream, strict=False)]
            cpu += time.process_time() - generate_cpu
        if not batch:
            break
        with ingest_time:
            outcomes = ingest(batch)
        for outcome in outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        done += len(batch)
        if args.verbose and done % 100_000 < args.batch:
            print(f"  {done:>9,} rows  {done / ingest_time.seconds:,.0f} rows/s", flush=True)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    server_cpu = _backend_cpu_seconds() - server_cpu
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM touchpoints_touchpoint")
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM people_person")
        people = cursor.fetchone()[0]
    if stored != args.rows or counts.get("created") != args.rows:
        raise SystemExit(f"expected {args.rows} touchpoints, stored {stored}: {counts}")
    return {
        "rows_per_s": args.rows / ingest_time.seconds,
        "ingest_s": ingest_time.seconds,
        "generate_s": generate_time.seconds,
        "wall_s": wall,
        "people": people,
        "cpu_s": cpu,
        "server_cpu_s": server_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=0, help="default: rows * 0.15")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the first run")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.customers = args.customers or max(1, int(args.rows * 0.15))

    _prepare_environment(args.db)
    import django

    django.setup()
    print(f"machine: {machine()}")
    if args.db == "postgres":
        import psycopg

        server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
        with psycopg.connect(f"{server.rstrip('/')}/postgres") as conn:
            row = conn.execute("SELECT version(), current_setting('autovacuum')").fetchone()
            assert row is not None
            version, autovacuum = row
        # Without autovacuum nothing refreshes planner statistics or removes dead rows.
        print(f"server: {version.split(',')[0]}, autovacuum {autovacuum}")
    print(
        f"workload: {args.rows:,} orders, {args.customers:,} customers, "
        f"batches of {args.batch}, {args.db}"
    )
    results = []
    for run in range(args.runs):
        if args.profile and run == 0:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(run_once, args)
            profiler.dump_stats(args.profile)
        else:
            result = run_once(args)
        results.append(result)
        print(
            f"run {run + 1}: {result['rows_per_s']:,.0f} rows/s, ingest {result['ingest_s']:.1f}s"
            f" (generating {result['generate_s']:.1f}s, wall {result['wall_s']:.1f}s), "
            f"{result['people']:,} people; CPU: ingest {result['cpu_s']:.1f}s + database server "
            f"{result['server_cpu_s']:.1f}s = "
            f"{args.rows / (result['cpu_s'] + result['server_cpu_s']):,.0f} rows per CPU-second",
            flush=True,
        )
    best = statistics.median(r["rows_per_s"] for r in results)
    print(f"median: {best:,.0f} rows/s; peak RSS {peak_rss_mb():.0f} MiB")
    if not args.keep:
        _drop_database(args.db)


def _drop_database(db: str) -> None:
    """Remove what the benchmark created (``--keep`` leaves it for inspection)."""
    from django.db import connections

    connections.close_all()
    if db == "postgres":
        import psycopg

        server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
        with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    shutil.rmtree(os.environ["DEVOTION_HOME"], ignore_errors=True)


if __name__ == "__main__":
    main()
