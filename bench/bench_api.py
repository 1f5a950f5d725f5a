"""Benchmark: the REST API under gunicorn, driven from a separate client process over loopback.

(a) **Batch throughput**: sustained events/s posting 1,000-event batches to ``POST
/api/v1/events`` (realistic orders, messages and reviews with unique external ids, for a pool
of people that keeps recurring so identity resolution finds existing people), with
``--concurrency`` requests in flight so every server worker is busy.

(b) **Single-event latency**: p50/p90/p99 of one-event POSTs sent at a steady
``--rate`` requests/s for ``--seconds`` (open loop: each request is sent at its scheduled
time whether or not earlier ones have answered; latency is measured from the scheduled time,
so a stalled server cannot hide its queueing).

    uv run python bench/bench_api.py --db sqlite
    uv run python bench/bench_api.py --db postgres --batches 300 --seconds 30

The server runs as ``devotion serve`` runs it (gunicorn, ``--workers`` processes, default 2)
against a fresh database: a temporary ``DEVOTION_HOME`` with SQLite, or the dedicated
PostgreSQL database ``devotion_bench_api`` (dropped and re-created) on the server of
``BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432``). The rate limit is
raised for the run. Nothing else is touched; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "devotion_bench_api"
TEXTS = [
    "My parcel arrived two days late and the box was crushed.",
    "Thanks, Sam was really helpful on the phone!",
    "I was charged twice for the same order, please refund one.",
    "Love the new mugs, my dog Biscuit knocked one over and it survived.",
    "The reply I got was rude. Not impressed.",
    "Great service as always, see you next month.",
]


# ------------------------------------------------------------------------------ workload


def make_event(rng: random.Random, seq: int, people: int, prefix: str) -> dict[str, Any]:
    """One realistic raw event with a unique external id, for one of ``people`` people."""
    who = rng.randrange(people)
    when = datetime(2025, 6, 1, tzinfo=UTC) - timedelta(minutes=rng.randrange(600_000))
    person: dict[str, Any] = {"email": f"person{who}@bench.example", "name": f"Person {who}"}
    if who % 3 == 0:
        person["phone"] = f"+1 415 {500 + who // 10_000 % 400:03d} {who % 10_000:04d}"
    roll = rng.random()
    base = {"source": "bench", "external_id": f"{prefix}-{seq}", "occurred_at": when.isoformat()}
    if roll < 0.7:
        quantity = rng.randint(1, 3)
        price = rng.choice(["9.90", "24.00", "49.50", "120.00"])
        return {
            **base,
            "kind": "order",
            "channel": "web",
            "person": person,
            "currency": "USD",
            "lines": [
                {
                    "product_id": f"SKU-{rng.randrange(500):04d}",
                    "product_name": "Product",
                    "quantity": quantity,
                    "unit_price": price,
                }
            ],
        }
    if roll < 0.9:
        return {
            **base,
            "kind": "message",
            "channel": "email",
            "direction": rng.choice(["in", "out"]),
            "thread": f"T-{who}",
            "subject": "About my order",
            "text": rng.choice(TEXTS),
            "person": person,
        }
    return {
        **base,
        "kind": "review",
        "channel": "review_site",
        "rating": rng.randint(1, 5),
        "text": rng.choice(TEXTS),
        "person": person,
    }


# -------------------------------------------------------------------------------- client


def _post(port: int, key: str, body: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(
            "POST",
            "/api/v1/events",
            body=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def client_batches(port: int, key: str, batches: int, size: int, concurrency: int) -> dict:
    rng = random.Random(1)
    bodies = [
        json.dumps(
            {"events": [make_event(rng, b * size + i, 50_000, "b") for i in range(size)]}
        ).encode()
        for b in range(batches)
    ]
    errors = 0
    created = 0

    def send(body: bytes) -> None:
        nonlocal errors, created
        status, content = _post(port, key, body)
        if status != 200:
            errors += 1
            return
        created += json.loads(content)["created"]

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, bodies))
    seconds = time.perf_counter() - start
    total = batches * size
    return {
        "events": total,
        "created": created,
        "errors": errors,
        "seconds": round(seconds, 2),
        "events_per_s": round(total / seconds),
    }


def client_latency(port: int, key: str, rate: float, seconds: float) -> dict:
    """Open-loop single-event POSTs from one asyncio loop (a thread per request would make
    the load generator, on the same two cores, the bottleneck it is meant to measure)."""
    import asyncio

    rng = random.Random(2)
    count = int(rate * seconds)
    requests = [
        _request_bytes(key, json.dumps(make_event(rng, i, 50_000, "s")).encode())
        for i in range(count)
    ]
    latencies: list[float] = []
    service: list[float] = []
    errors = 0

    async def send(request: bytes, scheduled: float) -> None:
        nonlocal errors
        sent = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            response = await reader.read()  # the sync worker closes the connection when done
            writer.close()
            status = int(response[9:12]) if response.startswith(b"HTTP/1.") else 0
        except OSError:
            status = 0
        done = time.perf_counter()
        if status != 200:
            errors += 1
        latencies.append((done - scheduled) * 1000)
        service.append((done - sent) * 1000)

    async def run() -> float:
        tasks = []
        start = time.perf_counter() + 0.1
        for i, request in enumerate(requests):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(request, scheduled)))
        await asyncio.gather(*tasks)
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)

    return {
        "requests": count,
        "errors": errors,
        "achieved_rate": round(count / elapsed, 1),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(ordered[-1], 1),
        "mean_service_ms": round(statistics.fmean(service), 1),
    }


def _request_bytes(key: str, body: bytes) -> bytes:
    head = (
        "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


# -------------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "devotion.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _postgres_url() -> str:
    import psycopg

    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return f"{server}/{BENCH_DB}"


def _wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def _run_client(port: int, key: str, mode: str, args: argparse.Namespace) -> dict:
    """Run one phase in a separate client process; returns its JSON result."""
    command = [sys.executable, __file__, "client", mode, "--port", str(port), "--key", key]
    command += ["--batches", str(args.batches), "--batch-size", str(args.batch_size)]
    command += ["--concurrency", str(args.concurrency)]
    command += ["--rate", str(args.rate), "--seconds", str(args.seconds)]
    output = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", nargs="?", default="server", choices=["server", "client"])
    parser.add_argument("mode", nargs="?", default="", choices=["", "batches", "latency"])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (gunicorn's gthread if > 1)"
    )
    parser.add_argument("--batches", type=int, default=200, help="1,000-event batches to post")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2, help="batches in flight")
    parser.add_argument("--rate", type=float, default=200.0, help="single POSTs per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency run")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", default="")
    args = parser.parse_args()

    if args.role == "client":
        if args.mode == "batches":
            result = client_batches(
                args.port, args.key, args.batches, args.batch_size, args.concurrency
            )
        else:
            result = client_latency(args.port, args.key, args.rate, args.seconds)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="devotion-bench-api-") as home:
        env = {**os.environ, "DEVOTION_HOME": home, "DEVOTION_API_RATE_LIMIT": "1000000000"}
        env.pop("DATABASE_URL", None)
        if args.db == "postgres":
            env["DATABASE_URL"] = _postgres_url()
        env["PYTHONPATH"] = str(ROOT)
        _manage(env, "migrate", "--verbosity", "0")
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        key = _manage(env, "apikey", "create", "--name", "bench", "--scopes", "events:write")
        key = key.strip().splitlines()[-1]
        port = args.port or _free_port()
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "devotion.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                "--threads", str(args.threads),
                "--timeout", "120", "--log-level", "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_until_up(port, server)
            print(f"server: gunicorn x{args.workers} on {args.db}, port {port}", flush=True)
            batches = {"events_per_s": 0, "events": 0, "errors": 0}
            if args.batches:
                batches = _run_client(port, key, "batches", args)
                print(f"(a) batch ingest: {json.dumps(batches)}", flush=True)
            latency = _run_client(port, key, "latency", args)
            print(f"(b) single-event latency: {json.dumps(latency)}", flush=True)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        print()
        print("| database | workers | batch events/s | single POST rate | p50 ms | p99 ms |")
        print("|---|---|---|---|---|---|")
        print(
            f"| {args.db} | {args.workers} | {batches['events_per_s']:,} "
            f"({batches['events']:,} events, {batches['errors']} errors) "
            f"| {latency['achieved_rate']}/s ({latency['errors']} errors) "
            f"| {latency['p50_ms']} | {latency['p99_ms']} |"
        )


if __name__ == "__main__":
    main()
