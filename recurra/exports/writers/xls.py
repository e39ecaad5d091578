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
from recurra.exports.cells import local, text_cell
from recurra.exports.columns import Column
from recurra.exports.rows import Row
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
        if column.association is None and column.kind == Kind.MONEY:

            def money(r: int, c: int, value: Any, currency: str) -> None:
                if value is not None:
                    write(r, c, Decimal(value).scaleb(-exponent(currency)), self._money_style(currency))

            return money
        if column.association is None and column.kind == Kind.NUMBER:
            return lambda r, c, value, currency: value is None or write(r, c, value)
        if column.association is None and column.kind == Kind.DATE:
            return lambda r, c, value, currency: value is None or write(r, c, value, self.date)
        if column.association is None and column.kind == Kind.DATETIME:
            zone = self.zone
            return lambda r, c, value, currency: (
                value is None or write(r, c, local(value, zone), self.datetime)
            )
        as_text = text_cell(column, self.zone)

        def string(r: int, c: int, value: Any, currency: str) -> None:
            shown = as_text(value, currency)
            if shown:
                write(r, c, shown[:MAX_TEXT])

        return string

    def _money_style(self, currency: str) -> Any:
        if currency not in self.money:
            self.money[currency] = xlwt.easyxf(num_format_str=currency_format(currency))
        return self.money[currency]

    def write(self, rows: list[Row]) -> None:
        if self.row + len(rows) > MAX_ROWS:
            raise TooManyRows(f"an XLS file holds at most {MAX_ROWS:,} rows: export as XLSX or CSV")
        for values, currency in rows:
            self.row += 1
            for c, (cell, value) in enumerate(zip(self.cells, values, strict=True)):
                cell(self.row, c, value, currency)

    def close(self) -> None:
        self.book.save(str(self.path))
