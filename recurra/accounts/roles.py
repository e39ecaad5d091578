"""Roles and what each may do. One table, one check.

``viewer`` reads; ``editor`` also creates, edits, cancels; ``super_admin`` also
changes settings, users and API keys.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    SUPER_ADMIN = "super_admin", _("Super admin")


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.SUPER_ADMIN: 2}


def allows(role: str, needed: str) -> bool:
    """True when ``role`` is at least ``needed``; unknown roles are allowed nothing."""
    try:
        return _RANK[Role(role)] >= _RANK[Role(needed)]
    except ValueError:
        return False


def needed_for_method(method: str) -> Role:
    """The default role an HTTP method needs: reads are for viewers, writes for editors."""
    return Role.VIEWER if method.upper() in ("GET", "HEAD", "OPTIONS") else Role.EDITOR
