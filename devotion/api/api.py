"""The REST API: one NinjaAPI under /api/, endpoints under /api/v1/, docs at /api/docs.

Auth is on by default (an API key as a Bearer token); each router names the scope it needs.
Every answer, errors included, is JSON: see :mod:`devotion.api.errors`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from pydantic import TypeAdapter

from devotion.api import errors
from devotion.api.auth import ApiKeyAuth
from devotion.api.events import router as events_router
from devotion.api.people import router as people_router
from devotion.api.schemas import EventBatchIn, EventIn
from devotion.followup.api import router as followup_router
from devotion.retention.api import router as segments_router
from devotion.retention.api_scores import router as scores_router
from devotion.voice.api_surveys import router as surveys_router
from devotion.voice.api_text import router as text_router

DESCRIPTION = """
Send events (orders, messages, reviews, survey answers…) into Devotion and read people back.

**Auth**: `Authorization: Bearer <key>`. Create keys with
`devotion apikey create --name N --scopes events:write,people:read` or in Settings → API keys.

**Errors** are always JSON: `{"error": {"code": "…", "message": "…", "details": …}}`.

**Rate limits** per key: `X-RateLimit-Limit` / `X-RateLimit-Remaining` on every answer;
over the limit, 429 with `Retry-After` (seconds).

**Idempotency**: send `Idempotency-Key: <unique string>` on a POST to make retries safe.
"""


class DevotionAPI(NinjaAPI):
    """NinjaAPI with JSON answers for wrong methods and unknown routes, rate-limit headers
    on every answer, and the event input schemas in the OpenAPI components."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _finish(pattern.callback)
        # Last: anything under /api/ no endpoint matched.
        urls.append(re_path(r"^.*$", errors.unknown_route))
        return urls

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(**kwargs)
        adapter: TypeAdapter[Any] = TypeAdapter(EventIn | EventBatchIn)
        generated = adapter.json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(generated.get("$defs", {}))
        return schema


def _finish(view: Any) -> Any:
    method_checked = errors.json_method_errors(view)

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = method_checked(request, *args, **kwargs)
        except Http404:  # ninja's bare /api/ root view
            return errors.unknown_route(request)
        allowance = getattr(request, "ratelimit", None)
        if allowance is not None:
            for name, value in allowance.headers().items():
                response.setdefault(name, value)
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


api = DevotionAPI(
    title="Devotion API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=ApiKeyAuth(),
    parser=errors.JsonParser(),
)
errors.install(api)
api.add_router("/v1/", events_router)
api.add_router("/v1/", people_router)
api.add_router("/v1/", surveys_router)
api.add_router("/v1/", text_router)
api.add_router("/v1/", followup_router)
api.add_router("/v1/", segments_router)
api.add_router("/v1/", scores_router)
