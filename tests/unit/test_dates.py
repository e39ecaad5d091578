"""The one range of dates Recurra accepts (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from recurra.core.dates import EARLIEST, LATEST, clamped, out_of_range

FAR = "must be a date from 1900-01-01 to 2200-12-31"


def test_the_range_ends_are_in_and_the_days_beyond_are_out() -> None:
    assert (EARLIEST, LATEST) == (date(1900, 1, 1), date(2200, 12, 31))
    assert [out_of_range(d) for d in (EARLIEST, LATEST, date(2027, 1, 15))] == [None, None, None]
    assert [out_of_range(d) for d in (date(1899, 12, 31), date(2201, 1, 1), date.max, date.min)] == [FAR] * 4


def test_an_instant_counts_by_its_own_day() -> None:
    last_minute = datetime(2200, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5)))  # 2201 in UTC
    assert out_of_range(last_minute) is None
    assert out_of_range(datetime(9999, 12, 31, 23, 59, tzinfo=UTC)) == FAR


def test_clamped_keeps_the_range_and_moves_far_days_just_past_its_ends() -> None:
    assert clamped(date(2027, 1, 15)) == date(2027, 1, 15)
    assert clamped(LATEST) == LATEST
    assert clamped(date.max) == date(2201, 1, 1)
    assert clamped(date.min) == date(1899, 12, 31)
    assert clamped(date.max) + timedelta(days=1) == date(2201, 1, 2)  # the next day exists
