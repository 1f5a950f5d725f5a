"""Signing outgoing webhooks, and verifying them on the receiving side.

A delivery carries ``Devotion-Signature: t=<unix time>,v1=<hex>`` where the hex is
HMAC-SHA256, keyed with the subscription's secret, over ``"<unix time>.<raw body>"``. Signing
the time with the body stops an attacker replaying an old delivery: receivers reject
signatures older than a tolerance (five minutes by default).

This module imports nothing from Django, so receivers can copy it as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Devotion-Signature"
EVENT_HEADER = "Devotion-Event"
DELIVERY_HEADER = "Devotion-Delivery"
DEFAULT_TOLERANCE = 300


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def compute(secret: str, timestamp: int, body: str | bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``.

    >>> compute("whsec_test", 1700000000, b'{"id":"1"}')[:16]
    '11bf4466ea17c3df'
    """
    message = str(int(timestamp)).encode() + b"." + _as_bytes(body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: str | bytes, timestamp: int | None = None) -> str:
    """The value of the ``Devotion-Signature`` header for ``body`` sent at ``timestamp``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={ts},v1={compute(secret, ts, body)}"


def headers(
    secret: str, event: str, delivery_id: str, body: str | bytes, timestamp: int | None = None
) -> dict[str, str]:
    """Every header a delivery carries besides the content type."""
    return {
        SIGNATURE_HEADER: sign(secret, body, timestamp),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }


def parse(header: str) -> tuple[int | None, list[str]]:
    """Split a signature header into its timestamp and its ``v1`` signatures.

    >>> parse("t=12,v1=ab,v1=cd")
    (12, ['ab', 'cd'])
    >>> parse("garbage")
    (None, [])
    """
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def verify(
    secret: str,
    header: str,
    body: str | bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when ``header`` is a valid signature of ``body`` made less than ``tolerance`` s ago.

    Pass the raw request body, exactly as received (before any JSON parsing). Comparison is in
    constant time. Several ``v1=`` entries are accepted, so a sender may sign with an old and a
    new secret while rotating.

    >>> body = b'{"id": "abc"}'
    >>> header = sign("whsec_test", body, timestamp=1700000000)
    >>> verify("whsec_test", header, body, now=1700000100)
    True
    >>> verify("whsec_test", header, body + b" ", now=1700000100)
    False
    >>> verify("whsec_test", header, body, now=1700009999)
    False
    """
    timestamp, signatures = parse(header or "")
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        return False
    expected = compute(secret, timestamp, body)
    # Check every candidate, so timing does not reveal which one matched.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    return matched
