"""CSV: UTF-8 with a byte-order mark (so spreadsheet programs read it as UTF-8), RFC 4180 quoting
and line ends (the csv module's excel dialect), text that looks like a formula neutralised."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

from recurra.exports.cells import guard, text_column
from recurra.exports.columns import Column
from recurra.exports.rows import Chunk


class CsvWriter:
    def __init__(self, path: Path, columns: list[Column], zone: ZoneInfo) -> None:
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.out = csv.writer(self.file, dialect="excel")
        self.texts = [text_column(column, zone, guarded=True) for column in columns]
        self.out.writerow([guard(column.header) for column in columns])

    def write(self, chunk: Chunk) -> None:
        columns = [
            text(values, chunk.currencies) for text, values in zip(self.texts, chunk.values, strict=True)
        ]
        self.out.writerows(zip(*columns, strict=True))

    def raw(self, data: bytes) -> None:
        """Lines already made as CSV (PostgreSQL makes them: ``exports.postgres``)."""
        self.file.flush()
        self.file.buffer.write(data)

    def close(self) -> None:
        self.file.close()
