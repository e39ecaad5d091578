"""Bearer API keys with a role check on every operation.

By default an operation needs ``viewer`` for reads and ``editor`` for writes
(see :func:`recurra.accounts.roles.needed_for_method`); an operation or router
can ask for more with ``auth=ApiKeyAuth(Role.SUPER_ADMIN)``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from recurra.accounts.models import ApiKey
from recurra.accounts.roles import Role, allows, needed_for_method
from recurra.accounts.services import api_key_authenticate
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.errors import Forbidden

_CACHE_ATTR = "_recurra_api_key"


def bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_api_key(request: HttpRequest) -> ApiKey | None:
    """The active API key of the request's bearer token, looked up once per request."""
    if not hasattr(request, _CACHE_ATTR):
        token = bearer_token(request)
        key = api_key_authenticate(secret=token, at=clock.now()) if token else None
        setattr(request, _CACHE_ATTR, key)
    return getattr(request, _CACHE_ATTR)


class ApiKeyAuth(HttpBearer):
    def __init__(self, role: Role | None = None) -> None:
        super().__init__()
        self.role = role

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = request_api_key(request)
        if key is None:
            return None
        needed = self.role or needed_for_method(request.method or "GET")
        if not allows(key.role, needed):
            raise Forbidden(f"this needs the {Role(needed).label} role; the key has {Role(key.role).label}")
        return key


def request_key(request: HttpRequest) -> ApiKey:
    """The authenticated request's API key (an operation behind :class:`ApiKeyAuth` always has one)."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def sees_buyer_links(request: HttpRequest) -> bool:
    """Whether the request's key may see buyer links (``core.redaction``): editors and up, who may
    send them anyway; a viewer key gets null instead, as it may act for no buyer."""
    return allows(request_key(request).role, Role.EDITOR)


def actor(request: HttpRequest) -> Actor:
    return Actor.for_api_key(request_key(request))
