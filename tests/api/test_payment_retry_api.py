"""POST /payments/{id}/retry: staff retry a declined invoice by hand, at most three times; roles."""

from __future__ import annotations

import pytest

from recurra.payments.models import Payment
from recurra.worker.steps import run_due_work
from tests.api.support import assert_problem, ok
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def declined(api, make):
    contact = make("contacts", email="ada@example.com", first_name="Ada")
    card = ok(api.post(f"/contacts/{contact['id']}/payment-methods", {"token": "tok_decline"}), 201)
    line = {"name": "Pro plan", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}
    make(
        "subscriptions",
        contact_id=contact["id"],
        line_items=[line],
        collection_method="charge_automatically",
        payment_method_id=card["id"],
    )
    run_due_work(at=T0)
    return Payment.objects.get()


def test_a_retry_is_a_new_payment_of_the_same_invoice(api, declined):
    body = ok(api.post(f"/payments/{declined.pk}/retry"))
    assert body["id"] != declined.pk
    assert (body["invoice_id"], body["origin"], body["status"], body["failure_code"], body["amount"]) == (
        declined.invoice_id,
        "manual",
        "failed",
        "card_declined",
        2500,
    )


def test_three_retries_then_409(api, declined):
    for _ in range(3):
        ok(api.post(f"/payments/{declined.pk}/retry"))
    assert_problem(api.post(f"/payments/{declined.pk}/retry"), 409)
    assert Payment.objects.filter(invoice_id=declined.invoice_id).count() == 4


def test_only_a_failed_payment_and_only_by_editors(api_as, declined):
    assert_problem(api_as("viewer").post(f"/payments/{declined.pk}/retry"), 403)
    Payment.objects.filter(pk=declined.pk).update(status="succeeded")
    assert_problem(api_as("editor").post(f"/payments/{declined.pk}/retry"), 409)
