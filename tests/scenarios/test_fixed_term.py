"""Scenario 2: a fixed term of 6 monthly payments ends, expires, and is never billed again.

2027-03-01 09:30 UTC  subscribed (tok_visa, 49.00 a month, 6 payments; end_date 2027-09-01)
    │  INV-1 Mar 1 (billed at once)
Mar 18  reminder for Apr 1 … Jul 18 reminder for Aug 1
Apr 1 INV-2, May 1 INV-3, Jun 1 INV-4, Jul 1 INV-5
Aug 1  INV-6, paid → expired; next_payment_date None
Sep 1 (end_date) … 2029-03-01: nothing (no invoice, payment, reminder or event)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from recurra.core.models import Event
from recurra.payments.models import Payment
from recurra.worker.testclock import next_due_at
from tests.scenarios.conftest import freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "fiona@example.com"


def test_six_payments_then_expired_and_nothing_more_for_two_years(scenario):
    freeze_at(2027, 3, 1, 9, 30)
    contact = scenario.contact(BUYER, "Fiona", "Fixed")
    sub = scenario.subscribe(contact, item(name="Course", amount=4900, payments=6))
    assert (sub.status, sub.start_date, sub.end_date, sub.number_of_payments) == (
        "active",
        date(2027, 3, 1),
        date(2027, 9, 1),
        6,
    )
    scenario.advance(datetime(2027, 3, 1, 9, 30, tzinfo=UTC))  # billed at once

    due = months(date(2027, 3, 1), 6)
    for n, day in enumerate(due):
        if n:
            scenario.advance(day - timedelta(days=1))
            assert len(scenario.invoices(sub)) == n  # not a day early
            scenario.advance(day)
        now = scenario.fresh(sub)
        assert len(scenario.invoices(sub)) == n + 1
        assert now.payments_made == n + 1
        assert now.total_collected == 4900 * (n + 1)
        if n < 5:
            assert (now.status, now.next_payment_date) == ("active", due[n + 1])
    ended = scenario.fresh(sub)
    assert (ended.status, ended.next_payment_date, ended.end_date) == ("expired", None, date(2027, 9, 1))
    assert ended.ended_at == datetime(2027, 8, 1, tzinfo=UTC)
    assert (ended.payments_made, ended.periods_billed, ended.last_payment_amount) == (6, 6, 4900)
    assert [e.type for e in Event.objects.filter(object_id=sub.pk, type="subscription.expired")] == [
        "subscription.expired"
    ]

    invoices = scenario.invoices(sub)
    assert [(i.number, i.period_start, i.period_end, i.total, i.status) for i in invoices] == [
        (f"INV-{n + 1}", start, end, 4900, "paid")
        for n, (start, end) in enumerate(zip(due, [*due[1:], date(2027, 9, 1)], strict=True))
    ]
    assert [(p.invoice_id, p.amount, p.status) for p in scenario.payments(sub)] == [
        (i.pk, 4900, "succeeded") for i in invoices
    ]
    emails = [("receipt", BUYER, due[0])]
    for day in due[1:]:
        emails += [("payment_reminder", BUYER, day - timedelta(days=14)), ("receipt", BUYER, day)]
    assert scenario.kinds(sub) == emails  # and no reminder for Sep 1, which is never charged

    # After the term: nothing is due any more, and two years pass without a single new row.
    rows = scenario.counts()
    assert next_due_at(after=datetime(2027, 8, 1, 1, tzinfo=UTC)) is None
    for day in months(date(2027, 9, 1), 19):  # Sep 1 2027 … Mar 1 2029
        scenario.advance(day)
        assert scenario.counts() == rows, day
    assert Payment.objects.count() == 6
    assert scenario.fresh(sub).status == "expired"
    scenario.check_invariants()
