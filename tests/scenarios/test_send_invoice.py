"""Scenario 7: send_invoice, net 30: emailed with a pay link on the billing date, Unpaid after the due date.

2027-01-15 09:30 UTC  subscribed, 100.00 + 10 % tax a month, send_invoice, net_30
                      INV-1 issued Jan 15, due Feb 14; "invoice" email with its pay_url; no payment
Feb 14 00:00          due today: still active (not a day early)
Feb 15 00:00          INV-1 overdue → past_due ("Unpaid"); INV-2 issued, due Mar 17
Mar 15 INV-3 (due Apr 14) … 2029-01-15 INV-25 (due Feb 14 2029)
2029-02-15            INV-25 overdue; INV-26 issued (due Mar 17 2029, not yet overdue)
each invoice is marked overdue once, at midnight after its due date; no charge is ever made
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings

from recurra.invoicing.links import invoice_for_token
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment
from tests.scenarios.conftest import freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "ivy@example.com"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_net_30_invoices_are_emailed_and_become_unpaid_the_day_after_they_are_due(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    sub = scenario.subscribe(
        scenario.contact(BUYER, "Ivy"),
        item(name="Hosting", amount=10000, tax="10"),
        collection="send_invoice",
        payment_terms="net_30",
    )
    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))

    (first,) = scenario.invoices(sub)
    assert (first.number, first.status, first.issued_on, first.due_on) == (
        "INV-1",
        "open",
        date(2027, 1, 15),
        date(2027, 2, 14),
    )
    assert (first.subtotal, first.tax, first.total, first.amount_due) == (10000, 1000, 11000, 11000)
    (email,) = scenario.emails(sub=sub)
    assert (email.kind, email.to, email.invoice_id) == ("invoice", BUYER, first.pk)
    assert email.created_at == email.sent_at == datetime(2027, 1, 15, 9, 30, tzinfo=UTC)  # sent at once
    assert (email.data["invoice_number"], email.data["due_on"], email.data["amount_due"]) == (
        "INV-1",
        "2027-02-14",
        11000,
    )
    pay_url = scenario.delivered_link(email, "pay_url")
    assert pay_url.startswith(f"{settings.RECURRA_BASE_URL}/pay/invoices/")
    assert invoice_for_token(pay_url.rstrip("/").rsplit("/", 1)[1]) == first

    scenario.advance(date(2027, 2, 14))  # the due date itself
    assert scenario.fresh(sub).status == "active"
    assert scenario.invoices(sub)[0].overdue_at is None
    scenario.advance(date(2027, 2, 15))
    assert scenario.fresh(sub).get_status_display() == "Unpaid"
    assert scenario.invoices(sub)[0].overdue_at == _midnight(date(2027, 2, 15))

    billing = months(date(2027, 1, 15), 26)  # … 2029-02-15 (INV-26, due Mar 17 2029)
    for day in billing[2:-1]:
        scenario.advance(day)
        assert scenario.fresh(sub).status == "past_due"
    scenario.advance(date(2029, 2, 14))  # INV-25's due date
    assert scenario.invoices(sub)[-1].overdue_at is None
    scenario.advance(date(2029, 2, 15))  # INV-25 overdue, INV-26 issued

    invoices = scenario.invoices(sub)
    assert [(i.number, i.issued_on, i.due_on, i.status, i.amount_due) for i in invoices] == [
        (f"INV-{n + 1}", day, day + timedelta(days=30), "open", 11000) for n, day in enumerate(billing)
    ]
    assert [i.overdue_at for i in invoices] == [
        _midnight(day + timedelta(days=31)) for day in billing[:-1]
    ] + [None]
    invoice_emails = scenario.emails(kind="invoice", sub=sub)
    assert [(e.invoice_id, e.to, e.created_at.date()) for e in invoice_emails] == [
        (i.pk, BUYER, i.issued_on) for i in invoices
    ]
    assert [e.data["due_on"] for e in invoice_emails] == [i.due_on.isoformat() for i in invoices]
    assert {e.kind for e in scenario.emails(sub=sub)} == {"invoice"}  # no reminder, no failure notice
    assert Payment.objects.count() == SandboxCharge.objects.count() == 0
    final = scenario.fresh(sub)
    assert (final.status, final.payments_made, final.total_collected) == ("past_due", 0, 0)
    assert final.next_payment_date == date(2029, 3, 15)
    scenario.check_invariants()
