"""Lists in Debian's Chromium, with clicks: "Contacts with a known subscription end date" built in the
editor (a "Their subscriptions" condition, its own condition chosen with the htmx controls), saved,
and its members seen; then "Save as static list", a member removed, a column added, contacts added
from the Contacts page with "Add to list", and the list deleted.

    ada   Acme; A1 active, ends 30 Jun 2027          (the clock: 15 Jan 2027)
    bo    B1 active, no end; B2 Unpaid, ends 31 Mar 2027
    cy    C1 canceled, no end
    di    no subscription
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.core import clock
from recurra.insights.lists.services import list_create
from recurra.insights.models import ListMember, RecordList
from tests.conftest import SYSTEM
from tests.web.chromium import shoot
from tests.web.test_list_pages import ENDS_KNOWN_LIST, make_people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NAME = "Contacts with a known subscription end date"


def settled(page: Any) -> None:
    """Wait for htmx to finish a redraw of the editor: its new form answers changes only once
    processed, when it loses the class ``htmx-added`` (a person is never that quick)."""
    expect(page.locator("#list-form.htmx-added")).to_have_count(0)


def member_rows(page: Any) -> Any:
    return page.get_by_test_id("members").locator("tbody tr")


def test_contacts_with_a_known_subscription_end_date(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    make_people()

    # CRM → Lists → Create list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lists").click()
    page.wait_for_url(f"{live_server.url}/lists/")
    page.get_by_role("link", name="Create list").first.click()
    page.wait_for_url(f"{live_server.url}/lists/new/")
    page.get_by_label("Name").fill(NAME)
    expect(page.get_by_label("Object")).to_have_value("contacts")
    expect(page.get_by_label("Kind")).to_have_value("active")

    # Their subscriptions: at least one matches "End date is not empty" (each click, each choice
    # redraws the form with htmx; nothing is saved meanwhile).
    page.get_by_role("button", name="+ A condition on their subscriptions").click()
    card = page.get_by_test_id("subscriptions-condition")
    expect(card.get_by_label("Their subscriptions")).to_have_value("any")
    settled(page)
    card.get_by_role("button", name="+ Add a condition").click()
    expect(card.get_by_label("Property")).to_be_visible()
    settled(page)
    card.get_by_label("Property").select_option(label="End date")
    expect(card.get_by_label("Operator")).to_be_visible()
    settled(page)
    card.get_by_label("Operator").select_option(label="is not empty")
    expect(card.get_by_label("Value")).to_have_count(0)  # "is not empty" takes none
    expect(page.get_by_label("Name")).to_have_value(NAME)  # kept through the redraws
    assert RecordList.objects.count() == 0
    shoot(page, "list-editor.png", tmp_path)

    page.get_by_role("button", name="Create list").click()
    page.wait_for_url(f"{live_server.url}/lists/lst_*/")
    made = RecordList.objects.get()
    assert made.filters == ENDS_KNOWN_LIST
    expect(page.locator(".messages")).to_contain_text("List created.")
    expect(page.get_by_test_id("list-size")).to_have_text("2 members")
    expect(page.get_by_test_id("list-filters")).to_contain_text(
        "Their subscriptions: at least one matches: End date is not empty"
    )
    rows = member_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Bo Lee")
    expect(rows.nth(1)).to_contain_text("Ada Lee")
    expect(rows.nth(1)).to_contain_text("Acme")
    shoot(page, "list.png", tmp_path)


def test_a_static_copy_its_members_by_hand_and_delete(signed_in_page: Any, live_server: Any) -> None:
    page = signed_in_page
    people = make_people()
    live = list_create(
        name=NAME, object="contacts", kind="active", filters=ENDS_KNOWN_LIST, actor=SYSTEM, at=clock.now()
    )

    # Save as static list: the members now, under a new name.
    page.goto(f"{live_server.url}/lists/{live.pk}/")
    page.get_by_role("link", name="Save as static list").click()
    expect(page.get_by_label("Name of the static list")).to_have_value(f"{NAME} (15 Jan 2027)")
    page.get_by_label("Name of the static list").fill("Renewals")
    page.get_by_role("button", name="Save as static list").click()
    page.wait_for_url(f"{live_server.url}/lists/lst_*/")
    copy = RecordList.objects.get(name="Renewals")
    assert page.url == f"{live_server.url}/lists/{copy.pk}/"
    expect(member_rows(page)).to_have_count(2)

    # A column added with the chooser: kept in the address.
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("Add a column").select_option(label="Phone")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url(f"{live_server.url}/lists/{copy.pk}/?columns=*phone")
    expect(page.get_by_test_id("members").locator("th").filter(has_text="Phone")).to_have_count(1)

    # Bo removed by hand; the address (and its columns) kept.
    page.get_by_role("button", name="Remove Bo Lee from the list").click()
    expect(page.locator(".messages")).to_contain_text("Removed from the list.")
    assert "columns=" in page.url
    expect(member_rows(page)).to_have_count(1)

    # Contacts → tick Di and Cy → Add to list "Renewals".
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.wait_for_url(f"{live_server.url}/contacts/")
    page.get_by_label("Select Di Lee").check()
    page.get_by_label("Select Cy Lee").check()
    page.get_by_label("Add to list").select_option(label="Renewals")
    page.get_by_test_id("bulk-list").get_by_role("button", name="Add").click()
    expect(page.locator(".messages")).to_contain_text("2 added to “Renewals”.")
    assert set(ListMember.objects.filter(list=copy).values_list("record_id", flat=True)) == {
        people.ada.pk,
        people.cy.pk,
        people.di.pk,
    }

    # Delete, confirmed.
    page.goto(f"{live_server.url}/lists/{copy.pk}/")
    expect(member_rows(page)).to_have_count(3)
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete list").click()
    page.wait_for_url(f"{live_server.url}/lists/")
    expect(page.locator(".messages")).to_contain_text("List deleted.")
    assert list(RecordList.objects.values_list("name", flat=True)) == [NAME]


def test_email_the_list_to_yourself_then_to_the_list(signed_in_page: Any, live_server: Any) -> None:
    from recurra.notifications.models import EmailMessage
    from recurra.worker.steps import run_due_work

    page = signed_in_page
    make_people()
    live = list_create(
        name=NAME, object="contacts", kind="active", filters=ENDS_KNOWN_LIST, actor=SYSTEM, at=clock.now()
    )
    page.goto(f"{live_server.url}/lists/{live.pk}/")
    page.get_by_role("link", name="Email this list").click()
    page.get_by_label("Subject").fill("Renew, {{ contact.first_name }}")
    page.get_by_label("Message").fill("Your subscription ends on {{ subscription.end_date }}.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("list-email-preview")).to_contain_text("Renew, Ada")

    page.get_by_role("button", name="Send me a test").click()
    expect(page.locator(".messages")).to_contain_text("A test went to admin@recurra.example.")
    assert list(EmailMessage.objects.values_list("to", flat=True)) == ["admin@recurra.example"]

    page.get_by_role("button", name="Send to the list").click()
    page.wait_for_url(f"{live_server.url}/list-emails/bem_*/")
    run_due_work(at=clock.now())  # the worker sends it; the page polls until it is done
    expect(page.get_by_test_id("list-email-progress")).to_have_attribute(
        "data-status", "sent", timeout=10_000
    )
    expect(page.get_by_test_id("sent")).to_have_text("2")
    sent = sorted(EmailMessage.objects.exclude(to="admin@recurra.example").values_list("to", flat=True))
    assert sent == ["ada@example.com", "bo@example.com"]
