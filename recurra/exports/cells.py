"""An export's values as the file shows them, one function per column worked out once.

Text as it is (a choice as its English label: values are not translated); an
association's ids or names joined by semicolons; dates ``YYYY-MM-DD`` and date-
times ``YYYY-MM-DD HH:MM`` in the account's zone; money in major units with its
currency's decimals (``49.00``, JPY ``100``); yes/no as Yes and No; nothing as
an empty cell. CSV also neutralises text someone typed that a spreadsheet would
take for a formula (``=``, ``+``, ``-``, ``@`` first): it starts with ``'``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from recurra.core.money import major_text
from recurra.exports.columns import Column
from recurra.subscriptions.properties import Kind

TextCell = Callable[[Any, str], str]  # (value, currency) -> text
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATOR = ";"


def guard(text: str) -> str:
    """``text`` that no spreadsheet runs as a formula (OWASP's CSV injection advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def local(value: datetime, zone: ZoneInfo) -> datetime:
    """An instant as the account's wall-clock time, without a zone (what spreadsheets hold)."""
    return value.astimezone(zone).replace(tzinfo=None)


def text_cell(column: Column, zone: ZoneInfo, *, guarded: bool = False) -> TextCell:
    """The function that writes ``column``'s values as text (see the module)."""
    make = _text_cell(column, zone)
    if not (guarded and column.guarded):
        return make
    return lambda value, currency: guard(make(value, currency))


def _text_cell(column: Column, zone: ZoneInfo) -> TextCell:
    if column.association is not None:
        return lambda value, currency: SEPARATOR.join(value)
    prop = column.prop
    assert prop is not None
    kind = column.kind
    if kind == Kind.MONEY:
        return lambda value, currency: "" if value is None else major_text(value, currency)
    if kind == Kind.DATETIME:
        return lambda value, currency: "" if value is None else f"{local(value, zone):%Y-%m-%d %H:%M}"
    if kind == Kind.DATE:
        return lambda value, currency: "" if value is None else date.isoformat(value)
    if kind == Kind.BOOLEAN:
        return lambda value, currency: "Yes" if value else "No"
    if kind == Kind.CHOICE:
        labels = dict(prop.choices)
        return lambda value, currency: labels.get(value, value or "")
    if kind == Kind.NUMBER:
        return lambda value, currency: "" if value is None else str(value)
    return lambda value, currency: value or ""
