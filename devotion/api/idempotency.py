"""``Idempotency-Key`` on POSTs: the first answer is stored and replayed on retries.

A client that times out cannot know whether its POST was applied; re-sending it with the same
``Idempotency-Key`` header returns the stored answer (marked ``Idempotent-Replayed: true``)
instead of doing the work again. Re-using a key for a different body is a client bug and gets
422 ``idempotency_key_reused``. Keys are scoped to the API key and kept for 24 hours.

Only successful (2xx) answers are stored: an error leaves nothing behind, so the retry is
evaluated afresh. Two concurrent first attempts with one key may both run; storing events is
itself idempotent on ``(source, external_id)``, so the second finds duplicates.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from devotion.api.errors import ApiError
from devotion.api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEEP_FOR = timedelta(hours=24)


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
        # 1. A retry: replay the stored answer, or refuse a key re-used for another request.
        stored = IdempotencyRecord.objects.filter(
            api_key=api_key, key=key, created_at__gte=timezone.now() - KEEP_FOR
        ).first()
        if stored is not None:
            if stored.request_hash != request_hash:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    f"This {HEADER} was already used for a different request body.",
                )
            return _json_response(stored.status_code, stored.response, replayed=True)
        # 2. A first attempt: do the work, keep a successful answer for the retries.
        status, body = _status_body(view(request, *args, **kwargs))
        if 200 <= status < 300:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.filter(api_key=api_key, key=key).delete()
                    IdempotencyRecord.objects.create(
                        api_key=api_key,
                        key=key,
                        request_hash=request_hash,
                        status_code=status,
                        response=body,
                    )
            except IntegrityError:
                pass  # a concurrent first attempt stored its answer; both are equivalent
        return _json_response(status, body)

    return wrapped


def prune(*, older_than: timedelta = KEEP_FOR) -> int:
    """Delete records past their replay window; returns how many went."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
