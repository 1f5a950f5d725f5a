"""Webhooks never reach loopback, private, link-local or metadata addresses (no SSRF).

Checked when a subscription is saved, and again before each send on what the name resolves to
then; the request goes to an address that was checked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devotion.lib import netguard
from devotion.webhooks.models import Delivery, Subscription
from devotion.webhooks.tasks import deliver_many, post

pytestmark = pytest.mark.django_db

REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", b"cloud metadata service"),
    ("http://127.0.0.1:8000/admin/", b"loopback"),
    ("http://localhost/hook", b"loopback"),
    ("http://10.0.0.5/hook", b"private network"),
    ("http://192.168.1.1/hook", b"private network"),
    ("http://[fd00::1]/hook", b"private network"),
    ("http://[::1]:5432/", b"loopback"),
    ("http://[::ffff:127.0.0.1]/", b"loopback"),
    ("http://0.0.0.0:8000/", b"unspecified address"),
    ("http://[fe80::1]/", b"link-local"),
    ("http://metadata.google.internal/computeMetadata/v1/", b"internal host name"),
]


def _create(client, url: str):
    return client.post("/settings/webhooks/new/", {"url": url, "events": ["person.created"]})


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_a_url_to_an_internal_address_is_refused_with_the_reason(login, manager, url, reason):
    response = _create(login(manager), url)
    assert response.status_code == 200
    assert b"Address not allowed (" + reason + b")" in response.content
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize("host", ["2130706433", "017700000001", "0177.0.0.1", "0x7f.1", "127.1"])
def test_loopback_written_as_numbers_is_refused_too(login, manager, host):
    # The form's URL check already refuses these spellings; the sender reads them as 127.0.0.1.
    assert _create(login(manager), f"http://{host}/").status_code == 200
    assert Subscription.objects.count() == 0
    attempt = post(f"http://{host}:9/", b"{}", {}, allow_loopback=False)
    assert attempt.error == f"address not allowed: loopback ({host} = 127.0.0.1)"


def test_a_name_that_resolves_to_a_private_address_is_refused(login, manager, monkeypatch):
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["93.184.215.14", "10.1.2.3"])
    response = _create(login(manager), "https://crm.example/hooks")
    assert b"crm.example resolves to 10.1.2.3" in response.content
    assert Subscription.objects.count() == 0


def test_a_public_url_is_accepted(login, manager, monkeypatch):
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["93.184.215.14"])
    assert _create(login(manager), "https://crm.example/hooks").status_code == 302
    assert Subscription.objects.count() == 1


def test_the_development_setting_allows_loopback_and_nothing_else(login, manager, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    client = login(manager)
    assert _create(client, "http://127.0.0.1:9000/hook").status_code == 302
    assert _create(client, "http://localhost:9000/hook").status_code == 302
    for url in ["http://10.0.0.5/", "http://169.254.169.254/", "http://0.0.0.0:9000/"]:
        assert b"Address not allowed" in _create(client, url).content, url
    assert Subscription.objects.count() == 2


def test_editing_a_subscription_to_an_internal_address_is_refused(login, manager):
    subscription = Subscription.objects.create(url="https://h.example/", events=["ping"])
    response = login(manager).post(
        f"/settings/webhooks/{subscription.pk}/edit/",
        {"url": "http://169.254.169.254/", "events": ["person.created"], "is_active": "on"},
    )
    assert b"Address not allowed" in response.content
    subscription.refresh_from_db()
    assert subscription.url == "https://h.example/"


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[str]]]:
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hosts.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], hosts
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _send(url: str) -> Delivery:
    subscription = Subscription.objects.create(url=url, events=["ping"])
    delivery = Delivery.objects.create(
        subscription=subscription, event="ping", event_id="e1", payload={}
    )
    deliver_many.call([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def test_loopback_is_refused_at_send_time_without_the_setting(receiver):
    port, hosts = receiver
    delivery = _send(f"http://127.0.0.1:{port}/hook")
    assert hosts == []
    assert delivery.status == "pending"
    assert delivery.last_error == "address not allowed: loopback (127.0.0.1)"


def test_a_name_that_now_resolves_to_loopback_is_refused_at_send_time(receiver, monkeypatch):
    # Saved while it pointed somewhere public; DNS changed since (rebinding).
    port, hosts = receiver
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["127.0.0.1"])
    delivery = _send(f"http://hooks.example:{port}/hook")
    assert hosts == []
    assert delivery.last_error == "address not allowed: loopback (hooks.example = 127.0.0.1)"


def test_one_private_address_among_public_ones_is_enough_to_refuse(receiver, monkeypatch):
    port, hosts = receiver
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["93.184.215.14", "10.0.0.1"])
    delivery = _send(f"http://hooks.example:{port}/hook")
    assert hosts == []
    assert "private network" in delivery.last_error


def test_the_request_goes_to_the_checked_address_with_the_url_host_name(
    receiver, monkeypatch, settings
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    port, hosts = receiver
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # a second lookup would get a refused address
    monkeypatch.setattr(netguard, "resolve", lambda host, port: next(answers))
    delivery = _send(f"http://hooks.example:{port}/hook")
    assert delivery.status == "delivered"
    assert hosts == [f"hooks.example:{port}"]
