"""Role checks used by views and the API. Templates may hide buttons; views must enforce."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from devotion.team.models import ROLE_RANK, Role


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


def role_required(
    role: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view so that only users with ``role`` (or higher) may call it; others get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page needs the {role} role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
