"""API key authentication, scope checks and rate limiting, in that order, before any endpoint.

``Authorization: Bearer dvt_…``: the key is hashed and looked up (one indexed query), refused
when unknown or revoked (401), counted against its rate limit (429) and checked for the scope
the endpoint needs (403). ``request.auth`` is then the :class:`ApiKey` row.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from devotion.api import ratelimit
from devotion.api.errors import ApiError
from devotion.api.models import SCOPES, ApiKey, hash_key

# last_used_at is for people deciding which keys to revoke: minute precision is plenty,
# and it saves a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="devotion"'}


class ApiKeyAuth(HttpBearer):
    """Bearer-key auth for one scope (or none: any valid key)."""

    def __init__(self, scope: str | None = None) -> None:
        if scope is not None and scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            return None  # ninja answers 401 missing_api_key
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "invalid_authorization",
                "The Authorization header must be 'Bearer <key>'.",
                headers=_CHALLENGE,
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        # No ordering, four columns: this runs on every request.
        found = ApiKey.objects.filter(key_hash=hash_key(token)).order_by()
        key = next(iter(found.only("pk", "scopes", "revoked_at", "last_used_at")[:1]), None)
        if key is None:
            raise ApiError(401, "invalid_api_key", "This API key is not valid.", headers=_CHALLENGE)
        if key.revoked_at is not None:
            raise ApiError(
                401, "api_key_revoked", "This API key has been revoked.", headers=_CHALLENGE
            )
        allowance = ratelimit.hit(key.pk)
        request.ratelimit = allowance  # type: ignore[attr-defined]
        if not allowance.allowed:
            raise ApiError(
                429,
                "rate_limited",
                f"This key may make {allowance.limit} requests a minute; "
                f"retry in {allowance.retry_after} s.",
                headers={"Retry-After": str(allowance.retry_after), **allowance.headers()},
            )
        if self.scope is not None and self.scope not in key.scopes:
            raise ApiError(
                403,
                "missing_scope",
                f"This API key lacks the {self.scope} scope needed here.",
                details={"required_scope": self.scope, "key_scopes": key.scopes},
            )
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key
