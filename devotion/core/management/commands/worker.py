"""``devotion worker``: the background workers alone, for deployments that run them separately.

Without ``--queues`` it starts one worker process per queue group (``core/queues.py``: imports,
webhooks, and the rest) and supervises them like ``devotion serve`` does, so a backlog on one
queue never holds up another. ``--queues imports`` runs one worker for just those queues.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devotion.core.queues import QUEUES, WORKER_GROUPS


def worker_commands(interval: float = 1.0) -> dict[str, list[str]]:
    """One ``devotion worker --queues ...`` command line per queue group, by process name."""
    return {
        f"worker ({name})": [
            *(sys.executable, "-m", "devotion.cli", "worker"),
            *("--queues", ",".join(names), "--interval", str(interval)),
        ]
        for name, names in WORKER_GROUPS.items()
    }


class Command(BaseCommand):
    help = (
        "Run the background workers: one process per queue group (imports, webhooks, the rest), "
        "or one worker for --queues."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default="",
            help=f"comma-separated queues for one worker ({', '.join(QUEUES)}, or * for all "
            "in one process); default: a worker process per queue group",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued now, then exit (--queues)"
        )
        parser.add_argument(
            "--reload", action="store_true", help="restart on code changes (development)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["queues"]:
            # A process per group, supervised: if one dies, all stop and the status says so.
            from devotion.core.management.commands.serve import supervise

            if options["batch"] or options["reload"]:
                raise CommandError("--batch and --reload need --queues")
            code = supervise(worker_commands(options["interval"]), self.stderr.write)
            if code:
                raise CommandError(f"stopped: a worker exited with status {code}", returncode=1)
            return
        names = [name.strip() for name in options["queues"].split(",") if name.strip()]
        unknown = [name for name in names if name != "*" and name not in QUEUES]
        if unknown or not names:
            raise CommandError(
                f"Unknown queue {', '.join(unknown) or '(none)'}: choose from {', '.join(QUEUES)}."
            )
        call_command(
            "db_worker",
            queue_name=",".join(names),
            interval=options["interval"],
            batch=options["batch"],
            reload=options["reload"],
            startup_delay=not options["batch"],
            verbosity=options["verbosity"],
        )
