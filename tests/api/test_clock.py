"""GET /clock and POST /clock/advance: the sandbox test clock; it does not exist in live mode."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from recurra.accounts.roles import Role
from recurra.core import clock
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import T0


def test_the_clock_in_sandbox_mode(api, frozen_clock):
    assert ok(api.get("/clock")) == {"now": T0_TEXT, "mode": "sandbox"}


def test_the_clock_follows_the_test_clock(api, frozen_clock):
    clock.freeze(T0 + timedelta(days=45, seconds=1))

    assert ok(api.get("/clock"))["now"] == "2027-03-01T09:30:01Z"


def test_a_running_clock_is_utc_with_z(api):
    now = ok(api.get("/clock"))["now"]

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", now), now


def test_a_viewer_may_read_the_clock(api_as, frozen_clock):
    assert ok(api_as(Role.VIEWER).get("/clock"))["now"] == T0_TEXT


def test_there_is_no_clock_in_live_mode(api, settings):
    settings.RECURRA_MODE = "live"

    body = assert_problem(api.get("/clock"), 404)

    assert "sandbox" in body["detail"]


def test_the_clock_needs_a_key(api_as, frozen_clock):
    assert_problem(api_as(None).get("/clock"), 401)


# POST /clock/advance runs the engine's own transactions (the gateway refuses a caller's).
ADVANCE = pytest.mark.django_db(transaction=True)


@ADVANCE
def test_advancing_moves_the_clock_and_reports_the_work(api, frozen_clock):
    body = ok(api.post("/clock/advance", {"to": "2027-02-01T00:00:00Z"}))
    assert body == {"now": "2027-02-01T00:00:00Z", "steps": 1, "invoices": 0, "payments": 0, "emails": 0}
    assert ok(api.get("/clock"))["now"] == "2027-02-01T00:00:00Z"


@ADVANCE
def test_moving_backwards_is_a_422_and_changes_nothing(api, frozen_clock):
    assert_problem(api.post("/clock/advance", {"to": "2027-01-01T00:00:00Z"}), 422, "to")
    assert_problem(api.post("/clock/advance", {"to": "2027-02-01T00:00:00"}), 422, "to")  # no zone
    assert ok(api.get("/clock"))["now"] == T0_TEXT


@ADVANCE
def test_a_retried_advance_replays_its_answer(api, frozen_clock):
    headers = {"Idempotency-Key": "advance-1"}
    first = api.post("/clock/advance", {"to": "2027-02-01T00:00:00Z"}, headers)
    again = api.post("/clock/advance", {"to": "2027-02-01T00:00:00Z"}, headers)
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (200, 200, "true")
    assert again.json() == first.json()


@ADVANCE
def test_only_editors_advance_the_clock(api_as, frozen_clock):
    assert_problem(api_as(Role.VIEWER).post("/clock/advance", {"to": "2027-02-01T00:00:00Z"}), 403)
