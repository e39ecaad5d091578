"""The Stripe gateway against localstripe through the recording proxy (the port's contract, on Stripe)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from recurra.core.errors import Conflict, ValidationFailed
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import ChargeRequest, ChargeStatus, Customer, GatewayError
from tests.conftest import T0
from tests.localstripe import StripeWorld

pytestmark = pytest.mark.django_db(transaction=True)

ADA = Customer(contact_id="ct_ada", email="ada@example.com", name="Ada Lovelace")


def _request(world: StripeWorld, number: str, key: str = "pay_1", amount: int = 2500) -> ChargeRequest:
    details = get_gateway().tokenize(world.card(number), at=T0, customer=ADA)
    return ChargeRequest(
        idempotency_key=key,
        amount=amount,
        currency="USD",
        method_id=details.gateway_method_id,
        customer_id=details.customer_id,
        metadata={"invoice": "inv_1", "subscription": "sub_1", "attempt": "1"},
    )


def _charge(request: ChargeRequest) -> tuple[ChargeRequest, object]:
    gateway = get_gateway()
    ready = gateway.prepare([request], at=T0)[0]
    return ready, gateway.charge(ready, at=T0)


def test_tokenize_attaches_the_method_to_one_customer_per_contact(stripe_gateway: StripeWorld) -> None:
    first = get_gateway().tokenize(stripe_gateway.card(), at=T0, customer=ADA)
    second = get_gateway().tokenize(stripe_gateway.card("5555555555554444"), at=T0, customer=ADA)
    assert (first.type, first.brand, first.last4, first.exp_month, first.exp_year) == (
        "card",
        "visa",
        "4242",
        12,
        2030,
    )
    assert first.customer_id.startswith("cus_") and second.customer_id == first.customer_id
    assert (
        stripe_gateway.client().v1.payment_methods.retrieve(first.gateway_method_id).customer
        == first.customer_id
    )
    assert len(stripe_gateway.proxy.calls("POST", r"^/v1/customers$")) == 1


def test_an_unknown_or_sandbox_token_is_a_422_on_token(stripe_gateway: StripeWorld) -> None:
    for token in ("tok_visa", "pm_doesnotexist"):
        with pytest.raises(ValidationFailed) as caught:
            get_gateway().tokenize(token, at=T0, customer=ADA)
        assert caught.value.errors[0].field == "token"


def test_a_card_declined_on_attaching_is_a_422(stripe_gateway: StripeWorld) -> None:
    api = stripe_gateway.client()
    method = api.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4000000000000002", "exp_month": "12", "exp_year": "2030", "cvc": "123"},
        }
    )
    with pytest.raises(ValidationFailed, match="declined"):
        get_gateway().tokenize(method.id, at=T0, customer=ADA)


def test_a_charge_is_prepared_then_confirmed_off_session_with_keys_from_the_payments(
    stripe_gateway: StripeWorld,
) -> None:
    ready, charge = _charge(_request(stripe_gateway, "4242424242424242"))
    assert ready.reference.startswith("pi_")
    assert (charge.status, charge.charge_id, charge.amount, charge.currency) == (
        ChargeStatus.SUCCEEDED,
        ready.reference,
        2500,
        "USD",
    )
    created = stripe_gateway.proxy.calls("POST", r"^/v1/payment_intents$")
    confirmed = stripe_gateway.proxy.calls("POST", r"/confirm$")
    assert [c.idempotency_key for c in created] == ["pay_1/create"]
    assert [c.idempotency_key for c in confirmed] == ["pay_1/confirm"]
    assert ("off_session", "true") in confirmed[0].fields
    fields = dict(created[0].fields)
    assert fields["metadata[recurra_key]"] == "pay_1" and fields["metadata[invoice]"] == "inv_1"
    assert "confirm" not in fields  # confirmed only once its id is stored
    assert [i.id for i in stripe_gateway.succeeded_intents()] == [ready.reference]


def test_a_soft_decline_is_retryable_and_keeps_stripes_code(stripe_gateway: StripeWorld) -> None:
    _, charge = _charge(_request(stripe_gateway, "4000000000000341"))
    assert (charge.status, charge.failure_code, charge.retryable) == (
        ChargeStatus.FAILED,
        "card_declined",
        True,
    )
    assert charge.failure_message == "Your card was declined."


def test_a_3ds_card_off_session_fails_authentication_required_and_its_intent_is_canceled(
    stripe_gateway: StripeWorld,
) -> None:
    ready, charge = _charge(_request(stripe_gateway, "4000002760003184"))
    assert (charge.status, charge.failure_code, charge.retryable) == (
        ChargeStatus.FAILED,
        "authentication_required",
        False,
    )
    assert stripe_gateway.client().v1.payment_intents.retrieve(ready.reference).status == "canceled"


def test_a_3ds_card_on_session_asks_the_buyer_to_authenticate(stripe_gateway: StripeWorld) -> None:
    request = _request(stripe_gateway, "4000002760003184")
    ready, charge = _charge(replace(request, on_session=True))
    assert charge.status == ChargeStatus.REQUIRES_ACTION and charge.action_secret.startswith(ready.reference)


def test_a_lost_confirm_reply_is_found_by_the_stored_reference_and_never_charged_twice(
    stripe_gateway: StripeWorld,
) -> None:
    gateway = get_gateway()
    ready = gateway.prepare([_request(stripe_gateway, "4242424242424242")], at=T0)[0]
    stripe_gateway.proxy.lose_reply(r"/confirm$")
    with pytest.raises(GatewayError):
        gateway.charge(ready, at=T0)
    found = gateway.lookup(ready.idempotency_key, at=T0, reference=ready.reference)
    assert found is not None and found.status == ChargeStatus.SUCCEEDED
    again = gateway.charge(ready, at=T0)  # a retry of the same attempt: the same key and parameters
    assert again.status == ChargeStatus.SUCCEEDED
    confirms = stripe_gateway.proxy.calls("POST", r"/confirm$")
    assert [(c.idempotency_key, c.fields) for c in confirms] == [
        (confirms[0].idempotency_key, confirms[0].fields)
    ] * 2
    assert len(stripe_gateway.succeeded_intents()) == 1


def test_without_a_stored_reference_nothing_was_charged(stripe_gateway: StripeWorld) -> None:
    gateway = get_gateway()
    request = _request(stripe_gateway, "4242424242424242")
    stripe_gateway.proxy.lose_reply(r"^/v1/payment_intents$")
    assert gateway.prepare([request], at=T0)[0].reference == ""  # created, id lost: never confirmed
    assert gateway.lookup(request.idempotency_key, at=T0) is None
    with pytest.raises(GatewayError):
        gateway.charge(request, at=T0)
    assert stripe_gateway.succeeded_intents() == []


def test_refunds_partial_then_full_and_a_lost_reply_is_found_by_its_key(stripe_gateway: StripeWorld) -> None:
    gateway = get_gateway()
    ready, charge = _charge(_request(stripe_gateway, "4242424242424242"))
    part = gateway.refund(charge_id=charge.charge_id, amount=1000, idempotency_key="re_1", at=T0)
    assert (part.amount, part.status) == (1000, "succeeded")
    stripe_gateway.proxy.lose_reply(r"^/v1/refunds$", method="POST")  # made; not the look-up before it
    with pytest.raises(GatewayError):
        gateway.refund(charge_id=charge.charge_id, amount=1500, idempotency_key="re_2", at=T0)
    rest = gateway.refund(charge_id=charge.charge_id, amount=1500, idempotency_key="re_2", at=T0)
    assert rest.amount == 1500
    assert len(stripe_gateway.proxy.calls("POST", r"^/v1/refunds$")) == 2  # the lost one was found
    refunds = stripe_gateway.client().v1.refunds.list(params={"payment_intent": ready.reference}).data
    assert sorted(r.amount for r in refunds) == [1000, 1500]


def test_below_stripes_minimum_fails_without_calling_stripe(stripe_gateway: StripeWorld) -> None:
    request = _request(stripe_gateway, "4242424242424242", amount=25)
    ready, charge = _charge(request)
    assert ready.reference == "" and charge.status == ChargeStatus.FAILED
    assert charge.failure_code == "amount_too_small" and not charge.retryable
    assert stripe_gateway.proxy.calls("POST", r"^/v1/payment_intents") == []


def test_zero_decimal_yen_goes_to_stripe_as_is(stripe_gateway: StripeWorld) -> None:
    request = _request(stripe_gateway, "4242424242424242", amount=500)
    ready, charge = _charge(replace(request, currency="JPY"))
    assert charge.status == ChargeStatus.SUCCEEDED and charge.amount == 500
    assert stripe_gateway.client().v1.payment_intents.retrieve(ready.reference).amount == 500


def test_refusing_a_refund_beyond_the_charge_is_a_conflict(stripe_gateway: StripeWorld) -> None:
    _, charge = _charge(_request(stripe_gateway, "4000000000000341"))
    with pytest.raises(Conflict):
        get_gateway().refund(charge_id=charge.charge_id, amount=100, idempotency_key="re_x", at=T0)
