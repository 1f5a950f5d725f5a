"""Rendering a page whole, or only the part htmx asked for.

A screen is one URL and one template; htmx requests (``request.htmx``, set by django-htmx's
middleware) get one partial of it. A history restore (the browser going back to a page it no
longer has) asks for the whole page, as a first visit does.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    """True for an htmx request that will swap part of the page (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def render_page(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The full page, or just ``partial`` of it for htmx; cached copies vary on which."""
    name = f"{template}#{partial}" if wants_fragment(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
