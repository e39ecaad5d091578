"""A developer registers an endpoint and watches a subscription's life arrive, signed, in order.

Monthly 10.00 from 2027-01-15 (tok_visa), an endpoint for "*" on a real receiver (127.0.0.1):

    Jan 15  created ─ first invoice paid (invoice.created, invoice.paid, payment.succeeded...)
    Feb 1   renewal_upcoming (14 days before Feb 15)
    Feb 15  renewed: invoice.created, payment.succeeded, invoice.paid, subscription.updated
    Feb 20  paused ─ Mar 1 resumed ─ Mar 5 canceled

Every delivery verifies with both standardwebhooks and svix; the subscription's events arrive in
the order they happened with sequence 1, 2, 3...; the object is exactly GET /subscriptions/{id}.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.core import clock
from recurra.worker.testclock import clock_advance
from tests.api.support import ok
from tests.automation.receiver import Receiver

pytestmark = pytest.mark.django_db


def advance(to: datetime) -> None:
    clock_advance(to=to)


def test_a_subscriptions_life_arrives_signed_and_in_order(api, receiver: Receiver) -> None:
    clock.freeze(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    made = ok(api.post("/webhook-endpoints", {"url": receiver.url, "enabled_events": ["*"]}), 201)
    assert made["secret"].startswith("whsec_") and made["status"] == "enabled"
    receiver.secrets.append(made["secret"])

    contact = ok(api.post("/contacts", {"email": "ada@example.com", "first_name": "Ada"}), 201)
    method = ok(api.post(f"/contacts/{contact['id']}/payment-methods", {"token": "tok_visa"}), 201)
    sub = ok(
        api.post(
            "/subscriptions",
            {
                "contact_id": contact["id"],
                "line_items": [
                    {"name": "Pro", "unit_amount": 1000, "currency": "USD", "billing_frequency": "monthly"}
                ],
                "collection_method": "charge_automatically",
                "payment_method_id": method["id"],
            },
        ),
        201,
    )
    advance(datetime(2027, 2, 16, 12, tzinfo=UTC))
    ok(api.post(f"/subscriptions/{sub['id']}/pause", {"reason": "holiday"}))
    advance(datetime(2027, 3, 1, 12, tzinfo=UTC))
    ok(api.post(f"/subscriptions/{sub['id']}/resume", {"next_payment_date": "2027-03-15"}))
    ok(api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"}))
    advance(datetime(2027, 3, 1, 13, tzinfo=UTC))

    assert receiver.received, "nothing arrived"
    for delivery in receiver.received:
        assert delivery.verified_by == [made["secret"]], delivery.headers  # both verifiers, every one
        assert delivery.id == delivery.json["id"]
    about_sub = [r.json for r in receiver.received if r.json["data"]["object"].get("id") == sub["id"]]
    types = [e["type"] for e in about_sub]
    assert types[0] == "subscription.created"
    for expected in (
        "subscription.renewal_upcoming",
        "subscription.updated",
        "subscription.paused",
        "subscription.resumed",
        "subscription.canceled",
    ):
        assert expected in types, (expected, types)
    order = [
        types.index(t)
        for t in (
            "subscription.created",
            "subscription.renewal_upcoming",
            "subscription.paused",
            "subscription.resumed",
            "subscription.canceled",
        )
    ]
    assert order == sorted(order), types
    assert [e["sequence"] for e in about_sub] == list(range(1, len(about_sub) + 1))
    paused = next(e for e in about_sub if e["type"] == "subscription.paused")
    assert paused["data"]["object"]["status"] == "paused"
    assert paused["data"]["previous_attributes"]["status"] == "active"
    canceled = next(e for e in about_sub if e["type"] == "subscription.canceled")
    assert canceled["data"]["object"] == ok(api.get(f"/subscriptions/{sub['id']}"))  # exactly GET's answer
    all_types = {r.json["type"] for r in receiver.received}
    assert {
        "contact.created",
        "payment_method.attached",
        "invoice.created",
        "invoice.paid",
        "payment.succeeded",
    } <= all_types, all_types
    upcoming = next(e for e in about_sub if e["type"] == "subscription.renewal_upcoming")
    assert upcoming["created_at"].startswith("2027-02-01")  # 14 days before Feb 15

    deliveries = ok(api.get(f"/webhook-endpoints/{made['id']}/deliveries", limit=1000))["data"]
    assert len(deliveries) == len(receiver.received)
    assert {d["status"] for d in deliveries} == {"succeeded"}
    assert all(d["attempts"] == 1 and d["response_status"] == 200 for d in deliveries)
    public = ok(api.get("/events", shape="public", object_id=sub["id"], limit=100))["data"]
    assert [e["id"] for e in reversed(public)] == [e["id"] for e in about_sub]
    assert date.fromisoformat(public[0]["created_at"][:10]) == date(2027, 3, 1)


def test_a_subscription_that_starts_later_is_created_then_scheduled_then_activated(
    api, receiver: Receiver
) -> None:
    """Created on Jan 15 to start on Feb 1: subscription.created and subscription.scheduled (status
    scheduled) at once; subscription.activated when Feb 1 comes."""
    clock.freeze(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    made = ok(
        api.post("/webhook-endpoints", {"url": receiver.url, "enabled_events": ["*"]}),
        201,
    )
    receiver.secrets.append(made["secret"])
    contact = ok(api.post("/contacts", {"email": "bo@example.com"}), 201)
    method = ok(api.post(f"/contacts/{contact['id']}/payment-methods", {"token": "tok_visa"}), 201)
    item = {"name": "Pro", "unit_amount": 1000, "currency": "USD", "billing_frequency": "monthly"}
    sub = ok(
        api.post(
            "/subscriptions",
            {
                "contact_id": contact["id"],
                "line_items": [item | {"billing_start": {"type": "date", "date": "2027-02-01"}}],
                "collection_method": "charge_automatically",
                "payment_method_id": method["id"],
            },
        ),
        201,
    )
    advance(datetime(2027, 2, 1, 12, tzinfo=UTC))

    about_sub = [r.json for r in receiver.received if r.json["data"]["object"].get("id") == sub["id"]]
    types = [e["type"] for e in about_sub]
    assert types[:2] == ["subscription.created", "subscription.scheduled"], types
    assert about_sub[1]["data"]["object"]["status"] == "scheduled"
    assert about_sub[1]["data"]["previous_attributes"] is None
    assert "subscription.activated" in types, types
