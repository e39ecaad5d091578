"""POST /subscriptions/{id}/pause and /resume: 200 with the subscription, 409, 422, 404, roles, replay.

The clock is frozen at 2027-01-15 09:30 UTC; a send-invoice monthly subscription from Jan 15
(billed by the worker at once: period 0, next payment Feb 15).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recurra.core import clock
from recurra.core.models import Event
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_pause_returns_the_paused_subscription(api, sub):
    body = ok(
        api.post(f"/subscriptions/{sub['id']}/pause", {"reason": "Travelling", "resume_on": "2027-03-01"})
    )
    assert {
        k: body[k] for k in ("id", "status", "status_label", "paused_at", "pause_reason", "resume_on")
    } == {
        "id": sub["id"],
        "status": "paused",
        "status_label": "Paused",
        "paused_at": "2027-01-15T09:30:00Z",
        "pause_reason": "Travelling",
        "resume_on": "2027-03-01",
    }
    assert body["next_payment_date"] == "2027-02-15"  # kept for display, not billed
    assert body == ok(api.get(f"/subscriptions/{sub['id']}"))
    assert [e.type for e in Event.objects.filter(object_id=sub["id"], type="subscription.paused")] == [
        "subscription.paused"
    ]
    assert (
        ok(api.get("/events", object_id=sub["id"], type="subscription.paused"))["data"][0]["actor"]["type"]
        == "api_key"
    )


def test_the_object_has_the_pause_fields_when_not_paused(api, sub):
    body = ok(api.get(f"/subscriptions/{sub['id']}"))
    assert (body["paused_at"], body["pause_reason"], body["resume_on"]) == (None, "", None)


def test_pause_and_resume_take_no_body(api, sub):
    assert ok(api.post(f"/subscriptions/{sub['id']}/pause"))["status"] == "paused"
    body = ok(api.post(f"/subscriptions/{sub['id']}/resume"))
    assert (body["status"], body["next_payment_date"], body["paused_at"]) == ("active", "2027-02-15", None)


def test_resume_on_a_date_moves_the_schedule(api, sub):
    ok(api.post(f"/subscriptions/{sub['id']}/pause", {}))
    clock.freeze(datetime(2027, 5, 10, 9, tzinfo=UTC))
    body = ok(api.post(f"/subscriptions/{sub['id']}/resume", {"next_payment_date": "2027-05-10"}))
    assert (body["status"], body["next_payment_date"], body["pause_reason"], body["resume_on"]) == (
        "active",
        "2027-05-10",
        "",
        None,
    )
    row = Subscription.objects.get(pk=sub["id"])
    assert (row.anchor_date.isoformat(), row.anchor_period) == ("2027-05-10", 1)
    default = ok(api.post(f"/subscriptions/{sub['id']}/pause", {}))
    assert default["status"] == "paused"
    assert ok(api.post(f"/subscriptions/{sub['id']}/resume", {}))["next_payment_date"] == "2027-05-10"


def test_refusals(api, sub):
    path = f"/subscriptions/{sub['id']}"
    assert "is not paused" in assert_problem(api.post(f"{path}/resume", {}), 409)["detail"]
    body = assert_problem(api.post(f"{path}/pause", {"resume_on": "2027-01-15"}), 422, "resume_on")
    assert body["errors"][0]["message"] == "must be after today (2027-01-15) in the account's time zone"
    assert_problem(api.post(f"{path}/pause", {"reason": "x" * 501}), 422, "reason")
    assert_problem(api.post(f"{path}/pause", {"resume_on": "soon"}), 422, "resume_on")
    assert_problem(api.post(f"{path}/pause", {"until": "2027-02-01"}), 422)  # unknown fields refused
    ok(api.post(f"{path}/pause", {}))
    assert "already paused" in assert_problem(api.post(f"{path}/pause", {}), 409)["detail"]
    body = assert_problem(
        api.post(f"{path}/resume", {"next_payment_date": "2027-01-14"}), 422, "next_payment_date"
    )
    assert body["errors"][0]["message"] == "must be today (2027-01-15) or later in the account's time zone"
    assert_problem(api.post("/subscriptions/sub_missing/pause", {}), 404)
    assert_problem(api.post("/subscriptions/sub_missing/resume", {}), 404)
    assert Subscription.objects.get(pk=sub["id"]).status == "paused"


def test_viewers_cannot_pause_or_resume(api_as, sub):
    viewer = api_as("viewer")
    assert_problem(viewer.post(f"/subscriptions/{sub['id']}/pause", {}), 403)
    assert Subscription.objects.get(pk=sub["id"]).status == "active"
    editor = api_as("editor")
    assert ok(editor.post(f"/subscriptions/{sub['id']}/pause", {}))["status"] == "paused"
    assert_problem(viewer.post(f"/subscriptions/{sub['id']}/resume", {}), 403)


def test_a_retried_pause_with_the_same_key_replays_the_first_answer(api, sub):
    key = {"Idempotency-Key": "pause-1"}
    first = api.post(f"/subscriptions/{sub['id']}/pause", {"reason": "Travelling"}, headers=key)
    second = api.post(f"/subscriptions/{sub['id']}/pause", {"reason": "Travelling"}, headers=key)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(object_id=sub["id"], type="subscription.paused").count() == 1
