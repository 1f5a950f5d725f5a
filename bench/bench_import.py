"""Benchmark: ``devotion import orders FILE`` end to end, as a user runs it.

Writes a realistic orders export (streamed, never held in memory) to a temporary directory:
``--source generic`` is Devotion's flat CSV, one row per order line; ``--source shopify`` is
Shopify's orders export with its 60-odd columns. Customers have Pareto-distributed order
counts (a few regulars, many one-off buyers), e-mails, some phones, 1-3 lines per order, times
spread over two years. Then it runs the real command (``devotion import orders FILE --source
S``) as a subprocess into a fresh database and reports data rows per second of wall time, the
orders stored, and peak memory: of the largest process, and of the importer and its helper
process (which reads the file beside it) together, sampled every 0.2 s.

    uv run python bench/bench_import.py --rows 1000000 --db sqlite
    uv run python bench/bench_import.py --rows 1000000 --db postgres --source shopify --runs 3

On PostgreSQL it also reports the server's CPU time for the run (its processes on this
machine, read from /proc): the server does much of an import's work.

``--db postgres`` drops and creates the dedicated database ``devotion_bench_import`` on the
server of ``BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432``); ``--db
sqlite`` uses a temporary ``DEVOTION_HOME``. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, speed

ROOT = Path(__file__).resolve().parent.parent

BENCH_DB = "devotion_bench_import"
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PRODUCTS = [
    (f"SKU-{n:04d}", f"Product {n}", round(random.Random(n).uniform(3, 120), 2)) for n in range(500)
]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Linus", "Margaret"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Torvalds", "Knuth"]
GENERIC = [
    "external_id", "occurred_at", "email", "phone", "customer_id", "name", "amount", "currency",
    "channel", "product_id", "product_name", "quantity", "unit_price", "discount",
]  # fmt: skip
SHOPIFY = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount",
    "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Phone",
    "Receipt Number",
]  # fmt: skip


def write_orders(path: Path, rows: int, customers: int, source: str, seed: int = 7) -> int:
    """Write ``rows`` data rows (order lines) over ``customers`` people; returns the orders."""
    rng = random.Random(seed)
    weights = [rng.paretovariate(1.2) for _ in range(customers)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = timedelta(days=700).total_seconds()
    shopify = source == "shopify"
    written = orders = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(SHOPIFY if shopify else GENERIC)
        while written < rows:
            for customer in rng.choices(range(customers), weights=weights, k=10_000):
                if written >= rows:
                    break
                orders += 1
                email = f"customer{customer}@example.com"
                phone = (
                    f"+1 415 {200 + customer // 10000:03d} {customer % 10000:04d}"
                    if customer % 3 == 0
                    else ""
                )
                name = f"{FIRST[customer % 8]} {LAST[(customer // 8) % 8]}"
                when = start + timedelta(seconds=span * written / rows)
                count = min(rng.choice((1, 1, 1, 2, 2, 3)), rows - written)
                lines = [
                    (*PRODUCTS[rng.randrange(len(PRODUCTS))], rng.choice((1, 1, 1, 2)))
                    for _ in range(count)
                ]
                total = f"{sum(price * quantity for _, _, price, quantity in lines):.2f}"
                for number, (sku, product, price, quantity) in enumerate(lines):
                    first = number == 0
                    if shopify:
                        stamp = when.strftime("%Y-%m-%d %H:%M:%S +0000")
                        row = dict.fromkeys(SHOPIFY, "")
                        row.update(
                            {
                                "Name": f"#{100_000 + orders}",
                                "Email": email,
                                "Created at": stamp,
                                "Lineitem quantity": str(quantity),
                                "Lineitem name": product,
                                "Lineitem price": f"{price:.2f}",
                                "Lineitem sku": sku,
                                "Lineitem requires shipping": "true",
                                "Lineitem taxable": "true",
                                "Vendor": "Hearth & Leaf",
                                "Lineitem discount": "0.00",
                            }
                        )
                        if first:
                            row.update(
                                {
                                    "Financial Status": "paid",
                                    "Paid at": stamp,
                                    "Fulfillment Status": "fulfilled",
                                    "Accepts Marketing": "yes" if customer % 2 else "no",
                                    "Currency": "USD",
                                    "Subtotal": total,
                                    "Shipping": "0.00",
                                    "Taxes": "0.00",
                                    "Total": total,
                                    "Billing Name": name,
                                    "Billing Address1": f"{customer % 200} Orchard Lane",
                                    "Billing City": "Portland",
                                    "Billing Zip": "97205",
                                    "Billing Country": "US",
                                    "Billing Phone": phone,
                                    "Payment Method": "Shopify Payments",
                                    "Id": str(5_610_000_000_000 + orders),
                                    "Risk Level": "Low",
                                    "Source": "web",
                                }
                            )
                        writer.writerow(row.values())
                    else:
                        writer.writerow(
                            [
                                f"A-{orders}",
                                when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                email,
                                phone if first else "",
                                f"C-{customer}" if first else "",
                                name if first else "",
                                total if first else "",
                                "USD" if first else "",
                                "web" if first else "",
                                sku,
                                product,
                                quantity,
                                f"{price:.2f}",
                                "0",
                            ]
                        )
                    written += 1
    return orders


def _file_counts(path: Path, source: str) -> tuple[int, int]:
    """The data rows and orders in a file this script wrote."""
    column = "external_id" if source == "generic" else "Name"
    with path.open(newline="") as file:
        ids = [row[column] for row in csv.DictReader(file)]
    return len(ids), len(set(ids))


def _environment(db: str, home: Path) -> dict[str, str]:
    env = dict(os.environ, DEVOTION_HOME=str(home), DJANGO_SETTINGS_MODULE="devotion.settings")
    # Python caches compiled modules, so a command starts faster from its second run; where
    # the environment turns that off (this CI machine does), each import paid ~1 s for
    # compiling Django and the project. Measure what a normal installation runs.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if db == "postgres":
        env["DATABASE_URL"] = f"{SERVER}/{BENCH_DB}"
    else:
        env.pop("DATABASE_URL", None)
    return env


def _fresh_database(db: str, env: dict[str, str]) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    else:
        for name in Path(env["DEVOTION_HOME"]).glob("devotion.sqlite3*"):
            name.unlink()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def _count(db: str, env: dict[str, str], table: str) -> int:
    sql = f"SELECT COUNT(*) FROM {table}"
    if db == "postgres":
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            row = conn.execute(sql).fetchone()
            assert row is not None
            return int(row[0])
    with sqlite3.connect(Path(env["DEVOTION_HOME"]) / "devotion.sqlite3") as conn:
        return int(conn.execute(sql).fetchone()[0])


class TreeMemory(threading.Thread):
    """Samples the memory of a process and all its descendants together (the importer and
    its helper process) every 0.2 s; ``peak`` in KiB. Linux /proc only."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = False

    def run(self) -> None:
        # Reading /proc costs CPU the import would use: the tree (a helper starts once) is
        # found again every second, memory read every 0.2 s (it moves in plateaus).
        pids, found_at = [self.pid], 0.0
        while not self.stop:
            if time.monotonic() - found_at > 1:
                pids, found_at = _tree(self.pid), time.monotonic()
            self.peak = max(self.peak, sum(_rss(pid) for pid in pids))
            time.sleep(0.2)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss(pid: int) -> int:
    """Proportional set size: a page the forked helper still shares with the importer counts
    half in each, so the sum is the memory the two use together."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _server_cpu() -> float | None:
    """CPU seconds the local PostgreSQL server has used so far: its running processes, and
    those that ended (the import's own connection ends with it), which count in the
    postmaster's children. None where there is no such server or /proc."""
    processes = {}  # pid: (parent, own ticks, ended children's ticks)
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own, ended = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        processes[entry.name] = (fields[1], own, ended)
    if not processes:
        return None
    ticks = sum(own for _, own, _ in processes.values())
    # The postmaster is the one whose parent is not the server.
    ticks += sum(ended for parent, _, ended in processes.values() if parent not in processes)
    return ticks / os.sysconf("SC_CLK_TCK")


def run_once(args: argparse.Namespace, path: Path, orders: int, home: Path) -> dict[str, float]:
    env = _environment(args.db, home)
    _fresh_database(args.db, env)
    command = [sys.executable, "manage.py", "import_data", "orders", str(path)]
    command += ["--source", args.source]
    if args.profile:
        command = [sys.executable, "-m", "cProfile", "-o", args.profile, *command[1:]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = _server_cpu() if args.db == "postgres" else None
    start = time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        sampler = TreeMemory(process.pid)
        sampler.start()
        stdout, stderr = process.communicate()
        sampler.stop = True
        sampler.join()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = _server_cpu() if server_before is not None else None
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if done.returncode:
        raise SystemExit(f"import failed:\n{done.stdout}\n{done.stderr}")
    stored = _count(args.db, env, "touchpoints_touchpoint")
    if stored != orders:
        raise SystemExit(f"expected {orders:,} orders, stored {stored:,}: {done.stdout}")
    return {
        "rows_per_s": args.rows / seconds,
        "seconds": seconds,
        "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "server_cpu_s": (
            server_after - server_before
            if server_before is not None and server_after is not None
            else -1.0
        ),
        "peak_rss_mb": after.ru_maxrss / 1024,
        "peak_tree_mb": sampler.peak / 1024,
        "people": _count(args.db, env, "people_person"),
        "summary": done.stdout.strip(),  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows in the file")
    parser.add_argument("--customers", type=int, default=0, help="default: rows * 0.15")
    parser.add_argument("--source", choices=("generic", "shopify"), default="generic")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", metavar="FILE", help="cProfile the importing process")
    parser.add_argument("--keep", action="store_true", help="keep the file and database")
    parser.add_argument(
        "--file", type=Path, help="import this file (written by an earlier run) instead"
    )
    args = parser.parse_args()
    args.customers = args.customers or max(1, int(args.rows * 0.15))

    print(f"machine: {machine()}")
    home = Path(tempfile.mkdtemp(prefix="devotion-bench-import-"))
    path = home / f"{args.source}_orders.csv"
    start = time.perf_counter()
    if args.file:
        path = args.file
        args.rows, orders = _file_counts(path, args.source)
    else:
        orders = write_orders(path, args.rows, args.customers, args.source)
    print(
        f"workload: {args.rows:,} {args.source} rows ({orders:,} orders, "
        f"{path.stat().st_size / 1024**2:,.0f} MiB), {args.customers:,} customers, {args.db}; "
        f"ready in {time.perf_counter() - start:.1f}s",
        flush=True,
    )
    results = []
    try:
        for run in range(args.runs):
            result = run_once(args, path, orders, home)
            results.append(result)
            server_s = result["server_cpu_s"]
            server = f" + server {server_s:.1f}s" if server_s >= 0 else ""
            print(
                f"run {run + 1}: {result['rows_per_s']:,.0f} rows/s "
                f"({orders / result['seconds']:,.0f} orders/s), {result['seconds']:.1f}s, "
                f"CPU {result['cpu_s']:.1f}s{server}, peak RSS {result['peak_rss_mb']:.0f} MiB "
                f"(largest process; all together {result['peak_tree_mb']:.0f} MiB), "
                f"{result['people']:,} people, load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    finally:
        if not args.keep:
            if args.db == "postgres":
                import psycopg

                with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"kept: {home}")
    if results:
        print(f"summary of the last run: {results[-1]['summary']}")
        best = statistics.median(r["rows_per_s"] for r in results)
        print(f"median: {best:,.0f} rows/s")
        # The machine's speed drifts within the hour: how fast it was by the end.
        print(f"speed after the runs: {speed():.3f} s")


if __name__ == "__main__":
    main()
