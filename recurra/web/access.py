"""Who may open a page: every page needs a signed-in user; changes need a role.

Rule: a view is wrapped in exactly one of :data:`viewer`, :data:`editor` or
:data:`super_admin`. Anonymous users are sent to the login page; a signed-in
user without the role gets 403, whatever the HTTP method (so a forged POST
from a viewer is refused on the server, not only hidden in the template).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from recurra.accounts.models import User
from recurra.accounts.roles import Role
from recurra.core.actors import Actor

View = Callable[..., HttpResponseBase]


def role_required(role: Role) -> Callable[[View], View]:
    """Decorator: sign-in required, then at least ``role``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.has_role(role):
                raise PermissionDenied(f"this page needs the {role.label} role")
            return view(request, *args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorator


viewer = role_required(Role.VIEWER)
editor = role_required(Role.EDITOR)
super_admin = role_required(Role.SUPER_ADMIN)


def current_user(request: HttpRequest) -> User:
    """The signed-in user (views behind a role check always have one)."""
    return cast(User, request.user)


def sees_buyer_links(request: HttpRequest) -> bool:
    """Whether the user may see buyer links (``core.redaction``): editors and up, who may send them
    anyway; a viewer may act for no buyer, so its pages leave them out."""
    return current_user(request).has_role(Role.EDITOR)


def actor(request: HttpRequest) -> Actor:
    """The signed-in user as the actor of a service call."""
    return Actor.for_user(request.user)
