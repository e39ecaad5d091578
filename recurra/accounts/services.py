"""Use cases for users and API keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from recurra.accounts.models import ApiKey, User
from recurra.accounts.roles import Role
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, ValidationFailed

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


def _check_new_user(username: str, email: str, password: str) -> None:
    """Every problem with a new user's username, email and password, at once."""
    errors: list[FieldError] = []
    if not username.strip():
        errors.append(FieldError("username", "must not be blank"))
    elif User.objects.filter(username__iexact=username).exists():
        errors.append(FieldError("username", "is taken"))
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.append(FieldError("email", "is not a valid email address"))
    try:
        validate_password(password, User(username=username, email=email))
    except DjangoValidationError as exc:
        errors.extend(FieldError("password", message) for message in exc.messages)
    if errors:
        raise ValidationFailed("invalid user", errors=errors)


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
    """A user with a role; the password must pass the configured password validators."""
    _check_new_user(username, email, password)
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
    """Change a user's role; the last active super admin cannot be demoted (409)."""
    new_role = _role(role)
    before = {"role": user.role}
    with transaction.atomic():
        if user.role == Role.SUPER_ADMIN and new_role != Role.SUPER_ADMIN:
            # Lock the super admins so two concurrent demotions cannot both pass the check.
            admins = list(
                User.objects.select_for_update()
                .filter(role=Role.SUPER_ADMIN, is_active=True)
                .values_list("pk", flat=True)
            )
            if admins == [user.pk]:
                raise Conflict("the last super admin cannot be demoted; make someone else super admin first")
        user.role = new_role
        user.save(update_fields=["role"])
        events.record(
            type="user.role_changed", obj=user, actor=actor, before=before, after={"role": user.role}
        )
    return user
