"""The task queues and which worker process serves which (no Django imports: settings use it).

Each kind of long work has a queue of its own, and ``devotion serve`` / ``devotion worker`` run
one worker process per group below, so a backlog on one queue (347,000 webhook deliveries
retrying against a dead endpoint) never holds up another (a one-row upload).
"""

from __future__ import annotations

DEFAULT = "default"
IMPORTS = "imports"
SCORING = "scoring"
ANALYSIS = "analysis"
WEBHOOKS = "webhooks"

QUEUES = [DEFAULT, IMPORTS, SCORING, ANALYSIS, WEBHOOKS]

# One worker process per group: imports and webhooks alone, the rest share one.
WORKER_GROUPS: dict[str, list[str]] = {
    "imports": [IMPORTS],
    "webhooks": [WEBHOOKS],
    "general": [DEFAULT, SCORING, ANALYSIS],
}
