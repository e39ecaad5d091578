"""The settings pages in Debian's Chromium: labelled, driven by the keyboard, saved through the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recurra.accounts.selectors import account_settings
from tests.web.test_browser import UNLABELLED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("/settings/account/", "/settings/notifications/", "/settings/dunning/")
FOCUSED = "() => document.activeElement.id || document.activeElement.textContent.trim()"


def test_every_settings_input_has_a_label(signed_in_page: Any, live_server: Any, tmp_path: Path) -> None:
    page = signed_in_page
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(UNLABELLED) == [], path
        assert page.locator("h1").inner_text() == "Settings"
        page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-')}.png"), full_page=True)


def test_the_account_settings_are_saved_in_the_browser(signed_in_page: Any, live_server: Any) -> None:
    page = signed_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{live_server.url}/settings/account/")
    assert page.get_by_label("Time zone").input_value() == "UTC"
    page.get_by_label("Time zone").select_option("Europe/Oslo")
    page.get_by_label("Tax ID").fill("NO 912 345 678 MVA")
    page.get_by_label("Country").fill("norway")  # maxlength: the browser keeps two letters
    assert page.get_by_label("Country").input_value() == "no"
    page.get_by_label("Country").press("Enter")  # submits the form
    page.wait_for_selector("text=Account settings saved.")
    assert page.get_by_label("Time zone").input_value() == "Europe/Oslo"
    assert page.get_by_label("Country").input_value() == "NO"
    row = account_settings()
    assert (row.timezone, row.seller_tax_id, row.country) == ("Europe/Oslo", "NO 912 345 678 MVA", "NO")


def test_the_dunning_form_works_from_the_keyboard(signed_in_page: Any, live_server: Any) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/settings/dunning/")
    field = page.get_by_label("Retry days after the first failure")
    field.fill("7, 3")
    page.keyboard.press("Tab")  # on to the checked radio of the group, then arrows choose
    assert page.evaluate(FOCUSED) == "id_final_failure_action_0"
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Cancel the subscription").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "Save"
    page.keyboard.press("Enter")
    error = page.locator("#id_retry_schedule_days_error")
    assert error.inner_text() == "Must be up to 10 days from 1 to 90, each later than the one before"
    assert field.input_value() == "7, 3"
    assert page.get_by_label("Cancel the subscription").is_checked()  # kept as chosen

    field.fill("3, 7")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Dunning settings saved.")
    row = account_settings()
    assert (row.retry_schedule_days, row.final_failure_action) == ([3, 7], "cancel")
