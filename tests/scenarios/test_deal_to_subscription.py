"""Scenario: a deal converted into two send_invoice subscriptions and a setup invoice, billed for a year.

deal "Fjordline 2027" (Ingrid at Fjordline, quote accepted):
  Hosting (100.00 monthly, 25 % tax)  ──► subscription M: 125.00 a month, net 30
  Support (1,200.00 annually)         ──► subscription A: 1,200.00 a year, net 30
  Setup (500.00 one time)             ──► INV-1 at once: open, due Feb 14, not emailed here
2027-01-15 09:30 converted; the billing run: INV-2 (M), INV-3 (A), both emailed, due Feb 14
Feb 15 2027: INV-1, INV-2 and INV-3 overdue: M and A Unpaid; INV-4 (M) issued and emailed
Mar 15 … Dec 15 2027: INV-5 … INV-14 (M only)
2028-01-15: INV-15 (M), INV-16 (A); Feb 15 2028: INV-17 (M)
no payment is ever taken: manual collection charges nothing
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from recurra.catalog.line_items import LineItemInput
from recurra.commerce.conversion import deal_convert
from recurra.commerce.models import Quote
from recurra.core import clock
from recurra.crm.services import company_create, deal_create
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from tests.scenarios.conftest import SYSTEM, freeze_at, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "ingrid@fjordline.example"
CONVERTED = date(2027, 1, 15)


def test_a_converted_deal_issues_each_subscriptions_invoices_on_its_own_schedule(scenario):
    at = freeze_at(2027, 1, 15, 9, 30)
    company = company_create(actor=SYSTEM, name="Fjordline")
    contact = scenario.contact(BUYER, "Ingrid", "Hansen")
    items = [
        LineItemInput(
            name="Hosting",
            unit_amount=10000,
            currency="USD",
            tax_rate_percent=Decimal(25),
            billing_frequency="monthly",
        ),
        LineItemInput(name="Support", unit_amount=120000, currency="USD", billing_frequency="annually"),
        LineItemInput(name="Setup", unit_amount=50000, currency="USD", billing_frequency="one_time"),
    ]
    deal = deal_create(
        actor=SYSTEM, name="Fjordline 2027", contact_id=contact.pk, company_id=company.pk, line_items=items
    )
    quote = Quote.objects.create(
        name="Fjordline 2027", status="accepted", deal=deal, currency="USD", expires_on=date(2027, 2, 1)
    )

    done = deal_convert(deal=deal, actor=SYSTEM, at=at)

    m, a = done.subscriptions
    for sub in (m, a):
        assert (sub.collection_method, sub.payment_terms, sub.status) == ("send_invoice", "net_30", "active")
        assert (sub.contact_id, sub.company_id, sub.deal_id, sub.quote_id) == (
            contact.pk,
            company.pk,
            deal.pk,
            quote.pk,
        )
    assert [(s.name, s.billing_frequency, s.next_payment_amount) for s in (m, a)] == [
        ("Hosting", "monthly", 12500),
        ("Support", "annually", 120000),
    ]
    setup = done.invoice
    assert (setup.number, setup.status, setup.total, setup.due_on) == (
        "INV-1",
        "open",
        50000,
        date(2027, 2, 14),
    )
    (sent,) = scenario.emails()  # the setup invoice goes to the contact with its pay link
    assert (sent.kind, sent.to, sent.invoice_id, sent.data["invoice_number"]) == (
        "invoice",
        contact.email,
        setup.pk,
        "INV-1",
    )

    scenario.advance(at)  # the billing run at the same instant bills both first periods
    (m1,), (a1,) = scenario.invoices(m), scenario.invoices(a)
    assert [(i.number, i.issued_on, i.due_on, i.total, i.period_end) for i in (m1, a1)] == [
        ("INV-2", CONVERTED, date(2027, 2, 14), 12500, date(2027, 2, 15)),
        ("INV-3", CONVERTED, date(2027, 2, 14), 120000, date(2028, 1, 15)),
    ]
    assert [(e.kind, e.to, e.invoice_id) for e in scenario.emails()] == [
        ("invoice", BUYER, setup.pk),
        ("invoice", BUYER, m1.pk),
        ("invoice", BUYER, a1.pk),
    ]

    scenario.advance(date(2027, 2, 15))
    assert (scenario.fresh(m).status, scenario.fresh(a).status) == ("past_due", "past_due")
    assert Invoice.objects.get(pk=setup.pk).overdue_at is not None

    billing = months(CONVERTED, 14)  # Jan 15 2027 … Feb 15 2028
    for day in billing[2:]:
        scenario.advance(day)

    monthly = scenario.invoices(m)
    assert [(i.issued_on, i.due_on, i.total, i.status) for i in monthly] == [
        (day, day + timedelta(days=30), 12500, "open") for day in billing
    ]
    assert [(i.number, i.issued_on, i.total) for i in scenario.invoices(a)] == [
        ("INV-3", CONVERTED, 120000),
        ("INV-16", date(2028, 1, 15), 120000),
    ]
    assert (monthly[11].number, monthly[12].number, monthly[13].number) == ("INV-14", "INV-15", "INV-17")
    assert [e.invoice_id for e in scenario.emails(kind="invoice")] == [
        i.pk
        for i in sorted(
            [setup, *monthly, *scenario.invoices(a)], key=lambda i: int(i.number.removeprefix("INV-"))
        )
    ]
    assert (scenario.fresh(m).next_payment_date, scenario.fresh(a).next_payment_date) == (
        date(2028, 3, 15),
        date(2029, 1, 15),
    )
    assert Payment.objects.count() == 0
    assert Invoice.objects.get(pk=setup.pk).status == "open"
    assert clock.now().date() == date(2028, 2, 15)
    scenario.check_invariants()
