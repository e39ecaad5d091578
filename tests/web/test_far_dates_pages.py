"""Far-future and far-past dates on pages: a form error beside the field, never a 500.

Recurra accepts days from 1900-01-01 to 2200-12-31 (recurra.core.dates). Before, a date-time
condition on 9999-12-31 overflowed the next day (the index and its count answered 500), and a team
view saved with one broke that tab for everyone. Clock: 2027-01-15 09:30 UTC; zone UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.services import account_settings_update
from recurra.commerce.models import Quote
from recurra.core import clock
from recurra.exports.models import Export
from recurra.saved_views.models import SavedView, Visibility
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, messages, table_rows, text
from tests.web.subscription_form import URL, form_data
from tests.web.test_subscription_pages import make_subscription

RANGE_ERROR = "Enter a date from 1900-01-01 to 2200-12-31."


@pytest.fixture
def subs(records: Any) -> list[Subscription]:
    return [
        make_subscription(records.contact, name="Alpha", next_payment_date=date(2027, 2, 1)),
        make_subscription(records.contact, name="Bravo", next_payment_date=date(2027, 3, 1)),
    ]


def names(client: Client, query: str) -> list[str]:
    response = client.get(f"/subscriptions/?{query}")
    assert response.status_code == 200
    return [row[0] for row in table_rows(response.content, "index-table")]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2201-01-01"])
def test_a_far_date_condition_is_shown_with_its_problem_and_filters_nothing(
    viewer: Client, subs: Any, day: str
) -> None:
    query = f"edited=1&c0.0.p=created_at&c0.0.o=is&c0.0.v={day}"
    page = viewer.get(f"/subscriptions/?{query}")
    assert page.status_code == 200
    assert "Must be a date from 1900-01-01 to 2200-12-31" in text(page.content)
    assert [row[0] for row in table_rows(page.content, "index-table")] == ["Alpha", "Bravo"]
    count = viewer.get(f"/subscriptions/count/?{query}")
    assert count.status_code == 200
    assert "2 subscriptions" in text(count.content)
    custom = viewer.get("/subscriptions/?edited=1&due=custom&due_from=2027-01-01&due_to=9999-12-31")
    assert custom.status_code == 200
    assert "Must be a date from 1900-01-01 to 2200-12-31" in text(custom.content)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"property": "created_at", "operator": "before", "value": "9999-12-31"}, ["Alpha", "Bravo"]),
        ({"property": "created_at", "operator": "after", "value": "9999-12-31"}, []),
        ({"property": "created_at", "operator": "is", "value": "9999-12-31"}, []),
        ({"property": "created_at", "operator": "after", "value": "0001-01-01"}, ["Alpha", "Bravo"]),
        (
            {"property": "created_at", "operator": "between", "value": ["0001-01-01", "9999-12-31"]},
            ["Alpha", "Bravo"],
        ),
        ({"property": "next_payment_date", "operator": "before", "value": "9999-12-31"}, ["Alpha", "Bravo"]),
    ],
)
def test_a_team_view_saved_with_a_far_date_still_opens_for_everyone(
    client_as: Any, subs: Any, condition: dict[str, Any], expected: list[str]
) -> None:
    """Saved before the range was checked (written here straight to its row): the tab, its count and
    its export all work, each far day answering as it should."""
    account_settings_update(timezone="Pacific/Kiritimati", actor=SYSTEM, at=T0)  # UTC+14
    view = SavedView.objects.create(
        name="Far", visibility=Visibility.TEAM, filters={"groups": [{"conditions": [condition]}]}
    )
    viewer, editor = client_as("viewer"), client_as("editor")
    assert names(viewer, f"view={view.pk}") == expected
    count = viewer.get(f"/subscriptions/count/?view={view.pk}")
    assert count.status_code == 200
    assert f"{len(expected)} subscription" in text(count.content)
    made = editor.post("/exports/new/", {"view": view.pk, "format": "csv"})
    assert made.status_code == 302
    assert Export.objects.get().rows_total == len(expected)


def test_the_last_day_of_the_range_is_a_whole_day(viewer: Client, subs: Any) -> None:
    """The range's last day is a whole day, and a stored far day (compared as 2201-01-01) still
    answers as itself: everything is before 9999-12-31, nothing on or after it."""
    Subscription.objects.filter(pk=subs[1].pk).update(created_at=datetime(2200, 12, 31, 12, tzinfo=UTC))
    for operator, day, expected in [
        ("is", "2200-12-31", ["Bravo"]),
        ("after", "2200-12-31", []),
        ("before", "2200-12-31", ["Alpha"]),
    ]:
        query = f"edited=1&c0.0.p=created_at&c0.0.o={operator}&c0.0.v={day}"
        assert names(viewer, query) == expected, operator
    for operator, expected in [("is", []), ("after", []), ("before", ["Alpha", "Bravo"])]:
        condition = {"property": "created_at", "operator": operator, "value": "9999-12-31"}
        view = SavedView.objects.create(
            name=f"Far {operator}",
            visibility=Visibility.TEAM,
            filters={"groups": [{"conditions": [condition]}]},
        )
        assert names(viewer, f"view={view.pk}") == expected, operator


def test_a_start_date_outside_the_range_is_a_form_error(editor: Client, records: Any) -> None:
    items = [{"product_id": records.product.pk}]
    for day in ("9999-12-31", "1899-12-31"):
        data = form_data(records.contact, items, billing_start_type="date", billing_start_date=day)
        response = editor.post(URL, data)
        assert response.status_code == 422
        assert field_errors(response, "id_billing_start_date") == [RANGE_ERROR]
    assert Subscription.objects.count() == 0


def test_pause_resume_and_edit_dates_outside_the_range_are_form_errors(editor: Client, subs: Any) -> None:
    sub = subs[0]
    paused = editor.post(f"/subscriptions/{sub.pk}/pause/", {"resume_on": "9999-12-31"}, follow=True)
    assert [unescape(m) for m in messages(paused)] == [f"Resume on: {RANGE_ERROR}"]
    edit = {
        "name": "Alpha",
        "next_payment_date": "9999-12-31",
        "proration": "none",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "1",
        "items-0-name": "Pro plan",
        "items-0-quantity": "2",
        "items-0-unit_price": "49.00",
        "items-0-discount_percent": "0",
        "items-0-tax_rate_percent": "0",
        "action": "confirm",
    }
    edited = editor.post(f"/subscriptions/{sub.pk}/edit/", edit)
    assert edited.status_code == 422
    assert field_errors(edited, "id_next_payment_date") == [RANGE_ERROR]
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.status, row.next_payment_date) == ("active", date(2027, 2, 1))


def test_a_quote_expiring_outside_the_range_is_refused(editor: Client, records: Any) -> None:
    deal_page = editor.post(
        f"/deals/{records.deal.pk}/quotes/new/", {"expires_on": "9999-12-31"}, follow=True
    )
    assert messages(deal_page) == ["The expiry date must be a date from 1900-01-01 to 2200-12-31."]
    assert not Quote.objects.exists()


def test_the_clock_control_does_not_move_past_the_range(editor: Client) -> None:
    for to in ("9999-12-31 00:00", "9999-12-31T23:59-05:00", "2201-01-01 00:00"):
        done = editor.post("/clock/advance/", {"next": "/contacts/", "to": to}, follow=True)
        assert done.status_code == 200
        assert len(messages(done)) == 1
        assert clock.now() == T0
