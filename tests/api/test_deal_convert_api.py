"""POST /deals/{id}/convert: the answer's shape per kind of deal, payment terms, errors, roles, replays.

The clock is frozen at 2027-01-15 09:30 UTC.

    Hosting monthly 2500, Support annually 12000 (two subscriptions), Setup one time 5000 (INV-1)
"""

from __future__ import annotations

import pytest

from recurra.invoicing.models import Invoice
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")

HOSTING = {"name": "Hosting", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}
SUPPORT = {"name": "Support", "unit_amount": 12000, "currency": "USD", "billing_frequency": "annually"}
SETUP = {"name": "Setup", "unit_amount": 5000, "currency": "USD", "billing_frequency": "one_time"}


@pytest.fixture
def contact(make):
    return make("contacts", email="ada@example.com", first_name="Ada")


@pytest.fixture
def deal(make, contact):
    def create(*items, **values):
        return make("deals", name="Acme 2027", contact_id=contact["id"], line_items=list(items), **values)

    return create


def test_a_deal_with_recurring_and_one_time_items_answers_subscriptions_and_an_invoice(api, deal, contact):
    sold = deal(HOSTING, SUPPORT, SETUP)

    body = ok(api.post(f"/deals/{sold['id']}/convert"), 201)

    assert set(body) == {"subscription", "subscriptions", "invoice"}
    assert [(s["name"], s["billing_frequency"], s["next_payment_amount"]) for s in body["subscriptions"]] == [
        ("Hosting", "monthly", 2500),
        ("Support", "annually", 12000),
    ]
    assert body["subscription"] == body["subscriptions"][0]
    for sub in body["subscriptions"]:
        assert (sub["status"], sub["contact_id"], sub["collection_method"], sub["payment_terms"]) == (
            "active",
            contact["id"],
            "send_invoice",
            "net_30",
        )
        assert (sub["accept_online_payment"], sub["allowed_payment_methods"]) == (True, ["card", "ach"])
        assert sub["associations"]["deals"] == [sold["id"]]
        assert sub["canceled_at"] is None  # nulls inside the objects stay
    invoice = body["invoice"]
    assert (invoice["number"], invoice["status"], invoice["subscription_id"], invoice["total"]) == (
        "INV-1",
        "open",
        None,
        5000,
    )
    assert (invoice["issued_on"], invoice["due_on"], invoice["payment_terms"]) == (
        "2027-01-15",
        "2027-02-14",
        "net_30",
    )
    assert [line["name"] for line in invoice["lines"]] == ["Setup"]
    assert ok(api.get(f"/subscriptions/{body['subscription']['id']}")) == body["subscription"]


def test_without_recurring_items_the_answer_is_only_the_invoice(api, deal):
    sold = deal(SETUP)

    body = ok(api.post(f"/deals/{sold['id']}/convert", {"payment_terms": "net_15"}), 201)

    assert set(body) == {"invoice"}
    assert (body["invoice"]["payment_terms"], body["invoice"]["due_on"]) == ("net_15", "2027-01-30")
    assert Subscription.objects.count() == 0


def test_one_group_of_recurring_items_answers_one_subscription_and_no_invoice(api, deal):
    sold = deal(HOSTING, {**HOSTING, "name": "Seats", "quantity": 3})

    body = ok(api.post(f"/deals/{sold['id']}/convert", {"payment_terms": "due_on_receipt"}), 201)

    assert set(body) == {"subscription", "subscriptions"}
    assert [s["name"] for s in body["subscriptions"]] == ["Hosting + 1 more"]
    assert (body["subscription"]["payment_terms"], body["subscription"]["next_payment_amount"]) == (
        "due_on_receipt",
        10000,
    )
    assert Invoice.objects.count() == 0


def test_a_deal_without_contact_or_line_items_is_a_422_naming_both(api, make):
    sold = make("deals", name="Empty")

    body = assert_problem(api.post(f"/deals/{sold['id']}/convert", {}), 422, "contact_id", "line_items")

    assert body["errors"][0]["message"] == "the deal needs a contact to convert it: add one to the deal first"
    assert Subscription.objects.count() == Invoice.objects.count() == 0


def test_bad_bodies_are_422(api, deal):
    sold = deal(HOSTING)

    assert_problem(api.post(f"/deals/{sold['id']}/convert", {"payment_terms": "net_7"}), 422, "payment_terms")
    assert_problem(api.post(f"/deals/{sold['id']}/convert", {"collection_method": "x"}), 422)
    assert Subscription.objects.count() == 0


def test_converting_twice_is_a_409_naming_the_subscriptions(api, deal):
    sold = deal(HOSTING)
    first = ok(api.post(f"/deals/{sold['id']}/convert"), 201)

    body = assert_problem(api.post(f"/deals/{sold['id']}/convert"), 409)

    assert first["subscription"]["id"] in body["detail"]
    assert Subscription.objects.count() == 1


def test_an_unknown_deal_is_a_404(api):
    assert_problem(api.post("/deals/deal_nope/convert"), 404)


def test_viewers_may_not_convert_editors_may(api_as, deal):
    sold = deal(SETUP)

    assert_problem(api_as("viewer").post(f"/deals/{sold['id']}/convert"), 403)
    assert Invoice.objects.count() == 0
    ok(api_as("editor").post(f"/deals/{sold['id']}/convert"), 201)


def test_a_retry_with_the_same_idempotency_key_replays_the_conversion(api, deal):
    sold = deal(HOSTING, SETUP)
    headers = {"Idempotency-Key": "convert-acme-1"}

    first = api.post(f"/deals/{sold['id']}/convert", {}, headers=headers)
    again = api.post(f"/deals/{sold['id']}/convert", {}, headers=headers)

    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    replayed, answered = again.json(), first.json()
    url = answered["invoice"]["pay_url"]
    assert "/pay/invoices/REDACTED/" not in url  # the first answer hands the link out
    answered["invoice"]["pay_url"] = url.rsplit("/", 2)[0] + "/REDACTED/"  # its replay keeps no token
    assert replayed == answered
    assert (Subscription.objects.count(), Invoice.objects.count()) == (1, 1)
