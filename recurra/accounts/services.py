"""Use cases for users, API keys and the account settings."""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import secrets
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from recurra.accounts.models import AccountSettings, ApiKey, FinalFailureAction, User
from recurra.accounts.roles import Role
from recurra.core import clock, events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, ValidationFailed
from recurra.core.money import currencies
from recurra.core.prepared import Prepared
from recurra.crm.services import address_columns

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
        raise ValidationFailed.field(
            "role", gettext("must be one of %(allowed)s") % {"allowed": allowed}
        ) from None


def api_key_create(*, name: str, role: str, actor: Actor, created_by: User | None = None) -> IssuedKey:
    """A new key with 256 random bits. The returned secret is the only copy."""
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", gettext("a key needs a name"))
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
        raise Conflict(gettext("API key %(id)s is already revoked") % {"id": key.pk})
    with transaction.atomic():
        key.revoked_at = at
        key.save(update_fields=["revoked_at"])
        events.record(type="api_key.revoked", obj=key, actor=actor, after={"revoked_at": events.jsonable(at)})
    return key


_ACTIVE_KEY = Prepared(
    ApiKey, lambda digest: ApiKey.objects.filter(secret_hash=digest, revoked_at__isnull=True).order_by()
)


def api_key_authenticate(*, secret: str, at: datetime) -> ApiKey | None:
    """The active key for a presented secret, or None. Notes use at minute precision.

    ``last_used_at`` is written at most once a minute per key, so reads stay reads.
    """
    if not secret.startswith(KEY_PREFIX):
        return None
    found = _ACTIVE_KEY.objects(hash_secret(secret))  # secret_hash is unique: one indexed lookup
    if not found:
        return None
    key = found[0]
    if key.last_used_at is None or at - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=at)
        key.last_used_at = at
    return key


def _check_new_user(username: str, email: str, password: str) -> None:
    """Every problem with a new user's username, email and password, at once."""
    errors: list[FieldError] = []
    if not username.strip():
        errors.append(FieldError("username", gettext("must not be blank")))
    elif User.objects.filter(username__iexact=username).exists():
        errors.append(FieldError("username", gettext("is taken")))
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.append(FieldError("email", gettext("is not a valid email address")))
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
                raise Conflict(
                    gettext("the last super admin cannot be demoted; make someone else super admin first")
                )
        user.role = new_role
        user.save(update_fields=["role"])
        events.record(
            type="user.role_changed", obj=user, actor=actor, before=before, after={"role": user.role}
        )
    return user


def user_set_language(*, user: User, language: str, actor: Actor) -> User:
    """Change the language of a user's own pages: a code of ``settings.LANGUAGES``, or "" for the
    account's default language. One ``user.language_changed`` event (none when it stays)."""
    spoken = [code for code, _name in settings.LANGUAGES]
    if language not in ("", *spoken):
        raise ValidationFailed.field("language", str(_ONE_OF) % {"allowed": ", ".join(spoken)})
    if language == user.language:
        return user
    before = {"language": user.language}
    with transaction.atomic():
        user.language = language
        user.save(update_fields=["language"])
        events.record(
            type="user.language_changed", obj=user, actor=actor, before=before, after={"language": language}
        )
    return user


_PREFIX = re.compile(r"[A-Z0-9/-]{1,20}")
SETTINGS_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)  # every language Recurra speaks
MAX_RETRIES = 10
MAX_SETTING_DAYS = 90
_FLAGS = (
    "payment_reminders_enabled",
    "failed_payment_emails_enabled",
    "admin_notifications_enabled",
    "admin_notifications_digest",
)


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SETTING_DAYS


def _retry_schedule_error(value: Any) -> str | None:
    if (
        isinstance(value, list | tuple)
        and len(value) <= MAX_RETRIES  # none: a declined renewal is not retried
        and all(map(_days, value))
        and all(a < b for a, b in itertools.pairwise(value))
    ):
        return None
    return gettext("must be up to %(count)s days from 1 to %(max)s, each later than the one before") % {
        "count": MAX_RETRIES,
        "max": MAX_SETTING_DAYS,
    }


def _is_text(value: Any, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _max_length(name: str) -> int:
    limit: int = getattr(AccountSettings._meta.get_field(name), "max_length", 0)
    return limit


def _is_line(limit: int) -> Callable[[Any], bool]:
    """Text of at most ``limit`` characters once stripped, on one line."""
    return lambda v: isinstance(v, str) and len(v.strip()) <= limit and "\n" not in v and "\r" not in v


def _is_email_or_blank(value: Any) -> bool:
    if not isinstance(value, str) or len(value.strip()) > _max_length("seller_email"):
        return False
    try:
        if value.strip():
            validate_email(value.strip())
    except DjangoValidationError:
        return False
    return True


def _website(value: str) -> str:
    """A web address as stored: stripped, ``https://`` put before one typed without a scheme."""
    value = value.strip()
    return value if not value or "://" in value else f"https://{value}"


_URL = URLValidator(schemes=["http", "https"])


def _is_website_or_blank(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    url = _website(value)
    try:
        if url:
            _URL(url)
    except DjangoValidationError:
        return False
    return len(url) <= _max_length("seller_website")


_NAME = re.compile(r"(?s)(?=.*\S).{1,200}")
SELLER_ADDRESS = "seller_address"  # the address columns, as one setting: {"line1": ..., "country": ...}
_ONE_OF = gettext_lazy("must be one of %(allowed)s")
_AT_MOST = gettext_lazy("must be one line of at most %(max)s characters")
# Each setting: a check of its value, what to say when it fails (in the language of the request:
# English in the API) and the message's values.
_RULES: dict[str, tuple[Callable[[Any], bool], Promise, dict[str, Any]]] = {
    "timezone": (
        lambda v: isinstance(v, str) and v in _time_zones(),
        gettext_lazy("is not an IANA time zone name such as Europe/Oslo"),
        {},
    ),
    "default_currency": (
        lambda v: isinstance(v, str) and v.upper() in currencies(),
        gettext_lazy("is not an ISO 4217 currency code"),
        {},
    ),
    "default_language": (
        lambda v: v in SETTINGS_LANGUAGES,
        _ONE_OF,
        {"allowed": ", ".join(SETTINGS_LANGUAGES)},
    ),
    "business_name": (
        lambda v: _is_text(v, _NAME),
        gettext_lazy("must be 1 to 200 characters, not all blank"),
        {},
    ),
    "invoice_number_prefix": (
        lambda v: _is_text(v, _PREFIX),
        gettext_lazy("must be 1 to 20 of A-Z, 0-9, - and /"),
        {},
    ),
    "reminder_days_before": (
        _days,
        gettext_lazy("must be a whole number of days from 1 to %(max)s"),
        {"max": MAX_SETTING_DAYS},
    ),
    "final_failure_action": (
        lambda v: v in FinalFailureAction.values,
        _ONE_OF,
        {"allowed": ", ".join(FinalFailureAction.values)},
    ),
    **{flag: (lambda v: isinstance(v, bool), gettext_lazy("must be true or false"), {}) for flag in _FLAGS},
    "seller_email": (
        _is_email_or_blank,
        gettext_lazy("is not a valid email address (at most %(max)s characters)"),
        {"max": _max_length("seller_email")},
    ),
    **{
        name: (_is_line(_max_length(name)), _AT_MOST, {"max": _max_length(name)})
        for name in ("seller_phone", "seller_tax_id")
    },
    "seller_website": (
        _is_website_or_blank,
        gettext_lazy("is not a web address such as https://example.com (at most %(max)s characters)"),
        {"max": _max_length("seller_website")},
    ),
}
# How a valid value is stored, where that is not as given.
_STORED: dict[str, Callable[[Any], Any]] = {
    "default_currency": str.upper,
    "business_name": str.strip,
    "retry_schedule_days": list,
    "seller_email": str.strip,
    "seller_phone": str.strip,
    "seller_tax_id": str.strip,
    "seller_website": _website,
}


def _setting_error(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be setting ``name``; None when it can."""
    if name == "retry_schedule_days":
        return _retry_schedule_error(value)
    if name not in _RULES:
        return gettext("is not a setting")
    check, message, values = _RULES[name]
    return None if check(value) else str(message) % values


def account_settings_update(*, actor: Actor, at: datetime | None = None, **changes: Any) -> AccountSettings:
    """Change account settings; every invalid one is reported at once. One ``accountsettings.updated``
    event with the fields that changed (none when nothing did).

    ``seller_address`` changes the parts it names (``{"city": "Bergen"}`` keeps the other parts; ""
    or None clears one); its errors are on ``seller_address.<part>``. The seller's details are all
    optional: "" clears one.
    """
    address = changes.pop(SELLER_ADDRESS, None)
    errors = [
        FieldError(name, error) for name, value in changes.items() if (error := _setting_error(name, value))
    ]
    columns = address_columns(address, errors, field=SELLER_ADDRESS)
    if errors:
        raise ValidationFailed("invalid settings", errors=errors)
    values = {name: _STORED[name](value) if name in _STORED else value for name, value in changes.items()}
    values.update(columns)
    with transaction.atomic():
        row, _ = AccountSettings.objects.select_for_update().get_or_create(pk=AccountSettings.SINGLETON)
        before = events.snapshot(row)
        for name, value in values.items():
            setattr(row, name, value)
        if events.changes(before, events.snapshot(row))[1]:
            row.updated_at = at or clock.now()
            row.save()
            events.record_update(type="accountsettings.updated", obj=row, actor=actor, before=before)
    return row
