"""An export's values as the file shows them: one function per column, worked out once, that turns a
chunk's values of that column into text (a column at a time: a C loop where it can be).

Text as it is (a choice as its English label: values are not translated); an
association's ids or names joined by semicolons (done when read); dates
``YYYY-MM-DD`` and date-times ``YYYY-MM-DD HH:MM`` in the account's zone; money
in major units with its currency's decimals (``49.00``, JPY ``100``); yes/no
as Yes and No; nothing as an empty cell. CSV also neutralises text someone
typed that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``
first): it starts with ``'``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from recurra.core.money import major_text
from recurra.exports.columns import Column
from recurra.subscriptions.properties import Kind

TextColumn = Callable[[list[Any], list[str]], list[str]]  # (values, currencies) -> texts
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(text: str) -> str:
    """``text`` that no spreadsheet runs as a formula (OWASP's advice on CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def local(value: datetime, zone: ZoneInfo) -> datetime:
    """An instant as the account's wall-clock time, without a zone (what spreadsheets hold)."""
    return value.astimezone(zone).replace(tzinfo=None)


def text_column(column: Column, zone: ZoneInfo, *, guarded: bool = False) -> TextColumn:
    """The function that writes ``column``'s values as text (see the module)."""
    make = _text_column(column, zone)
    if not (guarded and column.guarded):
        return make

    def safe(values: list[Any], currencies: list[str]) -> list[str]:
        return [guard(text) if text[:1] in FORMULA_STARTS else text for text in make(values, currencies)]

    return safe


def _text_column(column: Column, zone: ZoneInfo) -> TextColumn:
    kind = column.kind
    if column.association is not None or kind == Kind.TEXT:
        return lambda values, currencies: [v or "" for v in values]
    if kind == Kind.MONEY:
        return lambda values, currencies: [
            "" if v is None else major_text(v, c) for v, c in zip(values, currencies, strict=True)
        ]
    if kind == Kind.DATETIME:
        return lambda values, currencies: [
            "" if v is None else f"{local(v, zone):%Y-%m-%d %H:%M}" for v in values
        ]
    if kind == Kind.DATE:
        return lambda values, currencies: ["" if v is None else v.isoformat() for v in values]
    if kind == Kind.BOOLEAN:
        return lambda values, currencies: ["Yes" if v else "No" for v in values]
    if kind == Kind.CHOICE:
        assert column.prop is not None
        labels = dict(column.prop.choices)
        return lambda values, currencies: [labels.get(v, v or "") for v in values]
    return lambda values, currencies: ["" if v is None else str(v) for v in values]  # numbers
