"""``devotion serve``: the web app under gunicorn and the background workers beside it.

One command, nothing else to start. The web server and one worker per queue group
(``core/queues.py``) run as child processes of this one; Ctrl-C or SIGTERM stops them all, and
if one dies the others are stopped and the command exits non-zero,
so a process supervisor (systemd, Docker) sees the failure and restarts them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from devotion.core.management.commands.worker import worker_commands
from devotion.core.queues import WORKER_GROUPS

STOP_TIMEOUT = 10.0
# gunicorn's default access log format writes the request line with its query string and the
# Referer, so every search (e-mail addresses, names, phone numbers) would land in the log.
# Ours keeps the method, the path alone (%(U)s), status, size, duration and user agent.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'


def pending_migrations() -> list[str]:
    """Names of migrations not yet applied to the database."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def default_workers() -> int:
    return min(8, 2 * (os.cpu_count() or 1) + 1)


class Command(BaseCommand):
    help = "Serve the web app (gunicorn) and run the background workers beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=default_workers(), help="gunicorn worker processes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # 1. Refuse to serve a database the code does not match.
        pending = pending_migrations()
        if pending:
            raise CommandError(
                f"The database has {len(pending)} unapplied migration(s) "
                f"({', '.join(pending[:3])}{', ...' if len(pending) > 3 else ''}). "
                "Run `devotion migrate` (or `devotion demo` for a demo installation) first."
            )
        # 2. Static files for whitenoise, if never collected.
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            call_command("collectstatic", interactive=False, verbosity=0)
        connection.close()
        # 3. Start both children and watch them.
        bind = f"{options['host']}:{options['port']}"
        web = web_command(bind, options["workers"])
        # One worker process per queue group: a webhook backlog never holds up an import.
        workers = worker_commands()
        self.stdout.write(
            f"Serving on http://{bind}/ with {len(workers)} background workers "
            f"({', '.join(WORKER_GROUPS)}). Ctrl-C stops."
        )
        code = supervise({"web server": web, **workers}, self.stderr.write)
        if code:
            raise CommandError(f"stopped: a child process exited with status {code}", returncode=1)


def web_command(bind: str, workers: int) -> list[str]:
    """The gunicorn command line for the web app."""
    command = [sys.executable, "-m", "gunicorn", "devotion.wsgi:application"]
    command += ["--bind", bind, "--workers", str(max(1, workers))]
    command += ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT]
    return [*command, "--graceful-timeout", "5", "--timeout", "60"]


def supervise(commands: dict[str, list[str]], log: Any) -> int:
    """Run the commands side by side until a signal (returns 0) or one exits (returns its
    status, or 1 if it exited with 0); the others are then stopped."""
    stopping: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            # Own process group: a Ctrl-C on the terminal reaches us once, and we stop the
            # children in order, instead of everyone receiving it at the same time.
            children[name] = subprocess.Popen(  # noqa: S603
                command, start_new_session=True, preexec_fn=_die_with_parent
            )
        code = 0
        while not stopping:
            dead = [(name, p.returncode) for name, p in children.items() if p.poll() is not None]
            if dead:
                name, status = dead[0]
                log(f"The {name} exited (status {status}); stopping the rest.")
                code = status or 1
                break
            time.sleep(0.2)
        return code
    finally:
        _stop(list(children.values()))
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _die_with_parent() -> None:
    """On Linux, have the kernel stop the child if this process is killed outright (SIGKILL),
    so a crashed supervisor never leaves a server or worker behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
