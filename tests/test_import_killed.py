"""An import killed with ``kill -9`` leaves no helper process running and no scratch files.

Each test runs a real ``devotion import`` in a subprocess with a DEVOTION_HOME of its own,
waits until its helper process has started, kills the import with SIGKILL and checks that the
helper goes too, and that the next import sweeps the scratch folder the dead one left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.own_sqlite,  # its imports run on their own SQLite installation
    pytest.mark.skipif(sys.platform != "linux", reason="finds child processes through /proc"),
]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")}
    env.update(DEVOTION_HOME=str(home), DJANGO_SETTINGS_MODULE="devotion.settings")
    return env


def _devotion(home: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "devotion.cli", *args],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _run(home: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "devotion.cli", *args],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """An installation with its own SQLite database, migrated once for the module."""
    home = tmp_path_factory.mktemp("home")
    _run(home, "migrate", "--verbosity", "0")
    return home


def _state(pid: int) -> str | None:
    """The process's state letter, or None when it no longer exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    return _state(pid) in (None, "Z", "X")  # a zombie has exited; only its parent must reap it


def _kill_once_the_helper_runs(home: Path, *args: str) -> list[int]:
    """Start ``devotion import ARGS``, SIGKILL it once it has a helper; the helpers' pids."""
    process = _devotion(home, "import", *args)
    deadline = time.monotonic() + 60
    helpers: list[int] = []
    while not helpers:
        assert process.poll() is None, "the import ended before its helper started"
        assert time.monotonic() < deadline, "no helper process started"
        time.sleep(0.05)
        helpers = _children(process.pid)
    time.sleep(0.3)  # mid-way: the helper is reading
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    return helpers


def _wait_until_gone(pids: list[int], seconds: float = 5) -> list[int]:
    """The pids still running after ``seconds`` (killed then, so a failure leaks nothing)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid in pids if not _gone(pid)]
        if not left:
            return []
        time.sleep(0.1)
    left = [pid for pid in pids if not _gone(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def _orders(path: Path, rows: int) -> Path:
    with path.open("w") as out:
        out.write("external_id,occurred_at,email,name,amount,currency,product_name\n")
        for n in range(rows):
            out.write(
                f"o-{n},2025-05-01T10:00:00Z,c{n % 5000}@example.com,Customer {n % 5000},"
                f"{n % 90 + 10}.00,USD,A product with a reasonably long name number {n % 40}\n"
            )
    return path


def _customers(path: Path, rows: int) -> Path:
    with path.open("w") as out:
        out.write("email,name,phone,country,notes\n")
        for n in range(rows):
            out.write(f"p{n}@example.com,Person {n},,FR,{'a long note ' * 6}\n")
    return path


def test_killing_a_columnar_import_ends_its_helper_and_the_next_import_sweeps_its_files(
    home, tmp_path
):
    started = time.monotonic()
    orders = _orders(tmp_path / "orders.csv", 70_000)  # ~7 MB: the columnar lane
    helpers = _kill_once_the_helper_runs(home, "orders", str(orders))

    assert _wait_until_gone(helpers) == []
    scratch = home / "tmp"
    left = [p for p in scratch.iterdir() if p.name.startswith("devotion-import-")]
    assert left, "the killed import should have had a scratch folder"
    assert (scratch.stat().st_mode & 0o777) == 0o700
    assert all((p.stat().st_mode & 0o777) == 0o700 for p in left)

    # The next import, of anything, sweeps the dead import's folder.
    small = tmp_path / "one.csv"
    small.write_text("external_id,occurred_at,email,amount,currency\no-x,2025-05-01,a@b.co,1,USD\n")
    _run(home, "import", "orders", str(small))
    assert not any(p.exists() for p in left)
    print(f"columnar kill test took {time.monotonic() - started:.1f} s")


def test_killing_a_general_import_ends_its_reading_helper(home, tmp_path):
    customers = _customers(tmp_path / "customers.csv", 60_000)  # ~6 MB: read in a helper
    helpers = _kill_once_the_helper_runs(home, "customers", str(customers))
    assert _wait_until_gone(helpers) == []
