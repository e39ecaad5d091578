"""Schedule maths: anchor-true periods, fixed-term ends, starts, and dates in the account's zone.

anchor Jan 31 (monthly)
──┬────────┬────────┬────────┬────────┬──
 Jan 31   Feb 29   Mar 31   Apr 30   May 31     (2024: leap year)
  p0       p1       p2       p3       p4
"""

import calendar
import os
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recurra.catalog.schedule import (
    Period,
    end_date,
    index_on,
    local_date,
    period,
    period_start,
    periods_through,
    start_date,
    step_for,
)
from recurra.catalog.terms import STEPS, BillingFrequency, Step

MONTHLY = step_for(BillingFrequency.MONTHLY)
ZONES = [
    "UTC",
    "Europe/Oslo",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "America/Adak",
    "Asia/Kolkata",
]


def test_month_end_anchor_clamps_and_comes_back():
    starts = [period_start(date(2024, 1, 31), MONTHLY, n) for n in range(5)]
    assert starts == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert period_start(date(2023, 1, 31), MONTHLY, 1) == date(2023, 2, 28)


def test_leap_day_annual_anchor():
    annual = step_for(BillingFrequency.ANNUALLY)
    assert [period_start(date(2024, 2, 29), annual, n) for n in range(5)] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_fixed_term_end_date_is_the_start_after_the_last_payment():
    # Paid 1 March with 6 monthly payments: end date 1 September.
    assert end_date(date(2027, 3, 1), MONTHLY, 6) == date(2027, 9, 1)
    assert end_date(date(2027, 3, 1), MONTHLY, None) is None
    with pytest.raises(ValueError):
        end_date(date(2027, 3, 1), MONTHLY, 0)


def test_periods_through_stops_at_the_clock_and_at_the_term():
    got = list(periods_through(date(2027, 1, 31), MONTHLY, date(2027, 4, 29)))
    assert got == [
        Period(0, date(2027, 1, 31), date(2027, 2, 28)),
        Period(1, date(2027, 2, 28), date(2027, 3, 31)),
        Period(2, date(2027, 3, 31), date(2027, 4, 30)),
    ]
    fixed = list(periods_through(date(2027, 3, 1), MONTHLY, date(2030, 1, 1), number_of_payments=6))
    assert [p.index for p in fixed] == [0, 1, 2, 3, 4, 5] and fixed[-1].end == date(2027, 9, 1)
    later = list(periods_through(date(2027, 3, 1), MONTHLY, date(2027, 5, 1), first=2))
    assert [p.start for p in later] == [date(2027, 5, 1)]
    assert list(periods_through(date(2027, 3, 1), MONTHLY, date(2027, 2, 28))) == []


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("at_purchase", {}, date(2027, 1, 31)),
        ("date", {"on": date(2027, 6, 1)}, date(2027, 6, 1)),
        ("delay_days", {"days": 30}, date(2027, 3, 2)),
        ("delay_months", {"months": 1}, date(2027, 2, 28)),
    ],
)
def test_start_dates(kind, values, expected):
    assert start_date(date(2027, 1, 31), kind, **values) == expected


def test_start_without_its_value_and_one_time_frequency_are_refused():
    with pytest.raises(ValueError):
        start_date(date(2027, 1, 1), "delay_days")
    with pytest.raises(ValueError):
        step_for(BillingFrequency.ONE_TIME)
    with pytest.raises(ValueError):
        period_start(date(2027, 1, 1), MONTHLY, -1)


anchors = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
month_steps = st.sampled_from([s for s in STEPS.values() if s.months])
any_step = st.sampled_from(list(STEPS.values()))


@settings(max_examples=1000)
@given(anchors, month_steps, st.integers(0, 240))
def test_month_period_lands_in_its_month_on_the_anchor_day_or_the_months_last(anchor, step, n):
    start = period_start(anchor, step, n)
    months = anchor.year * 12 + anchor.month - 1 + n * step.months
    assert (start.year, start.month) == (months // 12, months % 12 + 1)
    assert start.day == min(anchor.day, calendar.monthrange(start.year, start.month)[1])


@settings(max_examples=1000)
@given(anchors, any_step, st.integers(0, 120))
def test_periods_tile_time_without_gap_overlap_or_drift(anchor, step, n):
    this, following = period(anchor, step, n), period(anchor, step, n + 1)
    assert this.start < this.end == following.start  # no gap, no overlap, no double
    if step.weeks:
        assert (this.start - anchor).days == 7 * step.weeks * n  # no drift
    # Every day of the period maps back to it; the day before belongs to the previous one.
    assert index_on(anchor, step, this.start) == n
    assert index_on(anchor, step, this.end - timedelta(days=1)) == n
    if n:
        assert index_on(anchor, step, this.start - timedelta(days=1)) == n - 1


@given(anchors, any_step, st.integers(1, 60), st.integers(0, 400))
def test_periods_through_bills_each_due_period_once(anchor, step, count, days_later):
    through = anchor + timedelta(days=days_later)
    got = list(periods_through(anchor, step, through, number_of_payments=count))
    assert [p.index for p in got] == list(range(len(got)))  # none skipped, none doubled
    assert all(p.start <= through for p in got)
    if len(got) < count:
        assert period_start(anchor, step, len(got)) > through  # nothing due left out
    assert index_on(anchor, step, anchor - timedelta(days=1)) is None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(ZONES))
def test_midnight_in_the_account_zone_is_that_date_even_across_dst(day, zone_name):
    zone = ZoneInfo(zone_name)
    midnight = datetime.combine(day, clock_time(0), zone)
    assert local_date(midnight.astimezone(UTC), zone) == day
    assert local_date((midnight + timedelta(days=1)).astimezone(UTC) - timedelta(microseconds=1), zone) == day


@pytest.mark.parametrize("server_zone", ["Pacific/Kiritimati", "America/Adak", "Europe/Oslo"])
def test_server_time_zone_does_not_change_billing_dates(server_zone):
    saved = os.environ.get("TZ")
    os.environ["TZ"] = server_zone
    time.tzset()
    try:
        # 23:30 UTC on 30 Mar 2027 is already 31 Mar in Oslo (after the DST change).
        instant = datetime(2027, 3, 30, 23, 30, tzinfo=UTC)
        assert local_date(instant, ZoneInfo("Europe/Oslo")) == date(2027, 3, 31)
        assert local_date(instant, ZoneInfo("America/New_York")) == date(2027, 3, 30)
    finally:
        if saved is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        local_date(datetime(2027, 1, 1), ZoneInfo("UTC"))


def test_weekly_steps_are_exact_weeks():
    weekly: Step = step_for(BillingFrequency.WEEKLY)
    assert [period_start(date(2027, 12, 29), weekly, n) for n in range(3)] == [
        date(2027, 12, 29),
        date(2028, 1, 5),
        date(2028, 1, 12),
    ]


@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    months=st.integers(min_value=-1200, max_value=1200),
)
@settings(max_examples=1000, derandomize=True)
def test_add_months_agrees_with_dateutil(day: date, months: int) -> None:
    from dateutil.relativedelta import relativedelta

    from recurra.catalog.schedule import add_months

    assert add_months(day, months) == day + relativedelta(months=months)


def test_a_reanchored_schedule_counts_periods_from_its_new_anchor() -> None:
    """Resumed on 10 June at period 4: period 4 starts 10 June, period 5 on 10 July."""
    from recurra.catalog.schedule import periods_through

    monthly = STEPS[BillingFrequency.MONTHLY]
    got = list(periods_through(date(2027, 6, 10), monthly, date(2027, 7, 10), first=4, anchor_period=4))
    assert [(p.index, p.start, p.end) for p in got] == [
        (4, date(2027, 6, 10), date(2027, 7, 10)),
        (5, date(2027, 7, 10), date(2027, 8, 10)),
    ]
    fixed = periods_through(
        date(2027, 6, 10), monthly, date(2030, 1, 1), first=4, anchor_period=4, number_of_payments=6
    )
    assert [p.index for p in fixed] == [4, 5]  # a fixed term keeps its number of payments
