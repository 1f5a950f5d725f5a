"""Template context: the current user's role, so templates can hide what they may not use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from devotion.team.permissions import has_role, role_of


def staff(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "my_role": role_of(user),
        "is_manager": has_role(user, "manager"),
        "is_admin": has_role(user, "admin"),
    }
