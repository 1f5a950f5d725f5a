"""Login is required everywhere except the API (key auth), login page and public customer pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as _Base
from django.http import HttpRequest


class LoginRequiredMiddleware(_Base):
    """Django's middleware, minus ``/api/``: the API authenticates with keys and answers JSON."""

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> Any:
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
