"""Reads of account-wide things: the settings row, the people who get merchant notices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from recurra.accounts.models import AccountSettings, User
from recurra.accounts.roles import Role

_held: ContextVar[AccountSettings | None] = ContextVar("account_settings_held", default=None)


def account_settings() -> AccountSettings:
    """The settings row, created with the defaults on first read (the held one, if any)."""
    held = _held.get()
    if held is not None:
        return held
    row, _ = AccountSettings.objects.get_or_create(pk=AccountSettings.SINGLETON)
    return row


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
