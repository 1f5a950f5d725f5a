"""Sending webhook deliveries, in the background worker, with retries and backoff.

``dispatch.emit`` creates :class:`~devotion.webhooks.models.Delivery` rows after the request's
transaction commits and enqueues :func:`deliver_many`; the worker (``devotion worker`` or the
one ``devotion serve`` starts) does the HTTP. A failed attempt schedules the same task again
with ``run_after`` set by :data:`BACKOFF`; after :data:`MAX_ATTEMPTS` the delivery is failed and
waits for a manager to press "Retry now".
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from devotion.core import queues
from devotion.lib import signing
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
    """What one HTTP attempt gave: a status code, or an error, or both."""

    status_code: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Treat a redirect as the answer: following it could send the payload somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST ``body`` to ``url``; never raises for network or HTTP errors."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Attempt(None, "only http and https URLs are allowed")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return Attempt(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return Attempt(exc.code, f"HTTP {exc.code} {exc.reason}"[:200])
    except TimeoutError:
        return Attempt(None, f"timed out after {TIMEOUT_SECONDS} s")
    except urllib.error.URLError as exc:
        return Attempt(None, f"connection failed: {exc.reason}"[:200])
    except (OSError, ValueError) as exc:
        return Attempt(None, f"{type(exc).__name__}: {exc}"[:200])


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
