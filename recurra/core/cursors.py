"""Readers of the audit trail that follow it by a cursor (workflows, lists): one home for reading
only *settled* events, one reader at a time.

A transaction still open may yet commit events with ids below ones already visible (ids sort by
the millisecond they were made). So a reader reads only ids made before the *horizon*: now less
``WORKFLOW_SETTLE_MS``, and on PostgreSQL also before the start of the oldest transaction that has
written and is still open (``pg_stat_activity``; every Recurra process must connect as the same
role to see the others). On SQLite every write transaction holds the one write lock from its start
(``IMMEDIATE``), and so does the reader's. The cursor's row is locked for the reader's transaction
(``SKIP LOCKED``): a racing reader of the same name skips its turn.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection

from recurra.core import clock, ids
from recurra.core.events import EVENT_ID_PREFIX
from recurra.core.models import AuditCursor


def horizon() -> str:
    """The smallest event id not yet settled."""
    now_ms = clock.epoch_ms() - settings.WORKFLOW_SETTLE_MS
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (extract(epoch FROM min(xact_start)) * 1000)::bigint FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_xid IS NOT NULL"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None:
            now_ms = min(now_ms, int(oldest) - settings.WORKFLOW_SETTLE_MS)
    return ids.id_at(EVENT_ID_PREFIX, now_ms)


def locked(name: str) -> AuditCursor | None:
    """The cursor ``name``, locked for this transaction (made at its first use); None while
    another reader holds it."""
    found = AuditCursor.objects.select_for_update(skip_locked=True).filter(pk=name).first()
    if found is None and not AuditCursor.objects.filter(pk=name).exists():
        AuditCursor.objects.bulk_create([AuditCursor(pk=name)], ignore_conflicts=True)
        found = AuditCursor.objects.select_for_update(skip_locked=True).filter(pk=name).first()
    return found


def position(name: str) -> str:
    """Where the cursor ``name`` is ("" before its first read), without a lock."""
    return AuditCursor.objects.filter(pk=name).values_list("position", flat=True).first() or ""


def move(cursor: AuditCursor, to: str, *, at: datetime) -> None:
    """Move a locked cursor forward to ``to`` (never back)."""
    if to > cursor.position:
        cursor.position, cursor.updated_at = to, at
        cursor.save(update_fields=["position", "updated_at"])
