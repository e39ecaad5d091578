"""When work falls due: the answers of the worker steps' ``next_due(after=...)`` functions.

Each step of the worker (billing, dunning, reminders, queued jobs...) says when
it next has work with a ``next_due(*, after)`` beside its run function. The
answer is an instant no earlier than ``after``: work already due (or waiting
on real time, such as an expired lease) is due at ``after`` itself; None when
nothing is scheduled. Billing dates are account-local dates, due at their
local midnight.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone)


def not_before(instant: datetime | None, *, after: datetime) -> datetime | None:
    """``instant``, or ``after`` when it is already past (None stays None)."""
    if instant is None:
        return None
    return max(instant, after)


def day_due(day: date | None, zone: ZoneInfo, *, after: datetime) -> datetime | None:
    """The local midnight of ``day``, or ``after`` when that is already past."""
    return not_before(midnight(day, zone), after=after) if day is not None else None
