"""The sandbox test-clock control: editors advance time from the banner; viewers and live mode cannot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from recurra.core import clock
from recurra.core.models import Event
from recurra.invoicing.models import Invoice
from recurra.subscriptions.models import Subscription
from tests.conftest import T0
from tests.web.html import messages, table_rows, text
from tests.web.test_subscription_pages import make_subscription

FORM = '<form class="clock-control" method="post" action="/clock/advance/"'


def advance(client: Client, next_url: str = "/contacts/", **data: str) -> Any:
    return client.post("/clock/advance/", {"next": next_url, **data}, follow=True)


def test_editors_see_the_control_in_the_banner_viewers_do_not(editor: Client, viewer: Client) -> None:
    html = editor.get("/contacts/").content.decode()
    assert FORM in html
    assert '<input type="hidden" name="next" value="/contacts/">' in html
    assert 'name="to" value="2027-01-15T09:30" required' in html
    assert FORM not in viewer.get("/contacts/").content.decode()


def test_live_mode_has_no_control_and_no_endpoint(editor: Client, settings: Any) -> None:
    settings.RECURRA_MODE = "live"
    assert FORM not in editor.get("/contacts/").content.decode()
    assert editor.post("/clock/advance/", {"step": "day"}).status_code == 404


def test_viewer_post_is_refused_and_time_stands_still(viewer: Client) -> None:
    assert viewer.post("/clock/advance/", {"step": "month"}).status_code == 403
    assert clock.now() == T0


def test_get_is_not_allowed(editor: Client) -> None:
    assert editor.get("/clock/advance/").status_code == 405
    assert clock.now() == T0


def test_plus_one_day_moves_the_clock_and_reports_the_work(editor: Client) -> None:
    response = advance(editor, step="day")
    assert response.redirect_chain == [("/contacts/", 302)]
    assert messages(response) == ["Moved to 16 Jan 2027, 09:30 UTC: 0 invoices, 0 payments, 0 emails."]
    assert clock.now() == datetime(2027, 1, 16, 9, 30, tzinfo=UTC)
    assert "16 Jan 2027, 09:30 UTC" in text(response.content)  # the banner shows the new time


@pytest.mark.parametrize(
    ("step", "to"),
    [("week", datetime(2027, 1, 22, 9, 30, tzinfo=UTC)), ("year", datetime(2028, 1, 15, 9, 30, tzinfo=UTC))],
)
def test_a_week_or_a_year_at_a_click(editor: Client, step: str, to: datetime) -> None:
    advance(editor, step=step)
    assert clock.now() == to


def test_advance_to_a_typed_time_in_utc(editor: Client) -> None:
    response = advance(editor, to="2027-03-01T00:00")
    assert messages(response) == ["Moved to 1 Mar 2027, 00:00 UTC: 0 invoices, 0 payments, 0 emails."]
    assert clock.now() == datetime(2027, 3, 1, tzinfo=UTC)


def test_backwards_is_refused_with_a_clear_message_and_nothing_changes(editor: Client) -> None:
    events = Event.objects.count()
    response = advance(editor, to="2027-01-01T00:00")
    assert messages(response) == [
        "The test clock cannot move backwards: it is already 15 Jan 2027, 09:30 UTC "
        "and 1 Jan 2027, 00:00 UTC has passed. Nothing changed."
    ]
    assert clock.now() == T0
    assert Event.objects.count() == events


@pytest.mark.parametrize("typed", ["", "tomorrow", "2027-13-01T00:00"])
def test_an_unreadable_time_is_refused(editor: Client, typed: str) -> None:
    response = advance(editor, to=typed)
    assert messages(response) == ["Enter the date and time to move to, as YYYY-MM-DD HH:MM (UTC)."]
    assert clock.now() == T0


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_goes_back_only_to_a_page_of_this_site(editor: Client, next_url: str) -> None:
    response = editor.post("/clock/advance/", {"next": next_url, "step": "day"})
    assert response["Location"] == "/"


def test_a_month_bills_the_due_subscription_and_its_page_shows_the_invoice(
    editor: Client, records: Any
) -> None:
    sub = make_subscription(records.contact, collection_method="send_invoice")
    response = advance(editor, f"/subscriptions/{sub.pk}/", step="month")
    assert response.redirect_chain == [(f"/subscriptions/{sub.pk}/", 302)]
    invoice = Invoice.objects.get()
    assert (invoice.subscription_id, invoice.period_start.isoformat(), invoice.total) == (
        sub.pk,
        "2027-02-15",
        9800,
    )
    assert messages(response) == ["Moved to 15 Feb 2027, 09:30 UTC: 1 invoice, 0 payments, 1 email."]
    assert table_rows(response.content, "table-invoices") == [
        [
            invoice.number,
            "Open",
            "15 Feb 2027 – 15 Mar 2027",
            "15 Feb 2027",
            "15 Feb 2027",
            "$98.00",
            "$98.00",
        ]
    ]
    assert [row[0] for row in table_rows(response.content, "table-emails")] == ["Invoice"]
    assert Subscription.objects.get().next_payment_date.isoformat() == "2027-03-15"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_advance_a_month_from_a_subscription(signed_in_page: Any, live_server: Any) -> None:
    from recurra.crm.services import contact_create
    from tests.conftest import SYSTEM

    contact = contact_create(actor=SYSTEM, email="ada@example.com", first_name="Ada")
    sub = make_subscription(contact, collection_method="send_invoice")
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Pro monthly").click()  # its panel
    page.get_by_role("link", name="Open record").click()
    page.wait_for_url(f"{live_server.url}/subscriptions/{sub.pk}/")
    assert page.locator("#invoices ~ p").inner_text() == "No invoices yet."

    page.get_by_role("button", name="+1 month").click()
    page.wait_for_selector("text=Moved to 15 Feb 2027, 09:30 UTC")
    assert page.url == f"{live_server.url}/subscriptions/{sub.pk}/"
    assert page.get_by_test_id("test-clock").inner_text() == "15 Feb 2027, 09:30 UTC"
    rows = page.locator("table.table-invoices tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").nth(1).inner_text() == "Open"
    assert rows.first.locator("td").nth(2).inner_text() == "15 Feb 2027 – 15 Mar 2027"
