"""Fuzz the REST API with Schemathesis against a live server on a fresh demo database.

    uv run python tools/fuzz_api.py                      # SQLite (what `make fuzz` runs)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/devotion uv run python tools/fuzz_api.py
    FUZZ_SEED=1234 make fuzz                             # reproduce a run printed by CI

What it does, in order:

1. a fresh ``DEVOTION_HOME`` in a temporary folder and, on PostgreSQL, a fresh database
   (``<name>_fuzz``, dropped again at the end), filled by ``devotion demo --no-serve --size small``;
2. one API key per scope and one with every scope;
3. ``devotion serve`` on 127.0.0.1 on a free port (rate limit raised so fuzzing is not throttled);
4. ``schemathesis run`` on the live ``/api/openapi.json`` once per auth variant (every scope,
   each single scope, so every other endpoint sees a wrong-scope key, and no key), all four
   phases, the checks in ``CHECKS``, a fixed seed and a share of the time budget;
5. a summary: requests the server answered, findings, seconds; exit status 1 on any finding.

A finding prints a ``curl`` line that reproduces it; the same seed reruns the same inputs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "negative_data_rejection",
    "ignored_auth",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# (name, scopes of its key or None for no key, share of the time budget)
VARIANTS = (
    (
        "every scope",
        "events:write,people:read,surveys:read,queue:read,coach:use,text:analyze",
        0.45,
    ),
    ("events:write only", "events:write", 0.2),
    ("people:read only", "people:read", 0.2),
    ("no key", None, 0.15),
)
BIN = Path(sys.executable).parent


@dataclass
class Result:
    variant: str
    requests: int
    findings: int
    seconds: float
    exit_code: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "17")))
    parser.add_argument(
        "--budget",
        type=int,
        default=int(os.environ.get("FUZZ_BUDGET", "90")),
        help="seconds of fuzzing in all, shared between the auth variants (default 90)",
    )
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and phase")
    parser.add_argument("--workers", type=int, default=2, help="Schemathesis workers")
    args = parser.parse_args()

    # A CI timeout sends SIGTERM: leave through the finally below, which stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    home = Path(tempfile.mkdtemp(prefix="devotion-fuzz."))
    env = {
        **os.environ,
        "DEVOTION_HOME": str(home),
        # The fuzzer sends thousands of requests a minute with one key; 429s would hide the rest.
        "DEVOTION_API_RATE_LIMIT": "100000000",
        "DEVOTION_MAIL": "outbox",
    }
    database = _fresh_database(env)
    server: subprocess.Popen[bytes] | None = None
    try:
        print(f"==> demo data in {home} ({'PostgreSQL ' + database if database else 'SQLite'})")
        _run([str(BIN / "devotion"), "demo", "--no-serve", "--size", "small"], env)
        keys = _create_keys([scopes for _, scopes, _ in VARIANTS if scopes is not None], env)
        port = _free_port()
        log = (home / "server.log").open("wb")
        server = subprocess.Popen(
            [
                str(BIN / "devotion"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/api/openapi.json", server)
        print(f"==> serving on {base} ({time.monotonic() - started:.0f}s of setup)")
        results = [
            _fuzz(name, keys.get(scopes) if scopes else None, share, base, home, args)
            for name, scopes, share in VARIANTS
        ]
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if database:
            _drop_database(env, database)
        shutil.rmtree(home, ignore_errors=True)
    return _summary(results, args.seed, time.monotonic() - started)


def _fuzz(
    name: str,
    key: str | None,
    share: float,
    base: str,
    home: Path,
    args: argparse.Namespace,
) -> Result:
    """One Schemathesis run with one auth variant; its output goes straight to the log."""
    print(f"\n==> schemathesis, {name} (seed {args.seed}, {round(args.budget * share)}s)")
    log_path = home / "server.log"
    served_before = _served(log_path)
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{base}/api/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        ",".join(PHASES),
        "--seed",
        str(args.seed),
        "--max-examples",
        str(args.max_examples),
        "--max-time",
        str(max(1, round(args.budget * share))),
        "--workers",
        str(args.workers),
        "--request-timeout",
        "30",
        # No example database: the seed alone decides the inputs, so a run reproduces anywhere.
        "--generation-database",
        "none",
        "--no-color",
    ]
    if key is not None:
        command += ["--header", f"Authorization: Bearer {key}"]
    started = time.monotonic()
    process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    output = process.stdout.decode(errors="replace")
    print(output.replace(key, "dvt_…") if key else output, flush=True)
    failures = re.search(r"(\d+) unique failures?", output)
    return Result(
        variant=name,
        requests=_served(log_path) - served_before,
        findings=int(failures.group(1)) if failures else 0,
        seconds=time.monotonic() - started,
        exit_code=process.returncode,
    )


def _summary(results: list[Result], seed: int, seconds: float) -> int:
    print("\n==> API fuzzing summary")
    print(f"{'auth':<20} {'requests':>9} {'findings':>9} {'seconds':>8}  exit")
    for r in results:
        print(f"{r.variant:<20} {r.requests:>9} {r.findings:>9} {r.seconds:>8.0f}  {r.exit_code}")
    requests = sum(r.requests for r in results)
    findings = sum(r.findings for r in results)
    failed = [r for r in results if r.exit_code != 0]
    print(
        f"{'total':<20} {requests:>9} {findings:>9} {seconds:>8.0f}  "
        f"(seed {seed}; rerun with FUZZ_SEED={seed} make fuzz)"
    )
    if failed:
        print(f"API FUZZING FAILED: {', '.join(r.variant for r in failed)} (see above)")
        return 1
    print(f"API FUZZING PASSED: {requests} requests, 0 findings")
    return 0


def _served(log: Path) -> int:
    """API requests the server has answered so far (its access log lines for /api/)."""
    if not log.exists():
        return 0
    return len(re.findall(rb'"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /api/', log.read_bytes()))


def _fresh_database(env: dict[str, str]) -> str | None:
    """On PostgreSQL, point DATABASE_URL at a new empty ``<name>_fuzz`` database."""
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'devotion'}_fuzz"
    _admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_sql(url, f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    env["DEVOTION_FUZZ_ADMIN_URL"] = url
    return name


def _drop_database(env: dict[str, str], name: str) -> None:
    _admin_sql(env["DEVOTION_FUZZ_ADMIN_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_sql(url: str, sql: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.encode())


def _create_keys(scopes: list[str], env: dict[str, str]) -> dict[str, str]:
    """One API key per entry of ``scopes`` (comma-separated scope lists), made in one process."""
    code = (
        "from devotion.api.models import ApiKey\n"
        f"for scopes in {scopes!r}:\n"
        "    print('key', ApiKey.create('fuzz', scopes.split(','))[1])\n"
    )
    out = subprocess.run(
        [str(BIN / "devotion"), "shell", "-c", code], env=env, stdout=subprocess.PIPE, check=True
    ).stdout.decode()
    made = [line.split()[1] for line in out.splitlines() if line.startswith("key dvt_")]
    return dict(zip(scopes, made, strict=True))


def _run(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(command, env=env, check=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"devotion serve exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"devotion serve did not answer {url} within {timeout:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
