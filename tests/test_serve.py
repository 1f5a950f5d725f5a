"""`devotion serve`: the web server and the worker start together and stop together."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devotion.core.management.commands.serve import supervise

pytestmark = [
    pytest.mark.slow,
    pytest.mark.own_sqlite,
    pytest.mark.skipif(
        importlib.util.find_spec("gunicorn") is None, reason="gunicorn is not installed"
    ),
]
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(DEVOTION_HOME=str(home), DJANGO_SETTINGS_MODULE="devotion.settings")
    return env


def _devotion(*args: str) -> list[str]:
    return [sys.executable, "-m", "devotion.cli", *args]


def test_serve_answers_http_and_stops_cleanly_on_sigterm(tmp_path):
    env = _env(tmp_path)
    subprocess.run(_devotion("migrate", "-v", "0"), env=env, cwd=ROOT, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(
        _devotion("serve", "--port", str(port), "--workers", "1"),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        status = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as reply:
                    status = reply.status
            except OSError:  # not listening yet, or still booting under load
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.3)
        assert status == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
        output = server.stdout.read().decode()
        assert "Serving on" in output
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


def test_serve_refuses_a_database_with_unapplied_migrations(tmp_path):
    result = subprocess.run(
        _devotion("serve", "--port", str(_free_port())),
        env=_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "devotion migrate" in result.stderr


def test_when_one_process_dies_the_other_is_stopped_and_the_status_is_non_zero():
    started = time.monotonic()
    code = supervise(
        {
            "sleeper": [sys.executable, "-c", "import time; time.sleep(60)"],
            "crasher": [sys.executable, "-c", "import sys; sys.exit(3)"],
        },
        log=lambda message: None,
    )
    assert code == 3
    assert time.monotonic() - started < 15
