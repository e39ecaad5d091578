"""Scenario 1: a monthly subscription anchored on Jan 31, driven wholly through the API for 25 months.

    2027-01-31 10:00 UTC  POST /subscriptions (tok_visa, 20.00 + 25 % tax = 25.00 a month)
        │  billed at once: INV-1, period Jan 31 → Feb 28
    Feb 14  reminder (14 days before Feb 28)
    Feb 28  INV-2  Feb 28 → Mar 31        (clamped to the month end)
    Mar 31  INV-3  Mar 31 → Apr 30        (back to the 31st: computed from the anchor, no drift)
    Apr 30  INV-4 … Dec 31 INV-12
    2028-01-31 INV-13, Feb 29 INV-14 (leap day), Mar 31 INV-15 … 2029-01-31 INV-25
    2029-02-28 INV-26

Each step goes to the day before a billing date (nothing may happen) and then to
the date itself (exactly one invoice, one payment, one receipt); after every
step the whole worker pass re-runs at the same instant and must change nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.api.support import ok
from tests.scenarios.conftest import freeze_at

pytestmark = pytest.mark.django_db(transaction=True)

BILLING_DATES = [
    date(2027, 1, 31),
    date(2027, 2, 28),
    date(2027, 3, 31),
    date(2027, 4, 30),
    date(2027, 5, 31),
    date(2027, 6, 30),
    date(2027, 7, 31),
    date(2027, 8, 31),
    date(2027, 9, 30),
    date(2027, 10, 31),
    date(2027, 11, 30),
    date(2027, 12, 31),
    date(2028, 1, 31),
    date(2028, 2, 29),
    date(2028, 3, 31),
    date(2028, 4, 30),
    date(2028, 5, 31),
    date(2028, 6, 30),
    date(2028, 7, 31),
    date(2028, 8, 31),
    date(2028, 9, 30),
    date(2028, 10, 31),
    date(2028, 11, 30),
    date(2028, 12, 31),
    date(2029, 1, 31),
    date(2029, 2, 28),
]
NEXT_AFTER_LAST = date(2029, 3, 31)
BUYER = "ada@example.com"


def _all(api, path: str, **params) -> list[dict]:
    body = ok(api.get(path, limit=1000, **params))
    assert body["has_more"] is False
    return list(reversed(body["data"]))  # lists are newest first


def test_month_end_anchor_bills_every_month_end_for_two_years(scenario, api):
    started = freeze_at(2027, 1, 31, 10, 0)
    contact = ok(api.post("/contacts", {"email": BUYER, "first_name": "Ada", "last_name": "Buyer"}), 201)
    method = ok(api.post(f"/contacts/{contact['id']}/payment-methods", {"token": "tok_visa"}), 201)
    line = {
        "name": "Pro plan",
        "unit_amount": 2000,
        "currency": "USD",
        "tax_rate_percent": "25",
        "billing_frequency": "monthly",
    }
    sub = ok(
        api.post(
            "/subscriptions",
            {
                "contact_id": contact["id"],
                "line_items": [line],
                "collection_method": "charge_automatically",
                "payment_method_id": method["id"],
            },
        ),
        201,
    )
    assert (sub["status"], sub["start_date"], sub["next_payment_date"]) == (
        "active",
        "2027-01-31",
        "2027-01-31",
    )
    assert (sub["next_payment_amount"], sub["mrr"], sub["payments_made"]) == (2500, 2000, 0)

    for n, billing_date in enumerate(BILLING_DATES):
        if n:  # the day before: nothing new
            report = scenario.advance_api(api, billing_date - timedelta(days=1))
            assert (report["invoices"], report["payments"]) == (0, 0), billing_date
        report = scenario.advance_api(api, billing_date if n else started)
        assert (report["invoices"], report["payments"]) == (1, 1), (billing_date, report)

        following = BILLING_DATES[n + 1] if n + 1 < len(BILLING_DATES) else NEXT_AFTER_LAST
        now = ok(api.get(f"/subscriptions/{sub['id']}"))
        assert now["status"] == "active", billing_date
        assert now["payments_made"] == n + 1
        assert now["next_payment_date"] == following.isoformat()
        assert now["total_collected"] == 2500 * (n + 1)
        assert (now["last_payment_amount"], now["next_payment_amount"], now["mrr"]) == (2500, 2500, 2000)

    invoices = _all(api, "/invoices", subscription_id=sub["id"])
    periods = list(zip(BILLING_DATES, [*BILLING_DATES[1:], NEXT_AFTER_LAST], strict=True))
    assert [
        (i["number"], i["period_start"], i["period_end"], i["issued_on"], i["due_on"], i["status"])
        for i in invoices
    ] == [
        (f"INV-{n + 1}", start.isoformat(), end.isoformat(), start.isoformat(), start.isoformat(), "paid")
        for n, (start, end) in enumerate(periods)
    ]
    assert {(i["subtotal"], i["tax"], i["total"], i["amount_paid"], i["amount_due"]) for i in invoices} == {
        (2000, 500, 2500, 2500, 0)
    }
    assert [i["period_start"] for i in invoices if i["period_start"].startswith("2028-02")] == ["2028-02-29"]

    payments = _all(api, "/payments", subscription_id=sub["id"])
    assert [(p["invoice_id"], p["amount"], p["status"], p["method_type"]) for p in payments] == [
        (i["id"], 2500, "succeeded", "card") for i in invoices
    ]  # each invoice paid exactly once

    receipts = _all(api, "/emails", kind="receipt")
    assert [(e["to"], e["subscription_id"]) for e in receipts] == [(BUYER, sub["id"])] * len(BILLING_DATES)
    assert [e["created_at"][:10] for e in receipts] == [d.isoformat() for d in BILLING_DATES]
    reminders = _all(api, "/emails", kind="payment_reminder")
    assert [e["created_at"][:10] for e in reminders] == [
        (d - timedelta(days=14)).isoformat() for d in BILLING_DATES[1:]
    ]
    assert _all(api, "/emails", kind="payment_failed") == []
    assert _all(api, "/emails", kind="admin_payment_succeeded") == []  # no super admin has an email here
    scenario.check_invariants()
