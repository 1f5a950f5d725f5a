"""Per-key rate limits: a fixed one-minute window counted in Django's cache.

The cache is shared by every server process (file-based by default, any shared backend in
production), so the limit holds across workers. A fixed window lets a burst of up to twice the
limit straddle a window boundary; that is the usual trade for a cheap counter.

A cache write costs milliseconds with the file-based cache, too much for every request at
hundreds of requests a second. So each process counts locally and adds its count to the
shared counter once it reaches 1% of the limit or is ``FLUSH_SECONDS`` old. With small limits
(under 100 a minute) that is every request, so they are exact; with large ones a process may
overshoot by at most 1% of the limit plus what it serves in ``FLUSH_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60
FLUSH_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Allowance:
    """The state of one key's window after counting a request."""

    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets; only meaningful when not allowed

    @property
    def allowed(self) -> bool:
        return self.remaining >= 0

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
        }


@dataclass(slots=True)
class _Local:
    """This process's view of one key's window: the shared count last seen, plus ours."""

    window: int
    shared: int = 0
    pending: int = 0
    flushed_at: float = 0.0


_local: dict[int, _Local] = {}
_lock = threading.Lock()


def _flush(name: str, pending: int) -> int:
    """Add ``pending`` to the shared counter; returns the new shared total."""
    # add() is a no-op when the counter exists, so two processes cannot reset each other.
    cache.add(name, 0, timeout=WINDOW_SECONDS + 5)
    try:
        return cache.incr(name, pending)
    except ValueError:  # expired between add and incr
        cache.set(name, pending, timeout=WINDOW_SECONDS + 5)
        return pending


def hit(key_id: int, *, now: float | None = None) -> Allowance:
    """Count one request for API key ``key_id`` and say whether it is within the limit."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    name = f"api-rate:{key_id}:{window}"
    with _lock:
        state = _local.get(key_id)
        if state is None or state.window != window:
            state = _local[key_id] = _Local(window=window)
        state.pending += 1
        if state.pending >= max(1, limit // 100) or now - state.flushed_at >= FLUSH_SECONDS:
            state.shared = _flush(name, state.pending)
            state.pending, state.flushed_at = 0, now
        count = state.shared + state.pending
    reset_in = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
    return Allowance(limit=limit, remaining=limit - count, retry_after=reset_in)


def reset() -> None:
    """Forget this process's local counts (tests, after clearing the cache)."""
    with _lock:
        _local.clear()
