"""The one range of calendar dates Recurra accepts from outside: years 1900 to 2200.

Every date that comes in (API fields, forms, list filters, billing starts, the
test clock) is checked against it, so the schedule maths, the time zones and
the database never meet a day they cannot carry: a fixed term of 1,000 annual
payments that starts on the last day here ends in 3200, far inside Python's
year 9999, and a day's start in any time zone is still an instant in UTC.
"""

from __future__ import annotations

from datetime import date, datetime

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
RANGE_TEXT = f"from {EARLIEST.isoformat()} to {LATEST.isoformat()}"


def out_of_range(day: date | datetime) -> str | None:
    """Why ``day`` (a date, or an instant's date) is not accepted, or None when it is."""
    value = day.date() if isinstance(day, datetime) else day
    if EARLIEST <= value <= LATEST:
        return None
    return f"must be a date {RANGE_TEXT}"


def clamped(day: date) -> date:
    """``day`` moved into the range (its first or last day). Instants Recurra records (created,
    canceled, paid at) come from the clock, which stays inside the range, so a day outside it
    compares with them as the range's nearest end does."""
    return min(max(day, EARLIEST), LATEST)
