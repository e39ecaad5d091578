"""The worker's side of exports: writing the file with its progress, and removing expired ones.

An export is a queue of its own (:func:`register_exports`), one at a time per
worker, its lease renewed as each chunk is written, so a long export is never
taken for a crashed one; a crash leaves a ``.part`` file that the next attempt
writes again from the start. Progress (rows done of the total) is stored after
every chunk, for the app's progress bar and ``GET /exports/{id}``.

Done: the file is renamed into place, and in one transaction the export
becomes complete (kept 30 days), its ``export.completed`` event is written and
the ``export_ready`` email queued for the user who asked. A refusal (more rows
than XLS holds by the time it runs) fails it at once, with the reason; any
other error is retried by the job runner, and reported once it gives up.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Value
from django.db.models.functions import Greatest
from django.urls import reverse

from recurra.accounts.selectors import account_settings, account_zone
from recurra.core import clock, events
from recurra.core.actors import Actor
from recurra.core.due import not_before
from recurra.exports import files, postgres, writers
from recurra.exports.columns import Column, columns_for
from recurra.exports.models import Export, ExportStatus
from recurra.exports.services import KEPT_FOR
from recurra.exports.writers import Progress
from recurra.exports.writers.xls import TooManyRows
from recurra.jobs import runner
from recurra.notifications.services import EmailDraft, email_queue

log = logging.getLogger("recurra.exports")
SYSTEM = Actor.system()


class LeaseLost(RuntimeError):
    """Another worker took the export over (this one stalled past its lease): stop writing."""


def register_exports() -> None:
    runner.register_queue(
        "exports",
        Export,
        export_run,
        queued=ExportStatus.PENDING,
        running=ExportStatus.PROCESSING,
        done=ExportStatus.COMPLETE,
        failed=ExportStatus.FAILED,
        finished_field="finished_at",
        batch=1,
        renews=True,
    )


def export_run(export: Export, *, at: datetime, session: object, lease: runner.Lease) -> dict[str, Any]:
    """Write ``export``'s file (see the module); the fields the runner stores with its outcome."""
    mine = Export.objects.filter(pk=export.pk)
    zone = account_zone()
    columns = columns_for(export.scope, export.columns, export.language)
    export.file_name = files.file_name(export)
    folder = files.folder(export)
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{export.file_name}.part"
    mine.update(started_at=at, rows_done=0, file_name=export.file_name, updated_at=at)

    def progress(done: int) -> None:
        if not lease.renew():
            raise LeaseLost(f"export {export.pk} was taken over by another worker")
        mine.update(rows_done=done, rows_total=_at_least(done), updated_at=clock.now())

    try:
        done = _write(export, columns, zone, part, progress)
    except TooManyRows as exc:
        part.unlink(missing_ok=True)
        _record(export, "export.failed", {"reason": str(exc)})
        return {"status": ExportStatus.FAILED, "last_error": str(exc)}
    final = files.path_of(export)
    part.replace(final)
    return _complete(export, lease, rows=done, size=final.stat().st_size, at=at)


def _write(export: Export, columns: list[Column], zone: ZoneInfo, path: Path, progress: Progress) -> int:
    """Write the file at ``path``, calling ``progress`` with the rows done; the rows written.
    PostgreSQL writes CSV and XLSX rows itself (:mod:`recurra.exports.postgres`)."""
    if connection.vendor == "postgresql" and export.format in postgres.FORMATS:
        return postgres.write(export, columns, zone, path, progress)
    return writers.write(export, columns, zone, path, progress)


def _at_least(done: int) -> Greatest:
    """The total, raised to the rows written when more came since it was counted."""
    return Greatest(F("rows_total"), Value(done))


def _complete(export: Export, lease: runner.Lease, *, rows: int, size: int, at: datetime) -> dict[str, Any]:
    expires = at + KEPT_FOR
    fields = {
        "status": ExportStatus.COMPLETE,
        "rows_done": rows,
        "rows_total": rows,
        "file_size": size,
        "expires_at": expires,
        "last_error": "",
        "finished_at": at,
        "updated_at": at,
    }
    with transaction.atomic():
        if not Export.objects.filter(pk=export.pk, lease_until_ms=lease.until).update(**fields):
            raise LeaseLost(f"export {export.pk} was taken over before it was recorded")
        _record(export, "export.completed", {"rows": rows, "file_size": size, "expires_at": expires})
        if export.notify_email:
            email_queue(_ready_email(export, expires), at=at)
    return fields


def _ready_email(export: Export, expires: datetime) -> EmailDraft:
    """To the user who asked, in the export's language: its download link (sign-in required)."""
    return EmailDraft(
        kind="export_ready",
        to=export.notify_email,
        language=export.language,
        data={
            "business_name": account_settings().business_name,
            "format": export.format,
            "download_url": f"{settings.RECURRA_BASE_URL}{reverse('web:export_download', args=[export.pk])}",
            "expires_on": expires.astimezone(account_zone()).date().isoformat(),
        },
        dedupe_key=f"export_ready/{export.pk}",
    )


def _record(export: Export, type: str, after: dict[str, Any]) -> None:
    events.record(type=type, obj=export, actor=SYSTEM, after=events.jsonable(after))


def exports_expire(*, at: datetime) -> int:
    """Remove the files of exports kept 30 days (their links stop working then too)."""
    due = Export.objects.filter(removed_at=None, expires_at__lte=at).order_by("pk")
    removed = 0
    for export in due.iterator():
        files.remove(export)
        with transaction.atomic():
            if Export.objects.filter(pk=export.pk, removed_at=None).update(removed_at=at, updated_at=at):
                _record(export, "export.expired", {"removed_at": at})
                removed += 1
    return removed


def exports_expire_next_due(*, after: datetime) -> datetime | None:
    """When :func:`exports_expire` next has a file to remove (``core.due``)."""
    first = Export.objects.filter(removed_at=None, expires_at__isnull=False).aggregate(t=Min("expires_at"))
    return not_before(first["t"], after=after)
