"""Scenario 6: payment reminders exactly N account-local days before each automatic charge, once each.

Account zone America/New_York (DST starts Mar 14 2027, ends Nov 7 2027); the
server is on UTC. Two subscriptions of one buyer from 2027-01-15: ``auto``
(charged automatically, 30.00 a month) and ``manual`` (send_invoice, net 15:
never reminded, its invoice is the notice).

    2027-02-01  reminder for Feb 15 (14 days) … 2027-09-01 for Sep 15   (nothing the day before)
    2027-09-15  after the charge: payment_reminders_enabled = false
    Oct 2027 … May 2028: charges, no reminders
    2028-05-15  after the charge: reminders on, reminder_days_before = 7
    2028-06-08  reminder for Jun 15 (7 days) … 2029-01-08 for Jan 15 2029
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.scenarios.conftest import freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "remy@example.com"
NEW_YORK = ZoneInfo("America/New_York")


def _reminders(scenario) -> list[tuple[date, str, date | None, int]]:
    """(local day queued, to, charge_on, amount) of every reminder."""
    return [
        (
            e.created_at.astimezone(NEW_YORK).date(),
            e.to,
            date.fromisoformat(e.data["charge_on"]),
            e.data["amount"],
        )
        for e in scenario.emails(kind="payment_reminder")
    ]


def _remind_and_charge(scenario, charge_on: date, days_before: int) -> None:
    """The day before the reminder: none; the reminder day: exactly one; then the charge."""
    reminded = len(_reminders(scenario))
    scenario.advance(charge_on - timedelta(days=days_before + 1))
    assert len(_reminders(scenario)) == reminded, f"reminded early for {charge_on}"
    scenario.advance(charge_on - timedelta(days=days_before))
    assert _reminders(scenario)[reminded:] == [
        (charge_on - timedelta(days=days_before), BUYER, charge_on, 3000)
    ]
    scenario.advance(charge_on)
    assert len(_reminders(scenario)) == reminded + 1  # once per charge


def test_reminders_come_exactly_n_local_days_before_each_automatic_charge(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    scenario.settings(timezone="America/New_York")
    contact = scenario.contact(BUYER, "Remy")
    auto = scenario.subscribe(contact, item(name="Auto", amount=3000))
    manual = scenario.subscribe(
        contact, item(name="Manual", amount=3000), collection="send_invoice", payment_terms="net_15"
    )
    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=ZoneInfo("UTC")))

    charges = months(date(2027, 2, 15), 24)  # Feb 15 2027 … Jan 15 2029
    for charge_on in charges[:8]:  # Feb … Sep 2027, across the DST change
        _remind_and_charge(scenario, charge_on, 14)
    scenario.settings(payment_reminders_enabled=False)

    for charge_on in charges[8:16]:  # Oct 2027 … May 2028
        scenario.advance(charge_on)
    assert [r[2] for r in _reminders(scenario)] == charges[:8]
    scenario.settings(payment_reminders_enabled=True, reminder_days_before=7)

    for charge_on in charges[16:]:  # Jun 2028 … Jan 2029
        _remind_and_charge(scenario, charge_on, 7)

    assert _reminders(scenario) == [(d - timedelta(days=14), BUYER, d, 3000) for d in charges[:8]] + [
        (d - timedelta(days=7), BUYER, d, 3000) for d in charges[16:]
    ]
    assert scenario.emails(kind="payment_reminder", sub=manual) == []
    assert [e.subscription_id for e in scenario.emails(kind="payment_reminder")] == [auto.pk] * 16
    assert len(scenario.emails(kind="invoice", sub=manual)) == 25  # billed all along, by email
    assert len(scenario.emails(kind="receipt", sub=auto)) == 25
    assert scenario.fresh(auto).reminded_for == date(2029, 1, 15)
    scenario.check_invariants()
