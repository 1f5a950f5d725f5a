"""Shared fixtures: named personas for permission tests, and event builders."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, settings

from devotion.team.models import Role, StaffMember

PASSWORD = "correct-horse-battery-staple"

# Property tests (tests/test_*_properties.py): a few examples in `make test`, many in CI
# (.ci/run sets HYPOTHESIS_PROFILE=ci). Both derandomized, with no example database, so a CI
# failure reproduces on any machine with the same command; `explore` draws new examples
# each run, for hunting bugs by hand (it prints the seed of a failure).
_PROPERTIES = {
    "deadline": None,  # an import of a small file takes 50-500 ms, unevenly: no deadline
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "print_blob": True,
}
settings.register_profile("default", max_examples=6, derandomize=True, database=None, **_PROPERTIES)
settings.register_profile("ci", max_examples=150, derandomize=True, database=None, **_PROPERTIES)
settings.register_profile("explore", max_examples=300, database=None, **_PROPERTIES)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``slow`` (they start servers or processes) unless
    DEVOTION_SLOW_TESTS=1, so ``make test`` stays quick; ``.ci/run`` sets it and runs them all.
    On PostgreSQL, skip tests marked ``own_sqlite``: they run their own SQLite installation
    (or no database at all), so the SQLite pass already ran exactly the same test."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        same = pytest.mark.skip(
            reason="own SQLite installation or no database: run in the SQLite pass"
        )
        for item in items:
            if "own_sqlite" in item.keywords:
                item.add_marker(same)
    if os.environ.get("DEVOTION_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="slow (starts processes): run with DEVOTION_SLOW_TESTS=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line in the log: how many files the importer property tests imported per source
    (tests/test_import_properties.py records them; xdist carries them to this process),
    and how many of those tests failed."""
    examples: dict[str, int] = {}
    failed = 0
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == "importer_examples" and report.when == "call":
                    examples[value[0]] = examples.get(value[0], 0) + value[1]
                    failed += outcome == "failed"
    if examples:
        counts = ", ".join(f"{source} {count:,}" for source, count in sorted(examples.items()))
        terminalreporter.write_line(
            f"Importer property tests: files imported per source: {counts}; "
            f"{sum(examples.values()):,} in all; {failed} failed "
            f"(HYPOTHESIS_PROFILE={os.environ.get('HYPOTHESIS_PROFILE', 'default')})"
        )


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, settings):
    """Keep caches and files of each test in its own folder; use a per-test cache."""
    # A LOCATION of its own per test: LocMemCaches without one share a single store.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    # WhiteNoise warns (an error here) when STATIC_ROOT is missing; tests never collect statics.
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    # Real password hashing costs seconds per login on a 2-core machine; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username, f"{username}@shop.example", PASSWORD)
    if role is not None:
        StaffMember.objects.create(user=user, display_name=username.title(), role=role)
    return user


@pytest.fixture
def agent(db) -> User:
    return _user("agnes", Role.AGENT)


@pytest.fixture
def manager(db) -> User:
    return _user("manon", Role.MANAGER)


@pytest.fixture
def admin_user(db) -> User:
    return _user("adam", Role.ADMIN)


@pytest.fixture
def outsider(db) -> User:
    """A user who can log in but has no staff role: sees nothing."""
    return _user("olga", None)


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def _login(user: User) -> Client:
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """Build a valid raw event; keyword arguments override fields."""
    counter = {"n": 0}

    def _make(**overrides: Any) -> dict[str, Any]:
        counter["n"] += 1
        event: dict[str, Any] = {
            "kind": "order",
            "source": "shop",
            "external_id": f"o-{counter['n']}",
            "occurred_at": "2025-06-01T12:00:00Z",
            "person": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "amount": "40.00",
            "currency": "USD",
        }
        event.update(overrides)
        return event

    return _make


@pytest.fixture
def post_events(client: Client) -> Callable[..., Any]:
    """POST a body to /api/v1/events with a key of scope events:write (extra headers as
    keyword arguments, e.g. HTTP_IDEMPOTENCY_KEY)."""
    from devotion.api.models import ApiKey

    _, raw = ApiKey.create("shop", ["events:write"])

    def _post(body: Any, **headers: Any) -> Any:
        return client.post(
            "/api/v1/events",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
            **headers,
        )

    return _post
