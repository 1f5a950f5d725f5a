"""Role checks used by views and the API. Templates may hide buttons; views must enforce."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from devotion.team.models import ROLE_RANK, Role

# A view: a request (and URL arguments) in, any kind of response out (pages, files).
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def role_of(user: Any) -> str | None:
    """The user's role: admin for superusers, else their staff role, else None (no access)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    staff = getattr(user, "staff", None)
    return staff.role if staff is not None else None


def has_role(user: Any, role: str) -> bool:
    """True when ``user`` holds ``role`` or a higher one."""
    mine = role_of(user)
    return mine is not None and ROLE_RANK[Role(mine)] >= ROLE_RANK[Role(role)]


def role_required(role: str) -> Callable[[View], View]:
    """Decorate a view so that only users with ``role`` (or higher) may call it; others get 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page needs the {role} role.")
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator
