"""Where an export's file lives: ``<data dir>/exports/<export id>/<file name>``, written under a
``.part`` name and renamed when complete (a crash never leaves a file that looks finished)."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings

from recurra.exports.models import Export
from recurra.exports.writers import EXTENSIONS

ZIP_OFFERED_ABOVE = 2 * 1024 * 1024  # bytes: larger files are offered zipped as well


def folder(export: Export) -> Path:
    return Path(settings.RECURRA_DATA_DIR) / "exports" / export.pk


def file_name(export: Export) -> str:
    """``subscriptions-unpaid-2027-01-15.csv``: what, which view, when."""
    view = "".join(ch if ch.isalnum() else "-" for ch in export.view_name.lower()).strip("-") or "view"
    return f"subscriptions-{view[:40]}-{export.as_of.date().isoformat()}.{EXTENSIONS[export.format]}"


def path_of(export: Export) -> Path:
    return folder(export) / export.file_name


def offers_zip(export: Export) -> bool:
    return (export.file_size or 0) > ZIP_OFFERED_ABOVE


def remove(export: Export) -> None:
    shutil.rmtree(folder(export), ignore_errors=True)
