"""The ``devotion`` command: a thin front to Django management commands.

``devotion import orders FILE`` runs the ``import_data`` command, and so on; every subcommand is
an ordinary management command under ``devotion/*/management/commands/``, so it is testable with
``call_command`` and shows up in ``devotion help``.
"""

from __future__ import annotations

import os
import sys

# CLI name -> management command, where they differ ("import" is a Python keyword).
ALIASES = {
    "import": "import_data",
    "person": "person",
    "apikey": "apikey",
    "demo": "demo",
    "serve": "serve",
    "worker": "worker",
    "recount-spend": "recount_spend",
    "analyze": "analyze",
    "learn": "learn",
    "retention-report": "retention_report",
    "score": "score",
    "scores": "scores",
}


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``devotion`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotion.settings")
    from django.core.management import execute_from_command_line

    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["devotion", *args])


if __name__ == "__main__":
    main()
