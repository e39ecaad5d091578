"""Proration: the part of a period's price that falls on given days, to the minor unit.

Days are whole account-local days; a period runs from its start up to (not
including) its end, so a monthly period of January has 31 days. The share of
``amount`` for ``days`` of a period of ``length`` days is
``amount × days ÷ length``, rounded half up once (``core.money.round_minor``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from recurra.core.money import round_minor
from recurra.subscriptions.schedule import Period


def days_left(period: Period, on: date) -> int:
    """The days of ``period`` from ``on`` (included) to its end: all of them before it starts, none after."""
    start = max(on, period.start)
    return max((period.end - start).days, 0)


def share(amount: int, period: Period, days: int) -> int:
    """``amount`` (for the whole period) times ``days`` over the period's length, in minor units."""
    length = (period.end - period.start).days
    if not 0 <= days <= length:
        raise ValueError(f"{days} days is not within a period of {length}")
    return round_minor(Decimal(amount) * days / length)


def unused(amount: int, period: Period, on: date) -> int:
    """What ``amount`` paid for ``period`` buys from ``on`` to the period's end."""
    return share(amount, period, days_left(period, on))
