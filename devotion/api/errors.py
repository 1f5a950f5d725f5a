"""API errors: always JSON, ``{"error": {"code", "message", "details"?}}``, whatever went wrong.

Codes are stable snake_case strings clients may branch on; messages are sentences for people
and may change. Every path out of the API goes through here: our own :class:`ApiError`,
ninja's validation, auth and 404 errors, Django's request-size limit, unknown routes, wrong
methods and unexpected exceptions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("devotion.api")

# The code used when a status arrives without one of ours (e.g. a bare ninja HttpError).
_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


class ApiError(HttpError):
    """An error answer with a stable ``code``; raise it anywhere inside an endpoint."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message)
        self.code = code
        self.details = details
        self.headers = dict(headers or {})


# Deeper than any real event needs, far below what would exhaust Python's (or the database's)
# recursion when a stored value is later rendered.
MAX_JSON_DEPTH = 64


def parse_json(body: bytes | str) -> Any:
    """A request body as JSON, or an :class:`ApiError` 400 ``invalid_json`` saying why not.

    Nesting deeper than :data:`MAX_JSON_DEPTH` is refused too: Python's parser would crash on
    a few thousand levels, and nothing we store needs more than a handful.

    >>> parse_json(b'{"a": [1]}')
    {'a': [1]}
    >>> parse_json(b"[" * 5000 + b"]" * 5000)
    Traceback (most recent call last):
    ...
    devotion.api.errors.ApiError: The request body is nested more than 64 levels deep.
    """
    try:
        data = json.loads(body)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise _too_deep()
    return data


def _too_deep() -> ApiError:
    return ApiError(
        400,
        "invalid_json",
        f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.",
    )


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and objects in ``data`` nest more than ``limit`` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JsonParser(Parser):
    """ninja's body parser, through :func:`parse_json`: every endpoint taking JSON gets the
    same answers to broken or absurdly nested bodies."""

    def parse_body(self, request: HttpRequest) -> Any:
        return parse_json(request.body)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """The JSON answer for an error.

    >>> error_response(404, "not_found", "No such thing.").content
    b'{"error": {"code": "not_found", "message": "No such thing."}}'
    """
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    response = HttpResponse(
        json.dumps({"error": error}, default=str), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ninja/pydantic errors reduced to what a client needs: where, and what is wrong."""
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "message": error.get("msg", "")}
        for error in errors
    ]


def install(api: NinjaAPI) -> None:
    """Replace ninja's default error answers with ours."""

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(
            exc.status_code, exc.code, exc.message, details=exc.details, headers=exc.headers
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            401,
            "missing_api_key",
            "Send an API key in the header 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": 'Bearer realm="devotion"'},
        )

    @api.exception_handler(AuthorizationError)
    def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(403, "forbidden", str(exc))

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, ApiError):  # ninja wraps what our JsonParser raised
            return _api_error(request, exc.__cause__)
        if exc.status_code == 400 and "parse request body" in exc.message:
            return error_response(400, "invalid_json", "The request body is not valid JSON.")
        code = _DEFAULT_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, exc.message)

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            422,
            "validation_error",
            "Some parameters are missing or invalid; see details.",
            details=_validation_details(exc.errors),
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", "No such object.")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(
            413, "request_too_large", "The request body is larger than this server accepts."
        )

    @api.exception_handler(Exception)
    def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(
            500, "internal_error", "Something went wrong on our side; it has been logged."
        )


def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every path under /api/ that no endpoint matches."""
    return error_response(
        404, "unknown_route", f"There is no API endpoint at {request.path}; see /api/docs."
    )


unknown_route.csrf_exempt = True  # type: ignore[attr-defined]


def json_method_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a ninja URL view so a wrong HTTP method answers our JSON 405, not plain text."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return error_response(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here; use {allowed}.",
                headers={"Allow": allowed},
            )
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped
