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


# A record's id prefix (``core.ids``) → the message log's column naming it.
RECORD_COLUMNS = {"con": "contact_id", "sub": "subscription_id", "in": "invoice_id", "pay": "payment_id"}


def email_log(
    *, kind: str | None = None, status: str | None = None, recipient: str = "", record: str = ""
) -> QuerySet[EmailMessage]:
    """The log as the app lists it: by kind, status, part of the recipient's address, and a record
    (a contact, subscription, invoice or payment id: the column its prefix names; another id
    matches nothing)."""
    qs = email_list(kind=kind, status=status)
    if recipient:
        qs = qs.filter(to__icontains=recipient)
    if record:
        column = RECORD_COLUMNS.get(record.partition("_")[0])
        qs = qs.filter(**{column: record}) if column else qs.none()
    return qs
