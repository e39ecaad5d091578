"""The subscriptions index past its first page, in Debian's Chromium: the address bar holds the page's
own URL through filtering, sorting, paging, a reload and Back; "Previous page"; "Add a column" adds
the column chosen; the toolbar's menus (one open at a time, closed by a click outside or Escape); the
focus stays on the sort button used.

36 subscriptions "Sub 00" … "Sub 35" of one contact: every sixth (00, 06, …, 30) Unpaid, the other
30 Active, so "Status: Active" is 30 rows, two pages of 25 and 5.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from recurra.crm.services import contact_create
from tests.conftest import SYSTEM
from tests.web.test_subscription_pages import make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIVE = [f"Sub {n:02}" for n in range(36) if n % 6]


@pytest.fixture
def many(signed_in_page: Any) -> None:
    ola = contact_create(actor=SYSTEM, email="ola@nordmann.example", first_name="Ola", last_name="Nordmann")
    for n in range(36):
        make_subscription(ola, name=f"Sub {n:02}", status="active" if n % 6 else "past_due")


def rows(page: Any) -> list[str]:
    # the name: the first cell, after an editor's row checkbox
    cells = "tbody tr > td:first-child:not(.select-cell), tbody tr > td.select-cell + td"
    return page.locator("[data-testid=index-table]").locator(cells).all_inner_texts()


def address(page: Any) -> tuple[str, dict[str, list[str]]]:
    url = urlsplit(page.url)
    return url.path, parse_qs(url.query)


def test_the_address_bar_holds_the_page_through_sort_filter_pages_reload_and_back(
    signed_in_page: Any, live_server: Any, many: None
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    expect(page.get_by_test_id("index-count")).to_have_text("36 subscriptions")  # the count's own request
    assert address(page) == ("/subscriptions/", {})  # not /subscriptions/count/…

    page.locator("#dd-status summary").click()
    page.get_by_label("Active").check()
    expect(page.get_by_test_id("index-count")).to_have_text("30 subscriptions")
    path, query = address(page)
    assert (path, query["status"], query["edited"]) == ("/subscriptions/", ["active"], ["1"])

    page.get_by_role("button", name="Name: sort ascending").click()
    expect(page.locator("#sort-name")).to_have_attribute("aria-label", "Name: sort descending")
    assert rows(page)[:3] == ["Sub 01", "Sub 02", "Sub 03"]
    assert page.evaluate("document.activeElement.id") == "sort-name"  # the focus stays on the button used
    page.keyboard.press("Enter")  # so the keyboard sorts again at once
    expect(page.locator("#sort-name")).to_have_attribute("aria-label", "Name: sort ascending")
    assert page.evaluate("document.activeElement.id") == "sort-name"
    assert rows(page) == list(reversed(ACTIVE))[:25]
    expect(page.get_by_test_id("index-count")).to_have_text("30 subscriptions")
    path, query = address(page)
    assert (path, query["status"], query["sort"]) == ("/subscriptions/", ["active"], ["-name"])
    assert "sort_to" not in query  # the button that sorted is not the page's state
    sorted_url = page.url

    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("rows 26–30")).to_be_visible()
    assert rows(page) == list(reversed(ACTIVE))[25:]
    path, query = address(page)
    assert (path, query["sort"], query["page"]) == ("/subscriptions/", ["-name"], ["2"])
    assert query["cursor"]
    second_url = page.url

    page.reload()
    assert page.url == second_url
    assert rows(page) == list(reversed(ACTIVE))[25:]
    expect(page.get_by_text("rows 26–30")).to_be_visible()
    expect(page.get_by_test_id("index-count")).to_have_text("30 subscriptions")
    assert page.url == second_url  # the count did not take the address

    page.go_back()
    expect(page.get_by_text("rows 1–25")).to_be_visible()
    assert page.url == sorted_url
    assert rows(page) == list(reversed(ACTIVE))[:25]
    page.go_back()
    expect(page.locator("#sort-name")).to_have_attribute("aria-label", "Name: sort descending")
    assert rows(page)[:3] == ["Sub 01", "Sub 02", "Sub 03"]
    page.go_back()
    expect(page.locator("#sort-name")).to_have_attribute("aria-label", "Name: sort ascending")
    path, query = address(page)
    assert (path, query["status"], "sort_to" in query) == ("/subscriptions/", ["active"], False)
    expect(page.get_by_test_id("index-count")).to_have_text("30 subscriptions")
    page.go_forward()
    expect(page.locator("#sort-name")).to_have_attribute("aria-label", "Name: sort descending")
    assert address(page)[1]["sort"] == ["name"]

    page.goto(second_url)
    page.get_by_role("link", name="Previous page").click()  # back to the first page's rows
    expect(page.get_by_text("rows 1–25")).to_be_visible()
    assert rows(page) == list(reversed(ACTIVE))[:25]
    assert "cursor" not in address(page)[1] and address(page)[1]["sort"] == ["-name"]
    expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
    page.reload()
    assert rows(page) == list(reversed(ACTIVE))[:25]


def test_previous_page_from_the_third_page_and_without_script(
    browser: Any, signed_in_page: Any, live_server: Any, many: None
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/?edited=1&sort=name")  # 36 rows: pages of 25 and 11
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("rows 26–36")).to_be_visible()
    page.get_by_role("link", name="Previous page").click()
    expect(page.get_by_text("rows 1–25")).to_be_visible()
    assert rows(page) == [f"Sub {n:02}" for n in range(25)]

    context = browser.new_context(java_script_enabled=False, storage_state=page.context.storage_state())
    try:
        plain = context.new_page()
        plain.goto(f"{live_server.url}/subscriptions/?edited=1&sort=-name")
        plain.get_by_role("button", name="Next page").click()
        assert plain.locator("text=rows 26–36").count() == 1
        plain.get_by_role("link", name="Previous page").click()
        assert plain.locator("text=rows 1–25").count() == 1
        assert rows(plain) == [f"Sub {n:02}" for n in range(35, 10, -1)]
    finally:
        context.close()


def test_add_a_column_adds_the_one_chosen(signed_in_page: Any, live_server: Any, many: None) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    expect(page.get_by_test_id("index-count")).to_have_text("36 subscriptions")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if urlsplit(r.url).path == "/subscriptions/" else None)

    page.locator("#dd-columns summary").click()
    page.get_by_label("Add a column").select_option(label="Payment terms")
    page.get_by_role("button", name="Add", exact=True).click()
    header = page.locator("[data-testid=index-table] thead th")
    expect(header.last).to_have_text("Payment terms")
    assert len(sent) == 1  # choosing sent nothing; Add sent the choice
    assert parse_qs(urlsplit(sent[0]).query)["add_column"] == ["payment_terms"]
    assert "Record ID" not in header.all_inner_texts()
    assert page.locator("[data-testid=index-table] tbody tr").first.locator("td").last.inner_text() == (
        "Due on receipt"
    )
    columns = address(page)[1]["columns"][0].split(",")
    assert columns[-1] == "payment_terms" and "id" not in columns

    page.reload()
    expect(header.last).to_have_text("Payment terms")
    page.locator("#dd-columns summary").click()
    expect(page.get_by_label("Add a column").locator("option", has_text="Payment terms")).to_have_count(0)


def test_menus_one_at_a_time_closed_by_a_click_outside_or_escape(
    signed_in_page: Any, live_server: Any, many: None
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    opened = page.locator("details[open]")
    page.locator("#dd-status summary").click()
    expect(page.locator("#dd-status")).to_have_attribute("open", "")
    page.locator("#dd-columns summary").click()
    expect(page.locator("#dd-columns")).to_have_attribute("open", "")
    expect(opened).to_have_count(1)  # the Status menu closed: they never overlap
    page.locator("#dd-save summary").click()
    expect(opened).to_have_count(1)
    expect(page.locator("#dd-save")).to_have_attribute("open", "")

    page.locator("h1").click()  # outside every menu
    expect(opened).to_have_count(0)

    page.locator("#dd-status summary").click()
    page.get_by_label("Unpaid").check()  # a click inside keeps it open, through the swap
    expect(page.get_by_test_id("index-count")).to_have_text("6 subscriptions")
    expect(page.locator("#dd-status")).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(opened).to_have_count(0)
    assert page.evaluate("document.activeElement.closest('details').id") == "dd-status"  # its button
