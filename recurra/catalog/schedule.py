"""Billing-period maths: pure functions over dates, no database, no clock.

Rules:
- Period ``n`` starts at ``anchor + n × step``, always computed from the
  anchor, never from the previous period: anchor Jan 31 bills Feb 28 (29 in a
  leap year), Mar 31, Apr 30, … Month steps clamp to the month's last day;
  week steps are exact multiples of 7 days.
- A period runs from its start up to (not including) the next start.
- A fixed term of ``N`` payments ends at the start of period ``N``: paid
  1 March with 6 monthly payments ends 1 September.
- Billing dates are calendar dates in the account's time zone; an instant
  becomes a date there (:func:`local_date`), whatever the server's zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from recurra.catalog.terms import STEPS, BillingStartType, Step


@dataclass(frozen=True, slots=True)
class Period:
    """Billing period ``index`` (0-based): ``start`` ≤ day < ``end``."""

    index: int
    start: date
    end: date


def step_for(frequency: str) -> Step:
    """The calendar step of a recurring frequency; one-time items have none (ValueError)."""
    try:
        return STEPS[frequency]
    except KeyError:
        raise ValueError(f"{frequency!r} is not a recurring billing frequency") from None


def period_start(anchor: date, step: Step, index: int) -> date:
    """The start of period ``index``, from the anchor (month ends clamp, never drift)."""
    if index < 0:
        raise ValueError("period index must be 0 or more")
    if step.weeks:
        return anchor + timedelta(weeks=step.weeks * index)
    return add_months(anchor, step.months * index)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, the day clamped to the month's last (Jan 31 + 1 → Feb 28/29)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = _MONTH_DAYS[month0]
    if month0 == 1 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    return date(year, month0 + 1, min(day.day, last))


def period(anchor: date, step: Step, index: int) -> Period:
    return Period(index, period_start(anchor, step, index), period_start(anchor, step, index + 1))


def end_date(anchor: date, step: Step, number_of_payments: int | None) -> date | None:
    """When a fixed term ends (the start of the period after the last paid one); None if it renews."""
    if number_of_payments is None:
        return None
    if number_of_payments < 1:
        raise ValueError("a fixed term has at least one payment")
    return period_start(anchor, step, number_of_payments)


def periods_through(
    anchor: date,
    step: Step,
    through: date,
    *,
    first: int = 0,
    number_of_payments: int | None = None,
    anchor_period: int = 0,
) -> Iterator[Period]:
    """Every period from index ``first`` whose start is on or before ``through``, in order,
    stopping after the last payment of a fixed term. ``anchor`` is the start of period
    ``anchor_period`` (a re-anchored schedule; ``first`` is not before it)."""
    index, start = first, period_start(anchor, step, first - anchor_period)
    while (number_of_payments is None or index < number_of_payments) and start <= through:
        end = period_start(anchor, step, index + 1 - anchor_period)  # from the anchor too: no drift
        yield Period(index, start, end)
        index, start = index + 1, end


def index_on(anchor: date, step: Step, day: date) -> int | None:
    """The index of the period containing ``day``; None before the anchor."""
    if day < anchor:
        return None
    if step.weeks:
        return (day - anchor).days // (7 * step.weeks)
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    guess = max(months // step.months, 0)
    # Clamping can put period ``guess`` after ``day`` (anchor 31st, day the 30th): step back.
    while guess > 0 and period_start(anchor, step, guess) > day:
        guess -= 1
    return guess


def start_date(
    purchased_on: date,
    start_type: str,
    *,
    on: date | None = None,
    days: int | None = None,
    months: int | None = None,
) -> date:
    """The first billing date: at purchase, on a date, or delayed by days or months."""
    if start_type == BillingStartType.AT_PURCHASE:
        return purchased_on
    if start_type == BillingStartType.DATE and on is not None:
        return on
    if start_type == BillingStartType.DELAY_DAYS and days is not None:
        return purchased_on + timedelta(days=days)
    if start_type == BillingStartType.DELAY_MONTHS and months is not None:
        return add_months(purchased_on, months)
    raise ValueError(f"billing start {start_type!r} needs its value")


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date of an aware instant in the account's time zone."""
    if instant.tzinfo is None:
        raise ValueError("instant needs a time zone")
    return instant.astimezone(zone).date()
