"""``import_finished``: what the import tells the rest of Devotion when a file import ends.

Storage imports nobody downstream of it (``tests/test_layering.py``): the audit log (trust)
connects to this signal in its ``AppConfig.ready()`` and records the import.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

import_finished = Signal()
"""Sent with ``run``: the finished :class:`~devotion.ingest.models.ImportRun` (done or failed)."""


def send_import_finished(run: object) -> None:
    """Send ``import_finished``; a receiver that fails is logged and does not fail the import."""
    for receiver, result in import_finished.send_robust(sender=type(run), run=run):
        if isinstance(result, Exception):
            log.error(
                "a receiver of 'import_finished' failed: %s",
                getattr(receiver, "__qualname__", receiver),
                exc_info=result,
            )


__all__ = ["import_finished", "send_import_finished"]
