"""CSV: UTF-8 with a byte-order mark (so spreadsheet programs read it as UTF-8), RFC 4180 quoting
and line ends (the csv module's excel dialect), text that looks like a formula neutralised."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

from recurra.exports.cells import guard, text_cell
from recurra.exports.columns import Column
from recurra.exports.rows import Row


class CsvWriter:
    def __init__(self, path: Path, columns: list[Column], zone: ZoneInfo) -> None:
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.out = csv.writer(self.file, dialect="excel")
        self.cells = [text_cell(column, zone, guarded=True) for column in columns]
        self.out.writerow([guard(column.header) for column in columns])

    def write(self, rows: list[Row]) -> None:
        cells = self.cells
        self.out.writerows(
            [[cell(v, cur) for cell, v in zip(cells, values, strict=True)] for values, cur in rows]
        )

    def close(self) -> None:
        self.file.close()
