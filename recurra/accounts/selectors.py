"""Reads of account-wide things: the settings row, the people who get merchant notices."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from recurra.accounts.models import AccountSettings, User
from recurra.accounts.roles import Role


def account_settings() -> AccountSettings:
    """The settings row, created with the defaults on first read."""
    row, _ = AccountSettings.objects.get_or_create(pk=AccountSettings.SINGLETON)
    return row


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
