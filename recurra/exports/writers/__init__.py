"""The file formats, one writer each, picked from :data:`WRITERS` by the export's format.

A writer takes the columns (with their headers) when it opens the file, then
rows a chunk at a time (``write``), and ``close`` finishes the file. Each keeps
memory flat whatever the number of rows, except XLS, which holds its sheet (at
most 65,535 rows: :data:`recurra.exports.writers.xls.MAX_ROWS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from recurra.exports.columns import Column
from recurra.exports.rows import Chunk
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
