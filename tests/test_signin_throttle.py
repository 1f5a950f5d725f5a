"""Password guessing is slowed: failures are logged and counted per account and per address."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from devotion.team import signin
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-ins; try again in 15 minutes."


def _try(client, password: str, username: str = "agnes", url: str = "/login/", ip="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, agent):
    for _ in range(5):
        assert b"Please enter a correct username" in _try(client, "wrong").content
    response = _try(client, PASSWORD)
    assert response.status_code == 200  # not signed in
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_from_another_address_too(client, agent):
    for _ in range(5):
        _try(client, "wrong", ip="10.0.0.1")
    assert LOCKED in _try(client, PASSWORD, ip="192.0.2.50").content.decode()


def test_the_lock_ends_after_the_lockout_time(client, agent, monkeypatch):
    for _ in range(5):
        _try(client, "wrong")
    later = signin._now() + 15 * 60 + 1
    monkeypatch.setattr(signin, "_now", lambda: later)
    response = _try(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("customers")


def test_the_message_counts_down_the_minutes_left(client, agent, monkeypatch):
    for _ in range(5):
        _try(client, "wrong")
    later = signin._now() + 14 * 60 + 30
    monkeypatch.setattr(signin, "_now", lambda: later)
    assert "try again in 1 minute." in _try(client, PASSWORD).content.decode()


def test_one_address_guessing_many_accounts_is_locked_out(client, agent, manager):
    for n in range(20):
        _try(client, "wrong", username=f"nobody{n}", ip="198.51.100.7")
    assert LOCKED in _try(client, PASSWORD, ip="198.51.100.7").content.decode()
    # Another address, and the account itself, are not affected.
    assert _try(client, PASSWORD, ip="198.51.100.8").status_code == 302


def test_a_good_sign_in_clears_the_accounts_count(client, agent):
    for _ in range(4):
        _try(client, "wrong")
    assert _try(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _try(client, "wrong")
    assert _try(client, PASSWORD).status_code == 302


def test_the_admin_sign_in_is_throttled_too(client, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    for _ in range(5):
        _try(client, "wrong", username="adam", url="/admin/login/")
    response = _try(client, PASSWORD, username="adam", url="/admin/login/")
    assert response.status_code == 200
    assert LOCKED in response.content.decode()


def test_each_failure_is_logged_with_user_and_address_but_never_the_password(client, agent, caplog):
    with caplog.at_level(logging.WARNING, logger="devotion.signin"):
        _try(client, "hunter2-secret", ip="203.0.113.4")
    [record] = [r for r in caplog.records if r.name == "devotion.signin"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "failed sign-in for 'agnes' from 203.0.113.4"
    assert "hunter2" not in caplog.text


def test_the_limits_come_from_settings(client, agent, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    settings.LOGIN_LOCKOUT_MINUTES = 3
    _try(client, "wrong")
    _try(client, "wrong")
    assert "try again in 3 minutes." in _try(client, PASSWORD).content.decode()


def test_behind_a_proxy_the_forwarded_address_counts(client, agent, manager, settings):
    settings.PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        client.post(
            "/login/",
            {"username": f"x{n}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9",
        )
    other_client = client.post(
        "/login/",
        {"username": "agnes", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.10",
    )
    assert other_client.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_failures_sent_in_parallel_are_each_counted(agent):
    """Guesses arriving at once (several server processes) each count: counting locks the
    row, where the file cache's read-then-write lost all but one of a burst."""
    import threading

    from django.db import connection

    from devotion.team.models import SignInFailures

    if connection.vendor != "postgresql":
        # The in-memory test database takes one writer at a time and fails the others at
        # once (shared-cache table locks); a real SQLite file makes them wait (IMMEDIATE).
        pytest.skip("parallel writers need PostgreSQL or a SQLite file")
    barrier = threading.Barrier(4)

    def guess(n: int) -> None:
        barrier.wait()
        try:
            signin.record_failure("agnes", f"10.1.0.{n}")
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    account = SignInFailures.objects.get(key=signin._key("account", "agnes"))
    assert account.count == 4


def test_old_failures_are_forgotten(client, agent, monkeypatch):
    from devotion.team.models import SignInFailures

    _try(client, "wrong", username="someone", ip="10.9.9.9")
    assert SignInFailures.objects.count() == 2  # the account and the address
    later = signin._now() + 2 * 15 * 60 + 1
    monkeypatch.setattr(signin, "_now", lambda: later)
    _try(client, "wrong", username="other", ip="10.9.9.8")
    assert SignInFailures.objects.count() == 2  # only the new ones
