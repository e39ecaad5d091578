"""Scenario 5: the first charge succeeds, every renewal is declined (tok_fail_renewals), for two years.

    2027-01-15 09:30 UTC  subscribed, 25.00 a month: INV-1 paid; receipt; admin_payment_succeeded × 2 admins
    Feb 1                 payment_reminder (the buyer is reminded even when the card is bound to fail)
    Feb 15                INV-2 declined (insufficient_funds): past_due ("Unpaid"), INV-2 stays open;
                          payment_failed to the buyer; admin_payment_failed to each super admin
    Mar 15 … 2029-01-15   INV-3 … INV-25: each invoiced and declined once; still past_due

The editor (not a super admin) and the super admin without an email get no
notice. The account retries nothing (``retry_schedule_days=[]``; dunning has
its own scenarios): each invoice has exactly one attempt, and no charge is
ever made twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.accounts.roles import Role
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment
from tests.scenarios.conftest import freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER, ANN, BEN = "rita@example.com", "ann@example.com", "ben@example.com"


def test_declined_renewals_leave_the_subscription_unpaid_and_keep_invoicing(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    scenario.settings(retry_schedule_days=[])  # no dunning here: see test_dunning.py
    scenario.user(ANN)
    scenario.user(BEN)
    scenario.user("", username="root")  # no email: no notices
    scenario.user("ed@example.com", role=Role.EDITOR)  # an editor: no notices
    sub = scenario.subscribe(scenario.contact(BUYER, "Rita"), item(amount=2500), token="tok_fail_renewals")

    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    first = scenario.fresh(sub)
    assert (first.status, first.payments_made, first.total_collected) == ("active", 1, 2500)
    assert [(k, to) for k, to, _ in scenario.kinds(sub)] == [
        ("receipt", BUYER),
        ("admin_payment_succeeded", ANN),
        ("admin_payment_succeeded", BEN),
    ]

    renewals = months(date(2027, 2, 15), 24)
    for n, day in enumerate(renewals, start=2):
        scenario.advance(day)
        now = scenario.fresh(sub)
        assert (now.status, now.get_status_display()) == ("past_due", "Unpaid")
        assert (now.payments_made, now.total_collected, now.last_payment_amount) == (1, 2500, 2500)
        assert now.next_payment_date == months(date(2027, 1, 15), n + 1)[-1]
        invoice = scenario.invoices(sub)[-1]
        assert (invoice.number, invoice.period_start, invoice.status, invoice.amount_due) == (
            f"INV-{n}",
            day,
            "open",
            2500,
        )
        assert invoice.overdue_at == datetime(day.year, day.month, day.day, tzinfo=UTC)
        assert [(p.status, p.failure_code, p.retryable) for p in invoice.payments.all()] == [
            ("failed", "insufficient_funds", True)
        ]
        assert [(k, to) for k, to, on in scenario.kinds(sub) if on == day] == [
            ("payment_failed", BUYER),
            ("admin_payment_failed", ANN),
            ("admin_payment_failed", BEN),
        ]

    invoices = scenario.invoices(sub)
    assert [(i.number, i.status) for i in invoices] == [("INV-1", "paid")] + [
        (f"INV-{n}", "open") for n in range(2, 26)
    ]
    payments = Payment.objects.filter(subscription=sub)
    assert sorted(p.invoice_id for p in payments) == sorted(i.pk for i in invoices)  # one attempt per invoice
    assert [p.status for p in payments.order_by("created_at")] == ["succeeded"] + ["failed"] * 24
    assert SandboxCharge.objects.count() == 25  # the gateway saw each charge once
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert {e.to for e in scenario.emails() if e.kind.startswith("admin_")} == {ANN, BEN}
    assert len(scenario.emails(kind="payment_failed", to=BUYER)) == 24
    assert len(scenario.emails(kind="admin_payment_failed")) == 48
    assert len(scenario.emails(kind="receipt")) == 1
    scenario.check_invariants()
