"""Scenario 3: one purchase of monthly and annual items becomes two subscriptions on their own schedules.

    purchase 2027-01-15 09:30 UTC (one buyer, one card):
      Seats × 3 (15.00, monthly), Support (5.00, monthly)  ──► subscription M: 50.00 a month
      Licence (1,200.00, annually)                         ──► subscription A: 1,200.00 a year
      Setup fee (one time)                                 ──► no subscription
    2027-01-15  INV-1 (M), INV-2 (A)     both billed at once, M first (created first)
    Feb 15 … Dec 15 2027: INV-3 … INV-13 (M only)
    2028-01-01  reminder for A; 2028-01-15: INV-14 (M), INV-15 (A)
    Feb 15 … Dec 15 2028: INV-16 … INV-26 (M); 2029-01-15: INV-27 (M), INV-28 (A)

POST /subscriptions with the monthly and the annual item together is a 422
naming the annual item's billing_frequency.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dateutil.relativedelta import relativedelta

from recurra.catalog import schedule
from recurra.catalog.line_items import LineItemInput
from recurra.subscriptions.grouping import group_items, group_key
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from tests.api.support import ok
from tests.scenarios.conftest import SYSTEM, freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "gus@example.com"
PURCHASED = date(2027, 1, 15)


def _key(line: LineItemInput):
    start = schedule.start_date(PURCHASED, line.billing_start.type, on=line.billing_start.date)
    return group_key(
        billing_frequency=line.billing_frequency or "",
        billing_terms=line.billing_terms,
        start_date=start,
        number_of_payments=line.number_of_payments,
    )


def test_mixed_frequencies_through_the_api_make_one_subscription_each(scenario, api):
    """POST /subscriptions splits items by the grouping rule, as payment links and deals do."""
    freeze_at(2027, 1, 15, 9, 30)
    contact = scenario.contact(BUYER)
    method = scenario.method(contact, "tok_visa")
    body = {
        "contact_id": contact.pk,
        "line_items": [
            {"name": "Seats", "unit_amount": 1500, "currency": "USD", "billing_frequency": "monthly"},
            {"name": "Licence", "unit_amount": 120000, "currency": "USD", "billing_frequency": "annually"},
        ],
        "collection_method": "charge_automatically",
        "payment_method_id": method.pk,
    }

    made = ok(api.post("/subscriptions", body), 201)

    assert made["billing_frequency"] == "monthly"
    assert [(s["name"], s["billing_frequency"], s["next_payment_amount"]) for s in made["subscriptions"]] == [
        ("Seats", "monthly", 1500),
        ("Licence", "annually", 120000),
    ]
    scenario.advance(date(2027, 3, 16))
    billed = {
        s.name: [i.total for i in scenario.invoices(s)] for s in Subscription.objects.filter(contact=contact)
    }
    assert billed == {"Seats": [1500, 1500, 1500], "Licence": [120000]}


def test_a_monthly_and_an_annual_item_bill_on_their_own_schedules(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    contact = scenario.contact(BUYER, "Gus", "Group")
    card = scenario.method(contact, "tok_visa")
    purchase = [
        item(name="Seats", amount=1500, quantity=3),
        item(name="Licence", amount=120000, frequency="annually"),
        item(name="Setup fee", amount=5000, frequency="one_time"),
        item(name="Support", amount=500),
    ]
    groups = group_items(purchase, key=_key, frequency=lambda line: line.billing_frequency or "")
    assert [[line.name for line in g.items] for g in groups] == [["Seats", "Support"], ["Licence"]]
    monthly, annual = (
        subscription_create(
            contact=contact,
            line_items=list(g.items),
            collection_method="charge_automatically",
            payment_method=card,
            actor=SYSTEM,
            at=datetime(2027, 1, 15, 9, 30, tzinfo=UTC),
        )
        for g in groups
    )
    assert (monthly.name, monthly.next_payment_amount, monthly.mrr) == ("Seats + 1 more", 5000, 5000)
    assert (annual.name, annual.next_payment_amount, annual.mrr) == ("Licence", 120000, 10000)

    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    for day in months(date(2027, 2, 15), 24):
        scenario.advance(day)
        m, a = scenario.fresh(monthly), scenario.fresh(annual)
        assert (m.status, m.next_payment_date) == ("active", day + relativedelta(months=1))
        assert (a.status, a.next_payment_date) == ("active", date(day.year + 1, 1, 15))

    m_invoices, a_invoices = scenario.invoices(monthly), scenario.invoices(annual)
    m_numbers = [1, *range(3, 14), 14, *range(16, 27), 27]
    assert [(i.number, i.period_start, i.total, i.status) for i in m_invoices] == [
        (f"INV-{n}", start, 5000, "paid") for n, start in zip(m_numbers, months(PURCHASED, 25), strict=True)
    ]
    assert [
        [(line.name, line.quantity, line.amount_total) for line in i.lines.all()] for i in m_invoices
    ] == [[("Seats", 3, 4500), ("Support", 1, 500)]] * 25
    assert [(i.number, i.period_start, i.period_end, i.total, i.status) for i in a_invoices] == [
        ("INV-2", date(2027, 1, 15), date(2028, 1, 15), 120000, "paid"),
        ("INV-15", date(2028, 1, 15), date(2029, 1, 15), 120000, "paid"),
        ("INV-28", date(2029, 1, 15), date(2030, 1, 15), 120000, "paid"),
    ]
    m, a = scenario.fresh(monthly), scenario.fresh(annual)
    assert (m.payments_made, m.total_collected, m.next_payment_date) == (25, 125000, date(2029, 2, 15))
    assert (a.payments_made, a.total_collected, a.next_payment_date) == (3, 360000, date(2030, 1, 15))
    assert [k for k in scenario.kinds(annual) if k[0] == "payment_reminder"] == [
        ("payment_reminder", BUYER, date(2028, 1, 1)),
        ("payment_reminder", BUYER, date(2029, 1, 1)),
    ]
    assert len(scenario.payments(monthly)) == 25 and len(scenario.payments(annual)) == 3
    scenario.check_invariants()
