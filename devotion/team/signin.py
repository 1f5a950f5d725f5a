"""Slowing down password guessing on the sign-in pages (``/login/`` and ``/admin/login/``).

Every failed sign-in is logged at WARNING (user name and client address, never the password)
and counted twice in the database: per account, and per client address. When either count reaches
its limit within the window, sign-in for that account or from that address is refused for
``LOGIN_LOCKOUT_MINUTES`` — even with the right password, which is not checked at all until
the lock ends — with a message that says how long to wait.

Every server process counts into the same rows, each failure with its row locked (see
``SignInFailures``), so the limits hold across workers and parallel guesses. A successful
sign-in clears the account's count; rows older than two windows are deleted as failures come.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest

from devotion.team.models import SignInFailures

log = logging.getLogger("devotion.signin")

_now = time.time  # tests move the clock forward through this


def client_address(request: HttpRequest | None) -> str:
    """The client's IP address: ``REMOTE_ADDR``, or behind ``DEVOTION_PROXY_COUNT`` proxies
    the address the outermost of them saw (taken from the right of ``X-Forwarded-For``, the
    part a client cannot forge)."""
    if request is None:
        return "unknown"
    hops = settings.PROXY_COUNT
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"signin:{kind}:{digest}"


def _limits() -> dict[str, int]:
    return {
        "account": settings.LOGIN_FAILURES_PER_ACCOUNT,
        "address": settings.LOGIN_FAILURES_PER_ADDRESS,
    }


def _window() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES * 60


def locked_for(username: str, address: str) -> int:
    """Seconds until sign-in for ``username`` from ``address`` is allowed again; 0 when it is."""
    now = _now()
    keys = [_key("account", username), _key("address", address)]
    locks = SignInFailures.objects.filter(key__in=keys, locked_until__gt=now)
    ends = locks.values_list("locked_until", flat=True)
    return math.ceil(max([0.0, *(end - now for end in ends)]))


def record_failure(username: str, address: str) -> None:
    """Count a failed sign-in against the account and the address; lock whichever is full."""
    now, window, limits = _now(), _window(), _limits()
    with transaction.atomic():
        for kind, value in (("account", username), ("address", address)):
            row, _ = SignInFailures.objects.select_for_update().get_or_create(
                key=_key(kind, value), defaults={"first": now}
            )
            if row.first + window <= now:
                row.first, row.count, row.locked_until = now, 0, 0
            row.count += 1
            if row.count >= limits[kind] and row.locked_until <= now:
                row.locked_until = now + window
                log.warning(
                    "sign-in locked for %s minutes: %s failures for %s %r",
                    settings.LOGIN_LOCKOUT_MINUTES,
                    row.count,
                    kind,
                    value,
                )
            row.save()
        SignInFailures.objects.filter(first__lt=now - 2 * window, locked_until__lt=now).delete()


def clear_account(username: str) -> None:
    """Forget an account's failures (after it signed in)."""
    SignInFailures.objects.filter(key=_key("account", username)).delete()


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """``user_login_failed`` receiver: log and count. ``credentials`` has the password masked."""
    username = str(credentials.get("username", ""))
    address = client_address(request)
    log.warning("failed sign-in for %r from %s", username, address)
    record_failure(username, address)


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: a good sign-in clears the account's count."""
    clear_account(user.get_username())


def lockout_message(seconds: int) -> str:
    """The message shown while locked.

    >>> lockout_message(61), lockout_message(30)
    ('Too many failed sign-ins; try again in 2 minutes.', 'Too many failed sign-ins; try again in 1 minute.')
    """  # noqa: E501
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many failed sign-ins; try again in {minutes} minute{'s' if minutes > 1 else ''}."


class ThrottledSignInMixin:
    """Refuses to check a password while the account or the client address is locked."""

    request: HttpRequest | None
    data: Any

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))
        address = client_address(self.request)
        wait = locked_for(username, address)
        if wait:
            log.warning("sign-in refused while locked for %r from %s", username, address)
            raise forms.ValidationError(lockout_message(wait), code="locked")
        return super().clean()  # type: ignore[misc]


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    """The sign-in form of ``/login/``."""


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    """The sign-in form of ``/admin/login/``."""
