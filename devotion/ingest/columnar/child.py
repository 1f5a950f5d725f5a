"""Where the columnar lane's helper process starts (see :func:`.store.prepared_in_helper`).

Importable before Django is set up, so that a spawned helper (where forking is not safe) can
load this module, set Django up, and only then import the lane.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def run(path: str, now: datetime, chunk_orders: int, spill: str, rates: Any, conn: Any) -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from devotion.ingest.columnar.helper import serve_chunks

    serve_chunks(path, now, chunk_orders, spill, rates, conn)
