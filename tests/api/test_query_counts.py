"""The queries each hot endpoint costs, pinned: a change that adds one fails here.

Counted through the whole request (middleware, the key, the view), after a first call that
writes the key's ``last_used_at`` (at most once a minute). In sandbox mode the test clock's row
is read once per request (``core.clock.read_once``); live mode skips that read. Lists cost the
same however many rows they return (one query per kind of association).

A count that goes down is good news: lower the pin in the same change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from recurra.accounts.models import User
from recurra.worker.steps import run_due_work
from tests.api.support import ok
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock")

# Counted inside each test's transaction: a transaction the request opens is a SAVEPOINT here, and
# the statements differ by database (SQLite's LIKE against PostgreSQL's UPPER, its own savepoints).
PINNED: dict[str, dict[str, int]] = {
    "get subscription": {"sqlite": 6, "postgresql": 6},
    "list subscriptions": {"sqlite": 6, "postgresql": 6},
    "post contact": {
        "sqlite": 16,
        "postgresql": 16,
    },  # +1: the enabled webhook endpoints, once per transaction
    "get clock": {"sqlite": 2, "postgresql": 2},
    "get contact": {"sqlite": 3, "postgresql": 3},
    "list invoices": {"sqlite": 4, "postgresql": 4},
    "list payments": {"sqlite": 5, "postgresql": 5},
    "subscriptions page": {"sqlite": 8, "postgresql": 8},  # +1: the users "Assign owner" offers (editors)
}


def queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def pinned(name: str) -> int:
    return PINNED[name][connection.vendor]


@pytest.fixture
def billed(api: Any) -> Callable[[int], list[str]]:
    """``billed(n)``: n more charged monthly subscriptions of two lines, each with its first
    invoice and payment (the kinds of association an API object lists); returns their ids."""

    def make(n: int) -> list[str]:
        ids = []
        for _ in range(n):
            contact = ok(api.post("/contacts", {"email": f"{uuid.uuid4().hex}@example.com"}), 201)
            method = ok(
                api.post(f"/contacts/{contact['id']}/payment-methods", {"token": "tok_visa"}),
                201,
            )
            line = {"name": "Pro", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}
            sub = ok(
                api.post(
                    "/subscriptions",
                    {
                        "contact_id": contact["id"],
                        "line_items": [line, {**line, "name": "Seats"}],
                        "collection_method": "charge_automatically",
                        "payment_method_id": method["id"],
                    },
                ),
                201,
            )
            ids.append(sub["id"])
        run_due_work(at=T0)
        return ids

    return make


def test_get_a_subscription(api, billed):
    sub_id = billed(1)[0]
    got = ok(api.get(f"/subscriptions/{sub_id}"))
    assert len(got["line_items"]) == 2
    assert len(got["associations"]["invoices"]) == 1
    assert len(got["associations"]["payments"]) == 1
    assert queries(lambda: ok(api.get(f"/subscriptions/{sub_id}"))) == pinned("get subscription")


def test_a_list_page_costs_the_same_for_one_row_or_many(api, billed):
    billed(1)

    def page() -> None:
        assert ok(api.get("/subscriptions", limit=50, status="active"))["data"]

    ok(api.get("/subscriptions"))
    assert queries(page) == pinned("list subscriptions")
    billed(4)
    assert queries(page) == pinned("list subscriptions")


def test_post_a_contact_with_an_idempotency_key(api):
    ok(api.get("/clock"))

    def post() -> None:
        body = {"email": f"{uuid.uuid4().hex}@example.com", "first_name": "Ada"}
        ok(api.post("/contacts", body, headers={"Idempotency-Key": uuid.uuid4().hex}), 201)

    assert queries(post) == pinned("post contact")


def test_get_the_clock(api):
    ok(api.get("/clock"))
    assert queries(lambda: ok(api.get("/clock"))) == pinned("get clock")


def test_get_a_contact(api):
    contact = ok(api.post("/contacts", {"email": "ada@example.com"}), 201)
    assert queries(lambda: ok(api.get(f"/contacts/{contact['id']}"))) == pinned("get contact")


def test_invoice_and_payment_lists_cost_the_same_for_one_row_or_many(api, billed):
    billed(1)
    ok(api.get("/clock"))
    invoices = lambda: ok(api.get("/invoices", limit=50))  # noqa: E731
    payments = lambda: ok(api.get("/payments", limit=50))  # noqa: E731
    counts = (queries(invoices), queries(payments))
    billed(3)
    assert (queries(invoices), queries(payments)) == counts
    assert counts == (pinned("list invoices"), pinned("list payments"))


def test_the_subscriptions_page(billed):
    billed(3)
    browser = Client()
    browser.force_login(User.objects.create_user(username="ada", password="x" * 12, role="super_admin"))
    browser.get("/subscriptions/")
    assert queries(lambda: browser.get("/subscriptions/")) == pinned("subscriptions page")
