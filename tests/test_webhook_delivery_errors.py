"""A failed delivery says what went wrong in words; the technical detail stays one click away."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from devotion.webhooks import tasks
from devotion.webhooks.models import Delivery, Subscription
from devotion.webhooks.tasks import deliver_many, post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A port that answers anything with a plain-text HTTP response (no TLS)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_a_refused_connection_reads_as_words_with_the_errno_aside():
    attempt = post("http://127.0.0.1:9/", b"{}", {})
    assert attempt.error == "connection refused by the receiver"
    assert "Connection refused" in attempt.detail


def test_a_receiver_that_never_answers_times_out_in_words(silent_port, monkeypatch):
    monkeypatch.setattr(tasks, "TIMEOUT_SECONDS", 0.3)
    attempt = post(f"http://127.0.0.1:{silent_port}/", b"{}", {})
    assert attempt.error == "timed out after 0.3 s"


def test_https_to_a_server_without_tls_is_a_tls_failure(plain_http_port):
    attempt = post(f"https://127.0.0.1:{plain_http_port}/", b"{}", {})
    assert attempt.error == "TLS handshake failed (is this an https:// server?)"
    assert "SSL" in attempt.detail


def test_a_name_that_does_not_resolve_is_a_dns_failure():
    attempt = post("https://no-such-host.invalid/hook", b"{}", {})
    assert attempt.error == "DNS lookup failed: no address found for no-such-host.invalid"
    assert attempt.detail


def test_an_error_status_names_the_status(plain_http_port):
    attempt = post(f"http://127.0.0.1:{plain_http_port}/", b"{}", {})
    assert attempt.status_code == 400
    assert attempt.error == "the receiver answered 400 Bad Request"


def test_the_delivery_log_shows_the_words_first_and_the_detail_folded(login, manager):
    subscription = Subscription.objects.create(url="http://127.0.0.1:9/", events=["ping"])
    delivery = Delivery.objects.create(
        subscription=subscription, event="ping", event_id="e1", payload={}
    )
    deliver_many.call([delivery.pk])
    html = login(manager).get(f"/settings/webhooks/{subscription.pk}/").content.decode()
    words = html.index("connection refused by the receiver")
    detail = html.index("Technical detail")
    assert words < detail < html.index("Connection refused", detail)
