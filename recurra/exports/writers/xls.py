"""XLS, for spreadsheet programs older than XLSX (xlwt). An XLS sheet holds at most 65,536 rows:
the header and :data:`MAX_ROWS` subscriptions. More is refused before the export starts (the
dialog offers XLSX or CSV), and again by the writer, never cut short silently."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlwt

from recurra.core.money import exponent
from recurra.exports.cells import local, text_column
from recurra.exports.columns import Column
from recurra.exports.rows import Chunk
from recurra.exports.writers.xlsx import currency_format
from recurra.subscriptions.properties import Kind

MAX_ROWS = 65_535
MAX_TEXT = 32_767  # characters an XLS cell holds


class TooManyRows(ValueError):
    """More subscriptions than an XLS sheet holds."""


class XlsWriter:
    def __init__(self, path: Path, columns: list[Column], zone: ZoneInfo) -> None:
        self.path, self.zone = path, zone
        self.book = xlwt.Workbook(encoding="utf-8")
        self.sheet = self.book.add_sheet("Subscriptions")
        self.date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
        self.datetime = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
        self.money: dict[str, Any] = {}
        self.cells = [self._cell(column) for column in columns]
        bold = xlwt.easyxf("font: bold on")
        for n, column in enumerate(columns):
            self.sheet.write(0, n, column.header, bold)
        self.sheet.set_panes_frozen(True)
        self.sheet.set_horz_split_pos(1)
        self.row = 0

    def _cell(self, column: Column) -> Any:
        """``cell(row, col, value, currency)`` writing ``column``'s values."""
        write = self.sheet.write
        kind = column.kind if column.association is None else Kind.TEXT
        if kind == Kind.MONEY:

            def money(r: int, c: int, value: Any, currency: str) -> None:
                if value is not None:
                    write(r, c, Decimal(value).scaleb(-exponent(currency)), self._money_style(currency))

            return money
        if kind in (Kind.NUMBER, Kind.DATE, Kind.DATETIME):
            style = {Kind.DATE: self.date, Kind.DATETIME: self.datetime}.get(kind, xlwt.Style.default_style)
            zone = self.zone if kind == Kind.DATETIME else None

            def plain(r: int, c: int, value: Any, currency: str) -> None:
                if value is not None:
                    write(r, c, local(value, zone) if zone else value, style)

            return plain
        as_text = text_column(column, self.zone)

        def string(r: int, c: int, value: Any, currency: str) -> None:
            (shown,) = as_text([value], [currency])
            if shown:
                write(r, c, shown[:MAX_TEXT])

        return string

    def _money_style(self, currency: str) -> Any:
        if currency not in self.money:
            self.money[currency] = xlwt.easyxf(num_format_str=currency_format(currency))
        return self.money[currency]

    def write(self, chunk: Chunk) -> None:
        if self.row + len(chunk) > MAX_ROWS:
            raise TooManyRows(f"an XLS file holds at most {MAX_ROWS:,} rows: export as XLSX or CSV")
        for c, (cell, values) in enumerate(zip(self.cells, chunk.values, strict=True)):
            for r, (value, currency) in enumerate(
                zip(values, chunk.currencies, strict=True), start=self.row + 1
            ):
                cell(r, c, value, currency)
        self.row += len(chunk)

    def close(self) -> None:
        self.book.save(str(self.path))
