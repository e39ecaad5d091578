"""POST /invoices/{id}/mark-paid: a payment made outside Recurra, recorded by staff; 409, 422, roles."""

from __future__ import annotations

import pytest

from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_marking_paid_records_an_offline_payment(api, sub):
    invoice = Invoice.objects.get(subscription_id=sub["id"])

    body = ok(api.post(f"/invoices/{invoice.pk}/mark-paid", {"method": "cheque", "reference": "CHQ 17"}))

    assert (body["status"], body["amount_paid"], body["amount_due"]) == ("paid", 2500, 0)
    (payment,) = ok(api.get("/payments", invoice_id=invoice.pk))["data"]
    assert (payment["status"], payment["method_type"], payment["offline_method"], payment["reference"]) == (
        "succeeded",
        "offline",
        "cheque",
        "CHQ 17",
    )
    assert_problem(api.post(f"/invoices/{invoice.pk}/mark-paid", {"method": "cash"}), 409)


def test_an_unknown_method_or_field_is_refused(api, sub):
    invoice = Invoice.objects.get(subscription_id=sub["id"])
    assert_problem(api.post(f"/invoices/{invoice.pk}/mark-paid", {"method": "barter"}), 422, "method")
    assert_problem(api.post(f"/invoices/{invoice.pk}/mark-paid", {"method": "cash", "tip": 1}), 422)
    assert not Payment.objects.exists()


def test_viewers_cannot_mark_paid(api_as, sub):
    invoice = Invoice.objects.get(subscription_id=sub["id"])
    assert_problem(api_as("viewer").post(f"/invoices/{invoice.pk}/mark-paid", {"method": "cash"}), 403)
