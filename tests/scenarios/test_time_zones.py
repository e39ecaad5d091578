"""Scenario 8: billing dates are dates in the account's zone, whatever the server's zone is.

The process runs with TZ set far from the account's zone (``time.tzset``).

    Pacific/Auckland account, server on America/Los_Angeles:
      2027-01-31 11:30 UTC = Feb 1 00:30 NZDT (still Jan 31 in UTC and in LA): subscribed → anchor Feb 1
      Feb 28 10:59 UTC (23:59 NZDT): nothing; Feb 28 11:00 UTC = Mar 1 00:00 NZDT: INV-2 issued Mar 1
      NZDT ends Apr 4 2027: May 1 00:00 NZST = Apr 30 12:00 UTC … 25 months, to 2029-01-01
    America/Los_Angeles account, server on Pacific/Kiritimati (UTC+14):
      2027-02-01 07:30 UTC = Jan 31 23:30 PST (Feb 1 in UTC and on the server): anchor Jan 31
      Feb 28 00:00 PST = Feb 28 08:00 UTC; PDT from Mar 14: Mar 31 00:00 PDT = 07:00 UTC … to 2029-01-31
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recurra.core import clock
from recurra.payments.models import Payment
from tests.scenarios.conftest import item, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "tz@example.com"


@pytest.fixture
def server_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if saved is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.parametrize(
    ("account_zone", "server_zone", "bought", "anchor"),
    [
        (
            "Pacific/Auckland",
            "America/Los_Angeles",
            datetime(2027, 1, 31, 11, 30, tzinfo=UTC),
            date(2027, 2, 1),
        ),
        (
            "America/Los_Angeles",
            "Pacific/Kiritimati",
            datetime(2027, 2, 1, 7, 30, tzinfo=UTC),
            date(2027, 1, 31),
        ),
    ],
    indirect=["server_zone"],
)
def test_billing_dates_are_account_local_dates(scenario, account_zone, server_zone, bought, anchor):
    zone = ZoneInfo(account_zone)
    server_date = datetime.fromtimestamp(bought.timestamp()).date()  # naive: the process's zone
    assert anchor not in (server_date, bought.date())  # neither the server's nor UTC's date
    clock.freeze(bought)
    scenario.settings(timezone=account_zone)
    sub = scenario.subscribe(scenario.contact(BUYER), item(amount=1500))
    assert (sub.start_date, sub.next_payment_date) == (anchor, anchor)
    scenario.advance(bought)

    billing = months(anchor, 25)
    for n, day in enumerate(billing[1:], start=1):
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        scenario.advance(midnight - timedelta(minutes=1))  # 23:59 the evening before, local
        assert len(scenario.invoices(sub)) == n, day
        scenario.advance(midnight)
        assert len(scenario.invoices(sub)) == n + 1, day
        assert scenario.fresh(sub).next_payment_date == months(anchor, n + 2)[-1]

    invoices = scenario.invoices(sub)
    assert [(i.number, i.period_start, i.issued_on) for i in invoices] == [
        (f"INV-{n + 1}", day, day) for n, day in enumerate(billing)
    ]
    charged_at = [bought] + [
        datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(UTC) for d in billing[1:]
    ]
    payments = list(Payment.objects.order_by("created_at"))
    assert [(p.created_at, p.status) for p in payments] == [(at, "succeeded") for at in charged_at]
    assert [p.created_at.astimezone(zone).date() for p in payments] == billing
    reminders = scenario.emails(kind="payment_reminder")
    assert [e.created_at.astimezone(zone) for e in reminders] == [
        datetime(d.year, d.month, d.day, tzinfo=zone) - timedelta(days=14) for d in billing[1:]
    ]
    scenario.check_invariants()
