"""Reads of the message log."""

from __future__ import annotations

from django.db.models import QuerySet

from recurra.notifications.models import EmailMessage


def email_list(
    *,
    to: str | None = None,
    subscription_id: str | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> QuerySet[EmailMessage]:
    """The log filtered by exact recipient, subscription, kind and status (each optional)."""
    filters = {"to": to, "subscription_id": subscription_id, "kind": kind, "status": status}
    return EmailMessage.objects.filter(**{name: value for name, value in filters.items() if value})
