"""POST /subscriptions/{id}/cancel and /undo-cancel, DELETE /subscriptions/{id}: shapes, 409, 422, roles.

The clock is frozen at 2027-01-15 09:30 UTC; a send-invoice monthly subscription from Jan 15
(billed by the worker at once: period 0, next payment Feb 15).
"""

from __future__ import annotations

import pytest

from recurra.core.models import Event
from recurra.invoicing.models import Invoice
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_cancel_now_returns_the_canceled_subscription_and_what_was_left_alone(api, sub):
    body = ok(api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"}))
    assert (body["status"], body["next_payment_date"], body["canceled_at"]) == (
        "canceled",
        None,
        "2027-01-15T09:30:00Z",
    )
    assert (body["refunds"], body["pending_payments"], body["notice"]) == ([], [], None)
    assert {k: v for k, v in body.items() if k not in ("refunds", "pending_payments", "notice")} == ok(
        api.get(f"/subscriptions/{sub['id']}")
    )
    assert Event.objects.filter(object_id=sub["id"], type="subscription.canceled").count() == 1
    assert_problem(api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"}), 409)


def test_cancel_needs_confirmation_and_known_choices(api, sub):
    assert_problem(api.post(f"/subscriptions/{sub['id']}/cancel", {"when": "now"}), 422, "confirm")
    assert_problem(
        api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": False, "when": "now"}), 422, "confirm"
    )
    assert_problem(
        api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "later"}), 422, "when"
    )
    assert ok(api.get(f"/subscriptions/{sub['id']}"))["status"] == "active"


def test_cancel_at_period_end_can_be_undone(api, sub):
    body = ok(api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "period_end"}))
    assert (body["status"], body["cancel_at_period_end"], body["next_payment_date"]) == (
        "active",
        True,
        "2027-02-15",
    )
    undone = ok(api.post(f"/subscriptions/{sub['id']}/undo-cancel"))
    assert (undone["status"], undone["cancel_at_period_end"]) == ("active", False)
    assert_problem(api.post(f"/subscriptions/{sub['id']}/undo-cancel"), 409)


def test_delete_only_once_ended_and_the_invoices_stay(api, sub):
    assert_problem(api.delete(f"/subscriptions/{sub['id']}"), 409)
    ok(api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"}))

    assert api.delete(f"/subscriptions/{sub['id']}").status_code == 204

    assert_problem(api.get(f"/subscriptions/{sub['id']}"), 404)
    (invoice,) = Invoice.objects.filter(subscription_id=sub["id"])
    listed = ok(api.get("/invoices", subscription_id=sub["id"]))["data"]
    assert [(i["id"], i["subscription_id"], i["subscription_name"]) for i in listed] == [
        (invoice.pk, sub["id"], "Pro plan")
    ]


def test_viewers_cannot_cancel_undo_or_delete(api_as, sub):
    viewer = api_as("viewer")
    assert_problem(viewer.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"}), 403)
    assert_problem(viewer.post(f"/subscriptions/{sub['id']}/undo-cancel"), 403)
    assert_problem(viewer.delete(f"/subscriptions/{sub['id']}"), 403)
