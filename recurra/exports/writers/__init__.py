"""The file formats, one writer each, picked from :data:`WRITERS` by the export's format.

A writer takes the columns (with their headers) when it opens the file, then
rows a chunk at a time (``write``), and ``close`` finishes the file. Each keeps
memory flat whatever the number of rows, except XLS, which holds its sheet (at
most 65,535 rows: :data:`recurra.exports.writers.xls.MAX_ROWS`). On PostgreSQL
the database makes CSV and XLSX rows itself (:mod:`recurra.exports.postgres`);
:func:`write` is the portable way, every format on every database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from recurra.exports.columns import Column
from recurra.exports.models import Export
from recurra.exports.rows import Chunk, export_chunks
from recurra.exports.writers.csv import CsvWriter
from recurra.exports.writers.xls import XlsWriter
from recurra.exports.writers.xlsx import XlsxWriter


class Writer(Protocol):
    def __init__(self, path: Path, columns: list[Column], zone: ZoneInfo) -> None: ...
    def write(self, chunk: Chunk) -> None: ...
    def close(self) -> None: ...


WRITERS: dict[str, type[Writer]] = {"csv": CsvWriter, "xlsx": XlsxWriter, "xls": XlsWriter}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "xls": "xls"}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
}

Progress = Callable[[int], None]  # called with the rows written so far


def write(export: Export, columns: list[Column], zone: ZoneInfo, path: Path, progress: Progress) -> int:
    """Write ``export``'s file at ``path`` a chunk at a time, through its format's writer; the rows."""
    writer = WRITERS[export.format](path, columns, zone)
    done = 0
    for chunk in export_chunks(export, columns, zone=zone):
        writer.write(chunk)
        done += len(chunk)
        progress(done)
    writer.close()
    return done
