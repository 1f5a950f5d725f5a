"""Sending webhook deliveries, in the background worker, with retries and backoff.

``dispatch.emit`` creates :class:`~devotion.webhooks.models.Delivery` rows after the request's
transaction commits and enqueues :func:`deliver_many`; the worker (``devotion worker`` or the
one ``devotion serve`` starts) does the HTTP. A failed attempt schedules the same task again
with ``run_after`` set by :data:`BACKOFF`; after :data:`MAX_ATTEMPTS` the delivery is failed and
waits for a manager to press "Retry now".
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from devotion.core import queues
from devotion.lib import netguard, signing
from devotion.webhooks.models import Delivery, Subscription

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# Wait before attempt 2, 3, ...; the attempt after the last wait is the final one.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
USER_AGENT = "Devotion-Webhooks/1"
# A queued retry may start a little before its delivery's next_attempt_at; allow for that.
_EARLY_SLACK = timedelta(seconds=5)


def backoff_after(attempts: int) -> timedelta | None:
    """How long to wait after ``attempts`` failed attempts; None when it is time to give up.

    >>> backoff_after(1), backoff_after(5), backoff_after(6)
    (datetime.timedelta(seconds=60), datetime.timedelta(seconds=28800), None)
    """
    if attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[max(attempts, 1) - 1]


def body_of(delivery: Delivery) -> bytes:
    """The exact JSON body POSTed for a delivery (and signed)."""
    envelope = {
        "id": delivery.event_id,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), default=str).encode()


@dataclass(slots=True)
class Attempt:
    """What one HTTP attempt gave: a status code, or an error in words (and its technical cause)."""

    status_code: int | None
    error: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _pinned(connection: http.client.HTTPConnection, addresses: list[str]) -> None:
    """Make ``connection`` connect to the checked ``addresses``, never to a fresh DNS answer.

    The Host header and (for https) the TLS server name and certificate check still use the
    URL's host name: only where the socket goes changes.
    """

    def create_connection(
        address: tuple[str, int], timeout: float, source: tuple[str, int] | None = None
    ) -> socket.socket:
        error: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source)
            except OSError as exc:
                error = exc
        assert error is not None
        raise error

    connection._create_connection = create_connection  # type: ignore[attr-defined]


def explain(exc: BaseException, host: str) -> Attempt:
    """An exception from sending, as a failed :class:`Attempt` in words a manager understands.

    >>> explain(ConnectionRefusedError(111, "Connection refused"), "h.example").error
    'connection refused by the receiver'
    >>> explain(TimeoutError("timed out"), "h.example").error
    'timed out after 10 s'
    """
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, netguard.AddressNotAllowed):
        return Attempt(None, str(exc)[:200])
    if isinstance(exc, netguard.LookupFailed):
        return Attempt(None, f"DNS lookup failed: no address found for {host}"[:200], detail)
    if isinstance(exc, TimeoutError):
        return Attempt(None, f"timed out after {TIMEOUT_SECONDS} s", detail)
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or "not trusted"
        return Attempt(None, f"TLS certificate problem: {why}"[:200], detail)
    if isinstance(exc, ssl.SSLError):
        return Attempt(None, "TLS handshake failed (is this an https:// server?)", detail)
    if isinstance(exc, ConnectionRefusedError):
        return Attempt(None, "connection refused by the receiver", detail)
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError):
        return Attempt(None, "the receiver closed the connection without answering", detail)
    if isinstance(exc, http.client.HTTPException):
        return Attempt(None, "the receiver's answer was not valid HTTP", detail)
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return Attempt(None, "receiver unreachable: no network route to it", detail)
    return Attempt(None, "network error", detail)


def post(
    url: str, body: bytes, headers: dict[str, str], *, allow_loopback: bool | None = None
) -> Attempt:
    """POST ``body`` to ``url``; never raises for network or HTTP errors.

    The host is resolved here and every address it has is checked (:mod:`devotion.lib.netguard`)
    before connecting to one of them. Redirects are answers, never followed: following one
    could send the payload somewhere else.
    """
    if allow_loopback is None:
        allow_loopback = settings.WEBHOOKS_ALLOW_LOOPBACK
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return Attempt(None, "only http and https URLs are allowed")
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return Attempt(None, "the URL's port is not a number from 1 to 65535")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = netguard.checked_addresses(host, port, allow_loopback=allow_loopback)
        connection = connection_class(host, port, timeout=TIMEOUT_SECONDS)
        _pinned(connection, [str(ip) for ip in addresses])
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
            response = connection.getresponse()
            response.read(64 * 1024)  # a polite read of the answer; its content is not kept
        finally:
            connection.close()
    except Exception as exc:  # every failure is recorded, none may stop the worker
        return explain(exc, host)
    code, reason = response.status, response.reason
    if 200 <= code < 300:
        return Attempt(code)
    if 300 <= code < 400:
        location = response.getheader("Location") or "no Location"
        return Attempt(code, f"redirect not followed ({code} to {location})"[:200])
    return Attempt(code, f"the receiver answered {code} {reason}"[:200])


def attempt_delivery(delivery: Delivery, now: datetime | None = None) -> datetime | None:
    """Make one attempt at ``delivery`` and record it; returns when to retry, or None.

    Claims the delivery with a conditional update first, so two workers never send the same
    attempt twice.
    """
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery.attempts += 1
    subscription = delivery.subscription
    if not subscription.is_active:
        result = Attempt(None, "subscription is paused")
    else:
        body = body_of(delivery)
        result = post(
            subscription.url,
            body,
            signing.headers(subscription.secret, delivery.event, delivery.event_id, body),
        )
    now = now or timezone.now()
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.last_error_detail = result.detail
    retry_at = None
    if result.ok:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        wait = backoff_after(delivery.attempts) if subscription.is_active else None
        if wait is None:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            retry_at = delivery.next_attempt_at = now + wait
    delivery.save(
        update_fields=[
            "status",
            "last_status_code",
            "last_error",
            "last_error_detail",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    log.info(
        "webhook delivery %s (subscription %s, attempt %s): %s",
        delivery.pk,
        subscription.pk,
        delivery.attempts,
        delivery.status if result.ok else (result.status_code or result.error),
    )
    return retry_at


@task(queue_name=queues.WEBHOOKS)
def deliver_many(delivery_ids: list[int]) -> dict[str, int]:
    """Attempt every pending, due delivery among ``delivery_ids``; schedule retries."""
    now = timezone.now()
    due = Delivery.objects.filter(
        pk__in=delivery_ids, status=Delivery.Status.PENDING
    ).select_related("subscription")
    counts = {"delivered": 0, "retrying": 0, "failed": 0, "skipped": 0}
    retries: dict[datetime, list[int]] = {}
    for delivery in due:
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now + _EARLY_SLACK:
            counts["skipped"] += 1  # a newer retry is already scheduled for it
            continue
        retry_at = attempt_delivery(delivery)
        if retry_at is not None:
            retries.setdefault(retry_at, []).append(delivery.pk)
            counts["retrying"] += 1
        elif delivery.status == Delivery.Status.DELIVERED:
            counts["delivered"] += 1
        elif delivery.status == Delivery.Status.FAILED:
            counts["failed"] += 1
        else:
            counts["skipped"] += 1
    for when, ids in retries.items():
        deliver_many.using(run_after=when).enqueue(ids)
    return counts


def queue_ping(subscription: Subscription) -> Delivery:
    """Create a ``ping`` delivery for ``subscription`` and send it after the commit."""
    delivery = Delivery.objects.create(
        subscription=subscription,
        event="ping",
        event_id=uuid.uuid4().hex,
        payload={"message": "Test event from Devotion", "subscription_id": subscription.pk},
    )
    transaction.on_commit(lambda: deliver_many.enqueue([delivery.pk]))
    return delivery


def retry_now(delivery: Delivery) -> None:
    """Queue one more attempt at a failed (or waiting) delivery, now.

    The attempt count is kept, so a delivery that had given up gets exactly one more try
    (and no new series of retries) when it fails again.
    """
    if delivery.status == Delivery.Status.DELIVERED:
        return
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING, next_attempt_at=None
    )
    transaction.on_commit(lambda: deliver_many.enqueue([delivery.pk]))
