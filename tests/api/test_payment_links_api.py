"""/payment-links: create under the checkout rules, change, delete; POST /payment-links/{id}/checkout."""

from __future__ import annotations

import pytest

from recurra.commerce.models import Purchase
from recurra.crm.models import Contact
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2027-01-15

MONTHLY = {"name": "Support", "unit_amount": 1000, "currency": "USD", "billing_frequency": "monthly"}
ANNUAL = {"name": "Licence", "unit_amount": 12000, "currency": "USD", "billing_frequency": "annually"}
LATER = {**MONTHLY, "name": "Hosting", "billing_start": {"type": "delay_months", "months": 1}}
BUYER = {"email": "mia@example.com", "first_name": "Mia", "last_name": "Hansen"}


def new_link(api, *items, **settings):
    return ok(api.post("/payment-links", {"name": "Bundle", "line_items": list(items), **settings}), 201)


def test_a_link_says_its_url_what_it_charges_today_and_later(api):
    link = new_link(api, MONTHLY, LATER)

    assert link["url"].startswith("http") and "/buy/" in link["url"]
    assert (link["amount_today"], link["active"], link["currency"]) == (1000, True, "USD")
    assert link["future_charges"] == [
        {
            "start_date": "2027-02-15",
            "billing_frequency": "monthly",
            "amount": 1000,
            "line_items": ["Hosting"],
        }
    ]
    assert ok(api.get(f"/payment-links/{link['id']}"))["name"] == "Bundle"
    assert [row["id"] for row in ok(api.get("/payment-links"))["data"]] == [link["id"]]


def test_the_checkout_rules_refuse_a_link(api):
    cheap = {**MONTHLY, "unit_amount": 49}
    assert (
        "minimum"
        in assert_problem(
            api.post("/payment-links", {"name": "x", "line_items": [cheap]}), 422, "line_items"
        )["errors"][0]["message"]
    )
    eur = {**MONTHLY, "unit_amount": 99, "currency": "EUR"}
    assert_problem(api.post("/payment-links", {"name": "x", "line_items": [eur]}), 422, "line_items")
    ok(api.post("/payment-links", {"name": "x", "line_items": [{**eur, "unit_amount": 100}]}), 201)
    gbp = {**MONTHLY, "unit_amount": 59, "currency": "GBP"}
    assert_problem(api.post("/payment-links", {"name": "x", "line_items": [gbp]}), 422, "line_items")
    body = assert_problem(api.post("/payment-links", {"name": "x", "line_items": [LATER]}), 422, "line_items")
    assert "today" in body["errors"][0]["message"]
    body = {"name": "x", "line_items": [MONTHLY], "save_payment_method": False}
    assert_problem(api.post("/payment-links", body), 422, "save_payment_method")
    assert_problem(
        api.post("/payment-links", {"name": "x", "line_items": [MONTHLY], "allowed_payment_methods": []}), 422
    )


def test_checkout_creates_the_contact_the_payment_and_one_subscription_per_group(api):
    link = new_link(api, MONTHLY, ANNUAL, collect_billing_address=True)
    address = {"line1": "Storgata 1", "city": "Oslo", "postal_code": "0155", "country": "no"}

    body = ok(
        api.post(
            f"/payment-links/{link['id']}/checkout",
            {**BUYER, "payment_method": {"token": "tok_visa"}, "billing_address": address},
        ),
        201,
    )

    assert (body["payment"]["amount"], body["payment"]["status"]) == (13000, "succeeded")
    assert sorted(s["billing_frequency"] for s in body["subscriptions"]) == ["annually", "monthly"]
    for sub in body["subscriptions"]:
        assert (sub["status"], sub["payments_made"], sub["contact_id"]) == ("active", 1, body["contact_id"])
        assert sub["associations"]["payment_links"] == [link["id"]]
        assert body["payment"]["id"] in sub["associations"]["payments"]
        assert body["invoice_id"] in sub["associations"]["invoices"]
        assert sub["billing_address"]["country"] == "NO"
    assert Contact.objects.get(pk=body["contact_id"]).city == "Oslo"


def test_checkout_refusals(api):
    link = new_link(api, MONTHLY, collect_billing_address=True)
    url = f"/payment-links/{link['id']}/checkout"

    assert_problem(
        api.post(url, {**BUYER, "payment_method": {"token": "tok_visa"}}),
        422,
        *[f"billing_address.{part}" for part in ("line1", "city", "postal_code", "country")],
    )
    address = {"line1": "1 Main St", "city": "Boston", "postal_code": "02101", "country": "US"}
    declined = assert_problem(
        api.post(url, {**BUYER, "payment_method": {"token": "tok_decline"}, "billing_address": address}),
        422,
        "payment_method",
    )
    assert "declined" in declined["errors"][0]["message"]
    assert (Subscription.objects.count(), Contact.objects.count()) == (0, 0)
    assert Purchase.objects.get().status == "declined"
    assert_problem(
        api.post(url, {**BUYER, "payment_method": {"token": "tok_nope"}, "billing_address": address}),
        422,
        "payment_method.token",
    )

    ok(api.patch(f"/payment-links/{link['id']}", {"active": False}))
    assert_problem(
        api.post(url, {**BUYER, "payment_method": {"token": "tok_visa"}, "billing_address": address}), 409
    )
    assert api.delete(f"/payment-links/{link['id']}").status_code == 204
    assert_problem(
        api.post(url, {**BUYER, "payment_method": {"token": "tok_visa"}, "billing_address": address}), 404
    )
    assert ok(api.get("/payment-links"))["data"] == []


def test_ach_only_link_refuses_a_card(api):
    link = new_link(api, MONTHLY, allowed_payment_methods=["ach"])
    url = f"/payment-links/{link['id']}/checkout"
    assert_problem(api.post(url, {**BUYER, "payment_method": {"token": "tok_visa"}}), 422, "payment_method")
    body = ok(api.post(url, {**BUYER, "payment_method": {"token": "tok_ach"}}), 201)
    assert (body["payment"]["status"], body["subscriptions"][0]["status"]) == ("processing", "active")


def test_viewers_cannot_create_links_or_buy(api, api_as):
    viewer = api_as("viewer")
    assert_problem(viewer.post("/payment-links", {"name": "x", "line_items": [MONTHLY]}), 403)
    link = new_link(api, MONTHLY)
    ok(viewer.get(f"/payment-links/{link['id']}"))
    assert_problem(api_as(None).get(f"/payment-links/{link['id']}"), 401)


def test_an_idempotency_key_makes_a_retried_checkout_one_charge(api):
    link = new_link(api, MONTHLY)
    body = {**BUYER, "payment_method": {"token": "tok_visa"}}
    first = api.post(f"/payment-links/{link['id']}/checkout", body, headers={"Idempotency-Key": "buy-1"})
    again = api.post(f"/payment-links/{link['id']}/checkout", body, headers={"Idempotency-Key": "buy-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert (Purchase.objects.count(), Subscription.objects.count()) == (1, 1)
