"""PATCH /subscriptions/{id} and POST /subscriptions/{id}/preview-change: 200, 409, 422, roles.

The clock is frozen at 2027-01-15 09:30 UTC; a send-invoice monthly subscription of 25.00 from
Jan 15, billed by the worker at once (period 0: Jan 15 - Feb 15, 31 days; next payment Feb 15).
An edit on Jan 15 with proration has all 31 days left: credit -25.00, charge 50.00.
"""

from __future__ import annotations

import pytest

from recurra.core.models import Event
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")
NEW_LINES = [{"name": "Pro plan", "unit_amount": 5000}]


def test_preview_shows_the_prorated_lines_and_saves_nothing(api, sub):
    counts = (Invoice.objects.count(), Event.objects.count(), EmailMessage.objects.count())

    body = ok(
        api.post(
            f"/subscriptions/{sub['id']}/preview-change", {"line_items": NEW_LINES, "proration": "prorate"}
        )
    )

    assert body["next_payment_amount"] == 5000 and body["mrr"] == 5000
    assert [i["unit_amount"] for i in body["line_items"]] == [5000]
    assert body["changed"] == ["line_items", "mrr", "next_payment_amount"]
    proration = body["proration"]
    assert [line["amount_total"] for line in proration["lines"]] == [-2500, 5000]
    assert (proration["days"], proration["period_days"], proration["total"]) == (31, 31, 2500)
    assert (proration["period_start"], proration["period_end"]) == ("2027-01-15", "2027-02-15")
    assert proration["invoice_id"] is None and proration["payment_id"] is None
    assert (Invoice.objects.count(), Event.objects.count(), EmailMessage.objects.count()) == counts
    assert Subscription.objects.get(pk=sub["id"]).next_payment_amount == 2500


def test_patch_saves_the_edit_and_the_prorated_invoice(api, sub):
    body = ok(
        api.patch(
            f"/subscriptions/{sub['id']}",
            {"name": "Pro plan (team)", "line_items": NEW_LINES, "proration": "prorate"},
        )
    )

    assert (body["name"], body["next_payment_amount"]) == ("Pro plan (team)", 5000)
    invoice = Invoice.objects.get(pk=body["proration"]["invoice_id"])
    assert (invoice.total, invoice.status, invoice.period_index) == (2500, "open", None)
    assert body["proration"]["payment_id"] is None  # send_invoice: emailed, not charged
    assert invoice.pk in body["associations"]["invoices"]
    assert EmailMessage.objects.filter(kind="invoice", invoice_id=invoice.pk).count() == 1
    assert EmailMessage.objects.filter(kind="subscription_changed", subscription_id=sub["id"]).count() == 1
    updates = Event.objects.filter(object_id=sub["id"], type="subscription.updated").order_by(
        "created_at", "pk"
    )
    event = updates.last()  # the first is the billing run's (period 0 billed)
    assert event is not None and updates.count() == 2
    assert event.data["before"]["name"] == "Pro plan" and event.data["after"]["name"] == "Pro plan (team)"
    assert [i["unit_amount"] for i in event.data["after"]["line_items"]] == [5000]


def test_patch_without_proration_changes_the_next_period_only(api, sub):
    body = ok(api.patch(f"/subscriptions/{sub['id']}", {"line_items": NEW_LINES}))
    assert body["proration"] is None and body["next_payment_amount"] == 5000
    assert Invoice.objects.filter(subscription_id=sub["id"]).count() == 1


def test_next_payment_date_re_anchors(api, sub):
    body = ok(api.patch(f"/subscriptions/{sub['id']}", {"next_payment_date": "2027-02-20"}))
    assert body["next_payment_date"] == "2027-02-20"
    row = Subscription.objects.get(pk=sub["id"])
    assert (row.anchor_date.isoformat(), row.anchor_period) == ("2027-02-20", 1)


def test_invalid_fields_are_422(api, sub):
    assert_problem(
        api.patch(
            f"/subscriptions/{sub['id']}",
            {
                "line_items": [{"name": "Yearly", "unit_amount": 100, "billing_frequency": "annually"}],
                "next_payment_date": "2027-01-10",
            },
        ),
        422,
        "next_payment_date",
        "line_items[0].billing_frequency",
    )
    assert_problem(api.patch(f"/subscriptions/{sub['id']}", {"line_items": []}), 422, "line_items")


def test_refused_while_a_payment_is_processing_or_when_canceled(api, sub):
    invoice = Invoice.objects.get(subscription_id=sub["id"])
    Payment.objects.create(
        invoice=invoice,
        subscription_id=sub["id"],
        contact_id=invoice.contact_id,
        amount=2500,
        currency="USD",
        method_type="ach",
        status="processing",
        gateway="sandbox",
        idempotency_key="x/1",
    )
    assert_problem(api.patch(f"/subscriptions/{sub['id']}", {"name": "New"}), 409)
    assert_problem(api.post(f"/subscriptions/{sub['id']}/preview-change", {"name": "New"}), 409)
    Payment.objects.all().delete()
    ok(api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"}))
    assert_problem(api.patch(f"/subscriptions/{sub['id']}", {"name": "New"}), 409)


def test_viewers_cannot_edit_and_unknown_is_404(api_as, api, sub):
    viewer = api_as("viewer")
    assert_problem(viewer.patch(f"/subscriptions/{sub['id']}", {"name": "New"}), 403)
    assert_problem(viewer.post(f"/subscriptions/{sub['id']}/preview-change", {"name": "New"}), 403)
    assert_problem(api.patch("/subscriptions/sub_nope", {"name": "New"}), 404)
    # the other operations on the same path still answer
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["id"] == sub["id"]
