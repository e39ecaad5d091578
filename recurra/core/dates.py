"""The one range of calendar dates Recurra accepts from outside: years 1900 to 2200.

Every date that comes in (API fields, forms, list filters, billing starts, the
test clock) is checked against it, so the schedule maths, the time zones and
the database never meet a day they cannot carry: a fixed term of 1,000 annual
payments that starts on the last day here ends in 3200, far inside Python's
year 9999, and a day's start in any time zone is still an instant in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
    """``day``, or, beyond the range, the day just past its nearest end (1899-12-31, 2201-01-01).
    Every instant Recurra records (created, canceled, paid at) comes from the clock, which stays
    inside the range, so a comparison with the clamped day answers as with ``day``; and the day
    after it, and its start in UTC, still exist."""
    return min(max(day, EARLIEST - timedelta(days=1)), LATEST + timedelta(days=1))
