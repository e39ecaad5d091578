"""Far-future and far-past dates in the API: a 422 problem naming the field, never a 500.

Recurra accepts days from 1900-01-01 to 2200-12-31 (recurra.core.dates). Before that rule a
date-time filter on 9999-12-31 overflowed the day after it (a 500 in HTML from POST /exports), and a
subscription starting on 9999-12-31 was created and then broke its page (year 10000).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from recurra.accounts.roles import Role
from recurra.core import clock
from recurra.exports.models import Export
from recurra.saved_views.models import SavedView
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok
from tests.conftest import T0, ApiClient
from tests.web.conftest import make_user

pytestmark = pytest.mark.usefixtures("frozen_clock")

RANGE = "must be a date from 1900-01-01 to 2200-12-31"
LINE = {"name": "Pro plan", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}


def on_day(day: str, prop: str = "created_at", operator: str = "is") -> dict[str, Any]:
    return {"groups": [{"conditions": [{"property": prop, "operator": operator, "value": day}]}]}


def subscription_body(contact_id: str, start: str) -> dict[str, Any]:
    line = {**LINE, "billing_start": {"type": "date", "date": start}}
    return {
        "contact_id": contact_id,
        "collection_method": "send_invoice",
        "payment_terms": "net_30",
        "line_items": [line],
    }


@pytest.mark.parametrize("day", ["9999-12-31", "2201-01-01", "1899-12-31", "0001-01-01"])
def test_a_filter_date_outside_the_range_is_a_422_for_exports_and_views(api: ApiClient, day: str) -> None:
    where = "filters.groups[0].conditions[0].value"
    body = assert_problem(api.post("/exports", {"format": "csv", "filters": on_day(day)}), 422, where)
    assert body["errors"][0]["message"] == RANGE
    assert_problem(api.post("/views", {"name": "Far", "filters": on_day(day)}), 422, where)
    custom = {"next_payment_date": {"preset": "custom", "from": day}}
    assert_problem(
        api.post("/views", {"name": "Far", "filters": custom}), 422, "filters.next_payment_date.from"
    )
    assert (Export.objects.count(), SavedView.objects.count()) == (0, 0)


def test_the_range_ends_are_accepted(api: ApiClient) -> None:
    for day, operator in (("2200-12-31", "after"), ("1900-01-01", "before")):
        ok(api.post("/exports", {"format": "csv", "filters": on_day(day, operator=operator)}), 201)
    ok(api.post("/views", {"name": "Last day", "filters": on_day("2200-12-31")}), 201)


@pytest.mark.parametrize("start", ["9999-12-31", "2201-01-01", "1899-12-31"])
def test_a_subscription_starting_outside_the_range_is_a_422(api: ApiClient, make: Any, start: str) -> None:
    contact = make("contacts", email="ada@example.com", first_name="Ada")
    body = assert_problem(
        api.post("/subscriptions", subscription_body(contact["id"], start)),
        422,
        "line_items[0].billing_start.date",
    )
    assert body["errors"][0]["message"] == RANGE
    assert Subscription.objects.count() == 0


def test_a_subscription_starting_on_the_last_day_is_made_and_its_page_opens(
    api: ApiClient, make: Any
) -> None:
    contact = make("contacts", email="ada@example.com", first_name="Ada")
    made = ok(api.post("/subscriptions", subscription_body(contact["id"], "2200-12-31")), 201)
    assert (made["start_date"], made["next_payment_date"]) == ("2200-12-31", "2200-12-31")
    page = Client()
    page.force_login(make_user(Role.SUPER_ADMIN))
    assert page.get(f"/subscriptions/{made['id']}/").status_code == 200


def test_other_date_fields_say_the_range_too(api: ApiClient, sub: dict[str, Any]) -> None:
    assert_problem(
        api.get("/subscriptions", next_payment_date_lte="9999-12-31"), 422, "next_payment_date_lte"
    )
    assert_problem(
        api.post(f"/subscriptions/{sub['id']}/pause", {"resume_on": "9999-12-31"}), 422, "resume_on"
    )
    assert_problem(
        api.patch(f"/subscriptions/{sub['id']}", {"next_payment_date": "2201-01-01"}),
        422,
        "next_payment_date",
    )


@pytest.mark.parametrize("to", ["9999-12-31T00:00:00Z", "9999-12-31T23:59:59-05:00", "2201-01-01T00:00:00Z"])
def test_the_test_clock_does_not_move_past_the_range(api: ApiClient, to: str) -> None:
    body = assert_problem(api.post("/clock/advance", {"to": to}), 422, "to")
    assert body["errors"][0]["message"] == f"the target time {RANGE}"
    assert clock.now() == T0
