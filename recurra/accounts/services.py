"""Use cases for users and API keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from recurra.accounts.models import ApiKey, User
from recurra.accounts.roles import Role
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed

KEY_PREFIX = "rk_"
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed.field("role", f"must be one of {allowed}") from None


def api_key_create(*, name: str, role: str, actor: Actor, created_by: User | None = None) -> IssuedKey:
    """A new key with 256 random bits. The returned secret is the only copy."""
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "a key needs a name")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name[:100],
            role=_role(role),
            prefix=secret[:10],
            secret_hash=hash_secret(secret),
            created_by=created_by,
        )
        events.record(
            type="api_key.created",
            obj=key,
            actor=actor,
            after=events.snapshot(key, exclude=("secret_hash",)),
        )
    return IssuedKey(key=key, secret=secret)


def api_key_revoke(*, key: ApiKey, actor: Actor, at: datetime) -> ApiKey:
    if key.revoked_at is not None:
        raise Conflict(f"API key {key.pk} is already revoked")
    with transaction.atomic():
        key.revoked_at = at
        key.save(update_fields=["revoked_at"])
        events.record(type="api_key.revoked", obj=key, actor=actor, after={"revoked_at": events.jsonable(at)})
    return key


def api_key_authenticate(*, secret: str, at: datetime) -> ApiKey | None:
    """The active key for a presented secret, or None. Notes use at minute precision.

    ``last_used_at`` is written at most once a minute per key, so reads stay reads.
    """
    if not secret.startswith(KEY_PREFIX):
        return None
    key = ApiKey.objects.filter(secret_hash=hash_secret(secret), revoked_at__isnull=True).first()
    if key is None:
        return None
    if key.last_used_at is None or at - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=at)
        key.last_used_at = at
    return key


def user_create(
    *,
    username: str,
    email: str,
    password: str,
    role: str,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed.field("username", "is taken")
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            role=_role(role),
            first_name=first_name,
            last_name=last_name,
        )
        user.set_password(password)
        user.save()
        events.record(
            type="user.created",
            obj=user,
            actor=actor,
            after={"username": username, "email": email, "role": user.role},
        )
    return user


def user_set_role(*, user: User, role: str, actor: Actor) -> User:
    before = {"role": user.role}
    with transaction.atomic():
        user.role = _role(role)
        user.save(update_fields=["role"])
        events.record(
            type="user.role_changed", obj=user, actor=actor, before=before, after={"role": user.role}
        )
    return user
