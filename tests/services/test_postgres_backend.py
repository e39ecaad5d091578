"""Recurra's PostgreSQL backend reads ``timestamptz`` with psycopg's C loader: same values as Django's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-15 09:30:00+00", dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)),
        ("2027-01-15 09:30:00.123456+00", dt.datetime(2027, 1, 15, 9, 30, 0, 123456, tzinfo=dt.UTC)),
        ("2027-03-28 02:30:00.5+02", dt.datetime(2027, 3, 28, 0, 30, 0, 500000, tzinfo=dt.UTC)),
        ("1999-12-31 23:59:59+05:30", dt.datetime(1999, 12, 31, 18, 29, 59, tzinfo=dt.UTC)),
        ("9999-12-31 23:59:59.999999+00", dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)),
    ],
)
def test_timestamps_read_as_aware_utc_datetimes(text: str, expected: dt.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, NULL::timestamptz", [text])
        value, null = cursor.fetchone()
    assert value == expected and value.tzinfo is dt.UTC and null is None


def test_models_read_their_datetimes_in_utc(frozen_clock: dt.datetime) -> None:
    from recurra.crm.models import Contact

    Contact.objects.create(email="a@example.com")
    assert Contact.objects.get().created_at == frozen_clock
    assert Contact.objects.get().created_at.tzinfo is dt.UTC
