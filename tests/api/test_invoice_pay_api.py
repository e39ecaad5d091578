"""POST /invoices/{id}/pay: an invoice paid online by a client (what the buyer's page does); 409, 422, roles.

``sub``: a send_invoice subscription of 25.00 USD a month (net 30) with its first invoice open since T0.
"""

from __future__ import annotations

from typing import Any

import pytest

from recurra.invoicing.models import Invoice
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")
ADDRESS = {"line1": "Storgata 1", "city": "Oslo", "postal_code": "0155", "country": "NO"}


def invoice_of(sub: dict[str, Any]) -> Invoice:
    return Invoice.objects.get(subscription_id=sub["id"])


def pay_path(sub: dict[str, Any]) -> str:
    return f"/invoices/{invoice_of(sub).pk}/pay"


def test_paying_with_a_token_answers_the_paid_invoice_and_the_payment(api, sub):
    body = ok(api.post(pay_path(sub), {"payment_method": {"token": "tok_visa"}}))

    invoice, payment = body["invoice"], body["payment"]
    assert (invoice["id"], invoice["status"], invoice["amount_paid"], invoice["amount_due"]) == (
        invoice_of(sub).pk,
        "paid",
        2500,
        0,
    )
    assert invoice["paid_at"] == "2027-01-15T09:30:00Z"
    assert (payment["invoice_id"], payment["status"], payment["origin"], payment["amount"]) == (
        invoice["id"],
        "succeeded",
        "online",
        2500,
    )
    assert (payment["method_type"], payment["failure_code"]) == ("card", "")
    assert ok(api.get("/payments", invoice_id=invoice["id"]))["data"] == [payment]
    (created,) = ok(api.get("/events", object_id=payment["id"], type="payment.created"))["data"]
    assert created["actor"]["type"] == "api_key"
    subscription = ok(api.get(f"/subscriptions/{sub['id']}"))
    assert (subscription["collection_method"], subscription["payment_method_id"]) == ("send_invoice", None)
    assert_problem(api.post(pay_path(sub), {"payment_method": {"token": "tok_visa"}}), 409)
    assert SandboxCharge.objects.count() == 1


def test_saving_the_method_switches_the_subscription_to_charging_automatically(api, sub):
    body = ok(api.post(pay_path(sub), {"payment_method": {"token": "tok_visa"}, "save_payment_method": True}))

    subscription = ok(api.get(f"/subscriptions/{sub['id']}"))
    assert (subscription["collection_method"], subscription["payment_method_id"]) == (
        "charge_automatically",
        body["payment"]["payment_method_id"],
    )
    (switched,) = ok(api.get("/events", object_id=sub["id"], type="subscription.collection_switched"))["data"]
    assert switched["data"] == {
        "before": {"collection_method": "send_invoice", "payment_method_id": None},
        "after": {
            "collection_method": "charge_automatically",
            "payment_method_id": body["payment"]["payment_method_id"],
        },
    }
    contact_methods = ok(api.get(f"/contacts/{sub['contact_id']}/payment-methods"))["data"]
    assert [m["id"] for m in contact_methods] == [body["payment"]["payment_method_id"]]


def test_a_declined_charge_is_a_422_on_payment_method_and_a_failed_payment(api, sub):
    problem = assert_problem(
        api.post(pay_path(sub), {"payment_method": {"token": "tok_decline"}}), 422, "payment_method"
    )
    assert problem["errors"][0]["message"] == "Your payment was declined: Your card was declined."
    (failed,) = ok(api.get("/payments", invoice_id=invoice_of(sub).pk))["data"]
    assert (failed["status"], failed["failure_code"], failed["origin"]) == (
        "failed",
        "card_declined",
        "online",
    )
    assert invoice_of(sub).status == "open"
    assert ok(api.get(f"/contacts/{sub['contact_id']}/payment-methods"))["data"] == []  # not kept


def test_a_bank_debit_answers_processing(api, sub):
    body = ok(api.post(pay_path(sub), {"payment_method": {"token": "tok_ach"}}))
    assert (body["payment"]["status"], body["payment"]["method_type"]) == ("processing", "ach")
    assert (body["invoice"]["status"], body["invoice"]["amount_due"]) == ("open", 2500)
    problem = assert_problem(api.post(pay_path(sub), {"payment_method": {"token": "tok_visa"}}), 409)
    assert "on its way" in problem["detail"]


def test_a_saved_method_of_the_contact_by_id(api, sub, make):
    saved = ok(api.post(f"/contacts/{sub['contact_id']}/payment-methods", {"token": "tok_mastercard"}), 201)
    other = make("contacts", email="bob@example.com")
    theirs = ok(api.post(f"/contacts/{other['id']}/payment-methods", {"token": "tok_visa"}), 201)

    assert_problem(
        api.post(pay_path(sub), {"payment_method": {"id": theirs["id"]}}), 422, "payment_method.id"
    )
    assert_problem(api.post(pay_path(sub), {"payment_method": {"id": "pm_nope"}}), 422, "payment_method.id")
    assert not Payment.objects.exists()
    body = ok(api.post(pay_path(sub), {"payment_method": {"id": saved["id"]}}))
    assert (body["payment"]["payment_method_id"], body["payment"]["status"]) == (saved["id"], "succeeded")
    assert PaymentMethod.objects.get(pk=saved["id"]).detached_at is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"payment_method": {"token": "tok_nonsense"}}, ["payment_method.token"]),
        ({"payment_method": {}}, ["payment_method"]),
        ({"payment_method": {"token": "tok_visa", "id": "pm_1"}}, ["payment_method.id"]),
        ({"payment_method": {"token": ""}}, ["payment_method.token"]),
        ({}, ["payment_method"]),
        ({"payment_method": {"token": "tok_visa"}, "save_payment_method": "yes"}, ["save_payment_method"]),
        ({"payment_method": {"token": "tok_visa"}, "tip": 1}, ["tip"]),
        ({"payment_method": {"token": "tok_visa"}, "billing_address": {"zip": "1"}}, ["billing_address.zip"]),
    ],
    ids=[
        "unknown-token",
        "neither",
        "both",
        "blank-token",
        "no-method",
        "not-a-bool",
        "unknown",
        "bad-address",
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, sub, body, fields):
    assert_problem(api.post(pay_path(sub), body), 422, *fields)
    assert not Payment.objects.exists() and not PaymentMethod.objects.exists()


def test_collected_addresses_are_required_and_stored(api, sub):
    Subscription.objects.filter(pk=sub["id"]).update(
        collect_billing_address=True, collect_shipping_address=True
    )
    token = {"payment_method": {"token": "tok_visa"}}
    assert_problem(api.post(pay_path(sub), token), 422, "billing_address", "shipping_address")
    assert_problem(
        api.post(
            pay_path(sub), {**token, "billing_address": {"line1": "Storgata 1"}, "shipping_address": ADDRESS}
        ),
        422,
        "billing_address.city",
        "billing_address.postal_code",
        "billing_address.country",
    )
    assert not Payment.objects.exists()
    ok(
        api.post(
            pay_path(sub),
            {**token, "billing_address": ADDRESS, "shipping_address": {**ADDRESS, "line2": "B"}},
        )
    )
    invoice = invoice_of(sub)
    assert (invoice.billing_address["line1"], invoice.shipping_address["line2"]) == ("Storgata 1", "B")


def test_a_method_type_the_subscription_does_not_allow_is_a_422(api, sub):
    Subscription.objects.filter(pk=sub["id"]).update(allowed_payment_methods=["card"])
    problem = assert_problem(
        api.post(pay_path(sub), {"payment_method": {"token": "tok_ach"}}), 422, "payment_method"
    )
    assert "not accepted here (card)" in problem["errors"][0]["message"]


def test_saving_where_the_subscription_does_not_allow_it_is_a_422(api, sub):
    Subscription.objects.filter(pk=sub["id"]).update(save_payment_method=False)
    body = {"payment_method": {"token": "tok_visa"}, "save_payment_method": True}
    assert_problem(api.post(pay_path(sub), body), 422, "save_payment_method")


def test_what_cannot_be_paid_online_is_a_409_or_404(api, sub):
    Subscription.objects.filter(pk=sub["id"]).update(accept_online_payment=False)
    problem = assert_problem(api.post(pay_path(sub), {"payment_method": {"token": "tok_visa"}}), 409)
    assert "cannot be paid online" in problem["detail"]
    assert_problem(api.post("/invoices/in_nope/pay", {"payment_method": {"token": "tok_visa"}}), 404)
    assert not Payment.objects.exists()


def test_viewers_cannot_pay_and_a_key_is_needed(api_as, sub):
    body = {"payment_method": {"token": "tok_visa"}}
    assert_problem(api_as("viewer").post(pay_path(sub), body), 403)
    assert_problem(api_as(None).post(pay_path(sub), body), 401)
    assert ok(api_as("editor").post(pay_path(sub), body))["payment"]["status"] == "succeeded"


def test_the_operation_is_documented(api):
    document = ok(api.get("/openapi.json"))
    op = document["paths"]["/api/v1/invoices/{invoice_id}/pay"]["post"]
    assert {"200", "401", "403", "404", "409", "422", "503"} <= set(op["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in op["parameters"])


def test_an_idempotency_key_replays_the_payment(api, sub):
    body = {"payment_method": {"token": "tok_visa"}}
    first = api.post(pay_path(sub), body, headers={"Idempotency-Key": "pay-1"})
    again = api.post(pay_path(sub), body, headers={"Idempotency-Key": "pay-1"})
    assert first.status_code == again.status_code == 200
    replayed, answered = again.json(), first.json()
    url = answered["invoice"]["pay_url"]
    assert "/pay/invoices/REDACTED/" not in url  # the first answer hands the link out
    answered["invoice"]["pay_url"] = url.rsplit("/", 2)[0] + "/REDACTED/"  # its replay keeps no token
    assert again["Idempotent-Replayed"] == "true" and replayed == answered
    assert SandboxCharge.objects.count() == 1
