"""Proration: the part of a period's price that falls on given days, to the minor unit.

Days are whole account-local days; a period runs from its start up to (not
including) its end, so a monthly period of January has 31 days. The share of
``amount`` for ``days`` of a period of ``length`` days is
``amount × days ÷ length``, rounded half up once (``core.money.round_minor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from recurra.catalog.schedule import Period
from recurra.core.money import round_minor


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


@dataclass(frozen=True, slots=True)
class Swap:
    """Moving from ``old`` to ``new`` (for a whole period) for the last ``days`` of ``period``.

    ``credit`` (≤ 0 for a non-negative ``old``) gives back the unused part of
    ``old``; ``charge`` bills ``new`` for the same days; ``credit + charge``
    is ``difference``, the price difference for those days rounded once.
    """

    period: Period
    days: int
    credit: int
    charge: int

    @property
    def difference(self) -> int:
        return self.credit + self.charge


def swap(old: int, new: int, period: Period, on: date) -> Swap:
    """The credit and the charge of changing a recurring amount from ``old`` to ``new`` on ``on``.

    Rounding is kept consistent by rounding twice only, never three times:
    the credit is exactly what a prorated cancellation refund of ``old``
    would give (``unused(old)``, half up), and the difference
    ``share(new - old)`` is rounded once; the charge is the difference minus
    the credit. So ``credit + charge == share(new - old)`` to the minor unit,
    and the charge may be one minor unit off ``share(new)`` (it absorbs the
    rounding, whichever currency's minor unit it is). No days left: both 0.
    """
    days = days_left(period, on)
    credit = -share(old, period, days)
    difference = share(new - old, period, days)
    return Swap(period=period, days=days, credit=credit, charge=difference - credit)
