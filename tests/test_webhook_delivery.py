"""Delivering webhooks to a real HTTP server: signed, retried with backoff, given up on, logged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from devotion.ingest.store import ingest
from devotion.lib import signing
from devotion.webhooks.models import Delivery, Subscription
from devotion.webhooks.tasks import MAX_ATTEMPTS, deliver_many, queue_ping, retry_now

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    """The receiver listens on 127.0.0.1, which only a development setting lets webhooks reach."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)  # answers in order; then 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            code = state.codes.pop(0) if state.codes else 200
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def subscription(receiver: Receiver) -> Subscription:
    return Subscription.objects.create(
        url=receiver.url, events=["touchpoint.created", "person.created"]
    )


def _delivery(subscription: Subscription, **fields: object) -> Delivery:
    defaults: dict[str, object] = {
        "event": "touchpoint.created",
        "event_id": "evt-1",
        "payload": {"touchpoint_id": 1, "person_id": 2},
        "person_id": 2,
    }
    defaults.update(fields)
    return Delivery.objects.create(subscription=subscription, **defaults)


def _queued_runs() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=deliver_many.module_path))


def test_a_delivery_is_posted_signed_and_marked_delivered(receiver, subscription):
    delivery = _delivery(subscription)
    deliver_many.call([delivery.pk])

    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Devotion-Event"] == "touchpoint.created"
    assert request.headers["Devotion-Delivery"] == "evt-1"
    assert signing.verify(subscription.secret, request.headers["Devotion-Signature"], request.body)
    body = json.loads(request.body)
    assert body["id"] == "evt-1"
    assert body["event"] == "touchpoint.created"
    assert body["data"] == {"touchpoint_id": 1, "person_id": 2}
    assert "created_at" in body
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.delivered_at is not None
    assert _queued_runs() == []


def test_a_server_error_schedules_a_retry_after_a_minute(receiver, subscription):
    receiver.codes = [500]
    delivery = _delivery(subscription)
    before = timezone.now()
    deliver_many.call([delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert "500" in delivery.last_error
    assert before + timedelta(seconds=55) < delivery.next_attempt_at
    assert delivery.next_attempt_at < before + timedelta(seconds=65)
    [run] = _queued_runs()
    assert run.args_kwargs["args"] == [[delivery.pk]]
    assert run.run_after == delivery.next_attempt_at


def test_the_waits_grow_with_each_failed_attempt(receiver, subscription):
    receiver.codes = [503, 503]
    delivery = _delivery(subscription)
    deliver_many.call([delivery.pk])
    first_wait = Delivery.objects.get().next_attempt_at - timezone.now()
    # Pretend the first retry is due now, as the worker would see it.
    Delivery.objects.update(next_attempt_at=timezone.now())
    deliver_many.call([delivery.pk])
    second_wait = Delivery.objects.get().next_attempt_at - timezone.now()
    assert second_wait > first_wait * 4


def test_a_retry_that_is_not_due_yet_is_not_sent_early(receiver, subscription):
    delivery = _delivery(subscription, next_attempt_at=timezone.now() + timedelta(minutes=5))
    deliver_many.call([delivery.pk])
    assert receiver.requests == []
    assert Delivery.objects.get().attempts == 0


def test_it_gives_up_after_the_last_attempt(receiver, subscription):
    receiver.codes = [500]
    delivery = _delivery(subscription, attempts=MAX_ATTEMPTS - 1)
    deliver_many.call([delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert _queued_runs() == []


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver, subscription):
    receiver.codes = [302]
    delivery = _delivery(subscription)
    deliver_many.call([delivery.pk])
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.last_status_code == 302
    assert delivery.last_error == "redirect not followed (302 to http://127.0.0.1:9/elsewhere)"


def test_an_unreachable_url_records_a_short_error_in_words(subscription):
    subscription.url = "http://127.0.0.1:9/nothing-listens-here"
    subscription.save()
    delivery = _delivery(subscription)
    deliver_many.call([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.last_status_code is None
    assert delivery.last_error == "connection refused by the receiver"
    assert "Errno 111" in delivery.last_error_detail  # the technical detail, kept aside


def test_a_delivered_delivery_is_never_sent_twice(receiver, subscription):
    delivery = _delivery(subscription)
    deliver_many.call([delivery.pk])
    deliver_many.call([delivery.pk])
    assert len(receiver.requests) == 1


def test_a_paused_subscription_gets_nothing(receiver, subscription):
    subscription.is_active = False
    subscription.save()
    delivery = _delivery(subscription)
    deliver_many.call([delivery.pk])
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.last_error == "subscription is paused"


def test_retry_now_gives_a_failed_delivery_one_more_attempt(
    receiver, subscription, django_capture_on_commit_callbacks
):
    delivery = _delivery(subscription, status="failed", attempts=MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        retry_now(delivery)
    [run] = _queued_runs()
    deliver_many.call(*run.args_kwargs["args"])
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.requests) == 1


def test_a_ping_is_queued_after_commit_and_delivered(
    receiver, subscription, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ping = queue_ping(subscription)
    [run] = _queued_runs()
    assert run.args_kwargs["args"] == [[ping.pk]]
    deliver_many.call([ping.pk])
    assert receiver.requests[0].headers["Devotion-Event"] == "ping"


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_what_an_ingest_emitted(receiver, subscription, make_event):
    # The real path, with real commits: ingest -> on commit rows + queued task -> db_worker.
    [outcome] = ingest([make_event()])
    assert receiver.requests == []  # nothing is sent inside the request
    call_command("worker", queues="webhooks", batch=True, verbosity=0)

    events = sorted(r.headers["Devotion-Event"] for r in receiver.requests)
    assert events == ["person.created", "touchpoint.created"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert set(Delivery.objects.values_list("person_id", flat=True)) == {outcome.person_id}
