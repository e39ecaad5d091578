"""Reads of account-wide things: the settings row, the people who get merchant notices."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from recurra.accounts.models import AccountSettings, User
from recurra.accounts.roles import Role

_held: ContextVar[AccountSettings | None] = ContextVar("account_settings_held", default=None)
# Inside ``account_settings_read_once``: the row once read ([None] until then).
_once: ContextVar[list[AccountSettings | None] | None] = ContextVar("account_settings_once", default=None)


def account_settings() -> AccountSettings:
    """The settings row, created with the defaults on first read (the held one, if any; inside
    ``account_settings_read_once``, the one read first)."""
    held = _held.get()
    if held is not None:
        return held
    once = _once.get()
    if once is not None and once[0] is not None:
        return once[0]
    row, _ = AccountSettings.objects.get_or_create(pk=AccountSettings.SINGLETON)
    if once is not None:
        once[0] = row
    return row


@contextmanager
def account_settings_read_once() -> Iterator[None]:
    """Read the settings row at most once, and only if asked, inside (a web request: its zone,
    its language and its currency are one read). ``account_settings_update`` saves a row of its
    own; a request that changes the settings answers with a redirect, so it shows no stale value."""
    token = _once.set([None])
    try:
        yield
    finally:
        _once.reset(token)


@contextmanager
def account_settings_held() -> Iterator[AccountSettings]:
    """Read the settings row once for a stretch of work that does not change it (a test clock
    advance reads it thousands of times). Only this thread sees the held row: a change saved
    meanwhile elsewhere applies from the next stretch."""
    row = account_settings()
    token = _held.set(row)
    try:
        yield row
    finally:
        _held.reset(token)


def account_zone() -> ZoneInfo:
    return ZoneInfo(account_settings().timezone)


def admin_recipients() -> list[str]:
    """Emails of the active super admins (who receive merchant notices)."""
    return list(
        User.objects.filter(role=Role.SUPER_ADMIN, is_active=True)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )


def user_list(*, include_deactivated: bool = False) -> QuerySet[User]:
    """The team's users (the active ones unless ``include_deactivated``): who may own records."""
    qs = User.objects.all()
    return qs if include_deactivated else qs.filter(is_active=True)


def user_name(user: User) -> str:
    """A user as the pages and the API name them: their full name, else their username."""
    return str(user)


def owner_choices(current: int | Iterable[int] | None = None) -> list[tuple[int, str]]:
    """The users who may be made owners (the active ones), by name; and ``current`` (an owner, or
    several, kept though deactivated since), marked as such."""
    kept = [current] if isinstance(current, int) else list(current or ())
    users = list(User.objects.filter(Q(is_active=True) | Q(pk__in=kept)))
    users.sort(key=lambda u: (str(u).casefold(), u.pk))
    return [(u.pk, str(u) if u.is_active else gettext("%(name)s (deactivated)") % {"name": u}) for u in users]
