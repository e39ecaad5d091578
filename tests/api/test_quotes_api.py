"""/quotes: from a deal; publish; accept with a typed name (and pay); expiry; convert."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recurra.core import clock
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2027-01-15

MONTHLY = {"name": "Support", "unit_amount": 1000, "currency": "USD", "billing_frequency": "monthly"}
SETUP = {"name": "Setup", "unit_amount": 5000, "currency": "USD", "billing_frequency": "one_time"}


@pytest.fixture
def deal(make):
    contact = make("contacts", email="ola@example.com", first_name="Ola", last_name="Nordmann")
    return make("deals", name="Acme", contact_id=contact["id"], line_items=[MONTHLY, SETUP])


def test_a_quote_takes_the_deals_items_and_is_accepted_with_a_typed_name(api, deal):
    quote = ok(api.post("/quotes", {"deal_id": deal["id"], "expires_on": "2027-02-01"}), 201)
    assert (quote["status"], quote["url"], quote["total"], len(quote["line_items"])) == (
        "draft",
        None,
        6000,
        2,
    )
    assert_problem(api.post(f"/quotes/{quote['id']}/accept", {"signed_name": "Ola"}), 409)  # not published

    published = ok(api.post(f"/quotes/{quote['id']}/publish"))
    assert published["status"] == "published" and "/q/" in published["url"]
    assert_problem(api.post(f"/quotes/{quote['id']}/accept", {"signed_name": "  "}), 422, "signed_name")

    body = ok(api.post(f"/quotes/{quote['id']}/accept", {"signed_name": "Ola Nordmann"}))

    assert (body["quote"]["status"], body["quote"]["signed_name"], body["checkout"]) == (
        "accepted",
        "Ola Nordmann",
        None,
    )
    assert not Subscription.objects.exists()  # without payment, the seller converts it
    made = ok(api.post(f"/quotes/{quote['id']}/convert-to-subscription", {"payment_terms": "net_15"}), 201)
    assert (made["subscription"]["collection_method"], made["subscription"]["payment_terms"]) == (
        "send_invoice",
        "net_15",
    )
    assert made["subscription"]["associations"]["quotes"] == [quote["id"]]
    assert made["subscription"]["associations"]["deals"] == [deal["id"]]
    assert made["invoice"]["total"] == 5000  # the one-time setup fee
    assert_problem(api.post(f"/quotes/{quote['id']}/convert-to-subscription"), 409)  # once


def test_a_quote_with_payment_is_paid_on_acceptance_and_starts_the_subscription(api, deal):
    quote = ok(api.post("/quotes", {"deal_id": deal["id"], "payment_enabled": True}), 201)
    ok(api.post(f"/quotes/{quote['id']}/publish"))
    url = f"/quotes/{quote['id']}/accept"
    assert_problem(api.post(url, {"signed_name": "Ola"}), 422, "payment_method")
    assert_problem(
        api.post(url, {"signed_name": "Ola", "payment_method": {"token": "tok_decline"}}),
        422,
        "payment_method",
    )
    assert ok(api.get(f"/quotes/{quote['id']}"))["status"] == "published"

    body = ok(api.post(url, {"signed_name": "Ola Nordmann", "payment_method": {"token": "tok_visa"}}))

    assert body["quote"]["status"] == "accepted"
    assert body["checkout"]["payment"]["amount"] == 6000
    (sub,) = body["checkout"]["subscriptions"]
    assert (sub["collection_method"], sub["payments_made"], sub["contact_id"]) == (
        "charge_automatically",
        1,
        deal["contact_id"],
    )
    assert sub["associations"]["quotes"] == [quote["id"]]
    assert_problem(api.post(f"/quotes/{quote['id']}/convert-to-subscription"), 409)


def test_an_expired_quote_cannot_be_accepted(api, deal):
    quote = ok(api.post("/quotes", {"deal_id": deal["id"], "expires_on": "2027-01-20"}), 201)
    ok(api.post(f"/quotes/{quote['id']}/publish"))
    clock.freeze(T0 + timedelta(days=6))

    problem = assert_problem(api.post(f"/quotes/{quote['id']}/accept", {"signed_name": "Ola"}), 409)

    assert "expired" in problem["detail"]
    assert ok(api.get(f"/quotes/{quote['id']}"))["expired"] is True
    assert_problem(
        api.post("/quotes", {"deal_id": deal["id"], "expires_on": "2027-01-01"}), 422, "expires_on"
    )


def test_a_quote_without_recurring_items_converts_to_an_invoice(api, make):
    contact = make("contacts", email="kari@example.com")
    deal = make("deals", name="Workshop", contact_id=contact["id"], line_items=[SETUP])
    quote = ok(api.post("/quotes", {"deal_id": deal["id"]}), 201)

    assert_problem(api.post(f"/quotes/{quote['id']}/convert-to-subscription"), 409)
    made = ok(api.post(f"/quotes/{quote['id']}/convert-to-invoice"), 201)

    assert ("subscription" not in made, "subscriptions" not in made, made["invoice"]["total"]) == (
        True,
        True,
        5000,
    )
    assert ok(api.get(f"/quotes/{quote['id']}"))["status"] == "converted"


def test_a_deal_without_a_contact_cannot_be_quoted(api, make):
    deal = make("deals", name="Nobody", line_items=[MONTHLY])
    assert_problem(api.post("/quotes", {"deal_id": deal["id"]}), 422, "deal_id")
