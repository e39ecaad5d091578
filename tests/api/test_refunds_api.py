"""POST /payments/{id}/refund: the payment object back, refusals, roles, Idempotency-Key replays.

The payment (4000 USD) is made by the real billing run at T0 (see tests/services/test_refunds.py).
"""

from __future__ import annotations

import pytest

from recurra.accounts.roles import Role
from recurra.core.models import Event
from recurra.payments.gateways.models import SandboxRefund
from recurra.payments.models import Payment, Refund
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.services.test_refunds import AMOUNT, paid_payment

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def payment(db: None) -> Payment:
    return paid_payment()


def url(payment: Payment) -> str:
    return f"/payments/{payment.pk}/refund"


def test_a_partial_refund_returns_the_payment(api, payment):
    body = ok(api.post(url(payment), {"amount": 1500}))

    [refund] = Refund.objects.all()
    assert body == {
        "id": payment.pk,
        "invoice_id": payment.invoice_id,
        "subscription_id": payment.subscription_id,
        "subscription_ids": [payment.subscription_id],
        "contact_id": payment.contact_id,
        "amount": AMOUNT,
        "amount_refunded": 1500,
        "currency": "USD",
        "method_type": "card",
        "payment_method_id": payment.payment_method_id,
        "status": "partially_refunded",
        "failure_code": "",
        "origin": "renewal",
        "offline_method": "",
        "reference": "",
        "failure_message": "",
        "settled_at": body["settled_at"],
        "created_at": T0_TEXT,
    }
    assert (refund.amount, refund.status, refund.idempotency_key.startswith("refund_")) == (
        1500,
        "succeeded",
        True,
    )
    assert ok(api.get(f"/payments/{payment.pk}")) == body
    [listed] = ok(api.get("/payments", invoice_id=payment.invoice_id))["data"]
    assert listed == body


def test_no_body_refunds_everything_left(api, payment):
    ok(api.post(url(payment), {"amount": 1000}))
    body = ok(api.post(url(payment)))
    assert (body["status"], body["amount_refunded"]) == ("refunded", AMOUNT)
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [1000, 3000]


def test_more_than_is_left_is_a_422_on_amount(api, payment):
    body = assert_problem(api.post(url(payment), {"amount": AMOUNT + 1}), 422, "amount")
    assert body["errors"][0]["message"] == "is more than the $40.00 left to refund"
    assert Payment.objects.get(pk=payment.pk).amount_refunded == 0
    assert not Refund.objects.exists() and not SandboxRefund.objects.exists()


@pytest.mark.parametrize("body", [{"amount": 0}, {"amount": -1}, {"amount": 10.5}, {"amount": "100"}])
def test_an_amount_must_be_a_positive_integer(api, payment, body):
    assert_problem(api.post(url(payment), body), 422, "amount")
    assert not Refund.objects.exists()


def test_unknown_fields_are_refused(api, payment):
    assert_problem(api.post(url(payment), {"amount": 100, "reason": "duplicate"}), 422, "reason")
    assert not Refund.objects.exists()


def test_a_payment_that_is_not_succeeded_is_a_409(api, payment):
    ok(api.post(url(payment)))
    body = assert_problem(api.post(url(payment)), 409)
    assert body["detail"] == f"only a succeeded payment can be refunded; payment {payment.pk} is refunded"
    failed = paid_payment("bo@example.com", token="tok_decline")
    assert_problem(api.post(url(failed), {"amount": 100}), 409)


def test_an_unknown_payment_is_a_404(api, db):
    assert_problem(api.post("/payments/pay_unknown/refund", {"amount": 100}), 404)


def test_viewers_cannot_refund(api_as, payment):
    assert_problem(api_as(Role.VIEWER).post(url(payment), {"amount": 100}), 403)
    assert not Refund.objects.exists()
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"


def test_an_editor_can_refund(api_as, payment):
    assert ok(api_as(Role.EDITOR).post(url(payment), {"amount": 100}))["amount_refunded"] == 100
    assert Event.objects.get(type="payment.partially_refunded").actor_type == "api_key"


def test_a_retry_with_the_same_key_replays_the_first_refund(api, payment):
    headers = {"Idempotency-Key": "refund-1"}
    first = api.post(url(payment), {"amount": 1500}, headers=headers)
    second = api.post(url(payment), {"amount": 1500}, headers=headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert [(r.amount, r.status) for r in Refund.objects.all()] == [(1500, "succeeded")]
    assert Refund.objects.get().idempotency_key.startswith("api_")  # derived from the header
    assert list(SandboxRefund.objects.values_list("amount", flat=True)) == [1500]
    assert Payment.objects.get(pk=payment.pk).amount_refunded == 1500
    other = api.post(url(payment), {"amount": 1500}, headers={"Idempotency-Key": "refund-2"})
    assert ok(other)["amount_refunded"] == 3000
