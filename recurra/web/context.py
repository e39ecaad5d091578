"""Template context every page gets: the mode and test clock (sandbox banner) and what the user may do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from recurra.accounts.roles import Role
from recurra.core import clock


def recurra(request: HttpRequest) -> dict[str, Any]:
    sandbox = settings.RECURRA_MODE == "sandbox"
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "recurra_mode": settings.RECURRA_MODE,
        "sandbox": sandbox,
        # Read only when a template shows it (one query), never in live mode.
        "sandbox_now": SimpleLazyObject(clock.now) if sandbox else None,
        "can_edit": signed_in and user.has_role(Role.EDITOR),  # type: ignore[union-attr]
        "is_super_admin": signed_in and user.has_role(Role.SUPER_ADMIN),  # type: ignore[union-attr]
    }
