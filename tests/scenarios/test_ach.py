"""Scenario 4: bank debits (ACH) are ``processing`` for 4 days, then settle (tok_ach) or fail (tok_ach_fail).

2027-01-15 09:30 UTC  two buyers subscribe, 25.00 a month each: Olive (tok_ach), Frank (tok_ach_fail)
                      INV-1 (Olive), INV-2 (Frank): payments processing; invoices open
Jan 16, 17, 18 00:00  still processing; nothing emailed
Jan 19 09:30          exactly 4 days: Olive's succeeded (invoice paid, receipt, admin notice);
                      Frank's failed (past_due, payment_failed email, admin_payment_failed)
each 15th (00:00)     INV-(2n+1), INV-(2n+2): processing
each 19th (00:00)     settled, exactly 4 days after the charge
… through 2029-01-19 (25 periods each)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from tests.scenarios.conftest import freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
OLIVE, FRANK, BOSS = "olive@example.com", "frank@example.com", "boss@example.com"
BOUGHT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
SETTLES = timedelta(days=4)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _latest(sub) -> tuple[Invoice, Payment]:
    invoice = Invoice.objects.filter(subscription=sub).latest("period_start")
    return invoice, Payment.objects.get(invoice=invoice)


def _emails_since(scenario, since: datetime) -> list[tuple[str, str]]:
    """Sorted: two buyers' debits may be billed by two billing threads, in either order."""
    return sorted((e.kind, e.to) for e in scenario.emails() if e.created_at >= since)


def test_bank_debits_settle_or_fail_exactly_four_days_after_each_charge(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    scenario.user(BOSS)
    ok = scenario.subscribe(scenario.contact(OLIVE, "Olive"), item(amount=2500), token="tok_ach")
    bad = scenario.subscribe(scenario.contact(FRANK, "Frank"), item(amount=2500), token="tok_ach_fail")
    charged = [BOUGHT, *(_midnight(d) for d in months(date(2027, 2, 15), 24))]

    for n, at in enumerate(charged):
        scenario.advance(at)
        for sub in (ok, bad):
            invoice, payment = _latest(sub)
            assert (payment.status, payment.method_type, payment.created_at) == ("processing", "ach", at)
            assert (invoice.status, invoice.amount_due, invoice.period_start) == ("open", 2500, at.date())
        assert _emails_since(scenario, at) == []  # no receipt, no failure while the debit is processing
        assert scenario.fresh(ok).payments_made == n  # not counted before the money settles

        if n == 0:  # day by day: processing on each local midnight before the fourth day
            for day in (16, 17, 18):
                scenario.advance(datetime(2027, 1, day, tzinfo=UTC))
                assert {_latest(s)[1].status for s in (ok, bad)} == {"processing"}
        elif n < 3 or n == len(charged) - 1:  # (the clock also stops at each midnight in between)
            scenario.advance(at + SETTLES - timedelta(days=1))
            assert {_latest(s)[1].status for s in (ok, bad)} == {"processing"}
        settled = at + SETTLES
        scenario.advance(settled)

        invoice, payment = _latest(ok)
        assert (payment.status, payment.settled_at) == ("succeeded", settled)
        assert (invoice.status, invoice.paid_at, invoice.amount_due) == ("paid", settled, 0)
        invoice, payment = _latest(bad)
        assert (payment.status, payment.settled_at, payment.failure_code) == (
            "failed",
            settled,
            "insufficient_funds",
        )
        assert (invoice.status, invoice.amount_due) == ("open", 2500)
        assert _emails_since(scenario, settled) == sorted(
            [
                ("receipt", OLIVE),
                ("admin_payment_succeeded", BOSS),
                ("payment_failed", FRANK),
                ("admin_payment_failed", BOSS),
            ]
        )
        o, f = scenario.fresh(ok), scenario.fresh(bad)
        assert (o.status, o.payments_made, o.total_collected) == ("active", n + 1, 2500 * (n + 1))
        assert (f.status, f.payments_made, f.total_collected) == ("past_due", 0, 0)
        assert o.next_payment_date == f.next_payment_date == date(2027, 2, 15) + relativedelta(months=n)

    assert [i.number for i in scenario.invoices(ok)] == [f"INV-{2 * n + 1}" for n in range(25)]
    assert [i.number for i in scenario.invoices(bad)] == [f"INV-{2 * n + 2}" for n in range(25)]
    assert {i.status for i in scenario.invoices(bad)} == {"open"}
    assert Payment.objects.filter(subscription=ok, status="succeeded").count() == 25
    assert Payment.objects.filter(subscription=bad, status="failed", origin="renewal").count() == 25
    assert (
        Payment.objects.filter(origin="renewal").count() == 50
    )  # one debit per invoice: nothing taken twice
    retried = Payment.objects.filter(subscription=bad, origin="retry")  # dunning: 3, 5, 7 days after each
    assert {p.status for p in retried} <= {"failed", "processing"} and retried.count() >= 3 * 24
    scenario.check_invariants()


def test_a_debit_settles_at_its_instant_when_the_clock_jumps_past_it(scenario):
    # 2027-01-15 09:30 debit made ──(one advance to Jan 25)──► settled Jan 19 09:30, receipt that day
    freeze_at(2027, 1, 15, 9, 30)
    sub = scenario.subscribe(scenario.contact(OLIVE), item(amount=2500), token="tok_ach")

    scenario.advance(datetime(2027, 1, 25, tzinfo=UTC))

    _, payment = _latest(sub)
    assert (payment.status, payment.settled_at) == ("succeeded", BOUGHT + SETTLES)
