"""``Idempotency-Key`` on POSTs: the first answer is stored and replayed on retries.

A client that times out cannot know whether its POST was applied; re-sending it with the same
``Idempotency-Key`` header returns the stored answer (marked ``Idempotent-Replayed: true``)
instead of doing the work again. Re-using a key for a different body is a client bug and gets
422 ``idempotency_key_reused``. Keys are scoped to the API key and kept for 24 hours.

The first attempt claims the key before doing any work, by inserting an "in progress" record
(the unique constraint on ``(api_key, key)`` lets exactly one insert win, on SQLite and on
PostgreSQL alike). A duplicate that arrives while it runs stores nothing and gets 409
``idempotency_in_progress`` with ``Retry-After: 1``; once the first attempt is done, its answer
is replayed. Only successful (2xx) answers are kept: an error releases the key, so the retry
is evaluated afresh. A claim whose process died mid-way is taken over after
:data:`ABANDONED_AFTER`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from devotion.api.errors import ApiError
from devotion.api.models import ApiKey, IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEEP_FOR = timedelta(hours=24)
# Longer than any request may run (gunicorn's --timeout is 60 s): a claim this old was left
# by a process that died, and the key is free again.
ABANDONED_AFTER = timedelta(minutes=5)


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _json_response(status: int, body: str, *, replayed: bool = False) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _status_body(result: Any) -> tuple[int, str]:
    status, body = result if isinstance(result, tuple) else (200, result)
    # Kept and replayed as text: a JSON column (jsonb) would reorder keys on PostgreSQL.
    return status, json.dumps(body)


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a ninja POST endpoint that returns a JSON-able dict or ``(status, dict)``.

    The answer is rendered here as plain JSON (the endpoint's response schema documents it),
    so a replay is byte-for-byte the first answer.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return _json_response(*_status_body(view(request, *args, **kwargs)))
        if len(key) > MAX_KEY_LENGTH:
            raise ApiError(
                422,
                "invalid_idempotency_key",
                f"The {HEADER} header must be at most {MAX_KEY_LENGTH} characters.",
            )
        api_key = request.auth  # type: ignore[attr-defined]
        request_hash = _request_hash(request)
        # 1. Claim the key; if another request holds it, answer from (or about) that one.
        claim, earlier = _claim(api_key, key, request_hash)
        if earlier is not None:
            if earlier.request_hash != request_hash:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    f"This {HEADER} was already used for a different request body.",
                )
            if earlier.status_code == IdempotencyRecord.IN_PROGRESS:
                raise _in_progress()
            return _json_response(earlier.status_code, earlier.response, replayed=True)
        assert claim is not None
        # 2. Do the work; keep a successful answer for the retries, release the key otherwise.
        try:
            status, body = _status_body(view(request, *args, **kwargs))
        except BaseException:
            claim.delete()
            raise
        if 200 <= status < 300:
            IdempotencyRecord.objects.filter(pk=claim.pk).update(status_code=status, response=body)
        else:
            claim.delete()
        return _json_response(status, body)

    return wrapped


def _in_progress() -> ApiError:
    return ApiError(
        409,
        "idempotency_in_progress",
        f"A request with this {HEADER} is still being processed; retry shortly to get its answer.",
        headers={"Retry-After": "1"},
    )


def _claim(
    api_key: ApiKey, key: str, request_hash: str
) -> tuple[IdempotencyRecord | None, IdempotencyRecord | None]:
    """Insert an in-progress record for ``key``: ``(claim, None)`` if this request won it,
    ``(None, earlier)`` with the live record of the request that did otherwise."""
    for _ in range(3):
        try:
            with transaction.atomic():
                claim = IdempotencyRecord.objects.create(
                    api_key=api_key,
                    key=key,
                    request_hash=request_hash,
                    status_code=IdempotencyRecord.IN_PROGRESS,
                    response="",
                )
            return claim, None
        except IntegrityError:
            pass
        now = timezone.now()
        earlier = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
        if earlier is None:
            continue  # its request failed and released the key meanwhile: try again
        expired = earlier.created_at < now - KEEP_FOR or (
            earlier.status_code == IdempotencyRecord.IN_PROGRESS
            and earlier.created_at < now - ABANDONED_AFTER
        )
        if not expired:
            return None, earlier
        # Forget an answer past its window, or a claim whose process died; then claim again.
        IdempotencyRecord.objects.filter(pk=earlier.pk).filter(
            Q(created_at__lt=now - KEEP_FOR) | Q(status_code=IdempotencyRecord.IN_PROGRESS)
        ).delete()
    raise _in_progress()  # the key changed hands three times in a row: let the client retry


def prune(*, older_than: timedelta = KEEP_FOR) -> int:
    """Delete records past their replay window; returns how many went."""
    now = timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(
        Q(created_at__lt=now - older_than)
        | Q(status_code=IdempotencyRecord.IN_PROGRESS, created_at__lt=now - ABANDONED_AFTER)
    ).delete()
    return deleted
