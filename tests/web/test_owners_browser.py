"""Assigning an owner to ticked rows of the Subscriptions page, in Debian's Chromium: ticking a row
sends nothing (the index's filters send themselves on every change; the boxes belong to the "Assign
owner" form), Apply assigns the chosen user, and the Owner column names them.

    First, Second, Third: Ingrid's subscriptions, no owner; the seller ticks First and Second
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from recurra.accounts.roles import Role
from recurra.crm.services import contact_create
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.web.conftest import make_user
from tests.web.test_subscription_pages import make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def owner_column(page: Any) -> list[list[str]]:
    rows = page.locator("[data-testid=index-table] tbody tr")
    return [row.locator("td:not(.select-cell)").all_inner_texts() for row in rows.all()]


def test_a_seller_ticks_two_rows_and_assigns_them_an_owner(signed_in_page: Any, live_server: Any) -> None:
    page = signed_in_page
    ada = make_user(Role.EDITOR, "ada")
    ada.first_name, ada.last_name = "Ada", "Lovelace"
    ada.save()
    ingrid = contact_create(actor=SYSTEM, email="ingrid@example.com", first_name="Ingrid")
    subs = [make_subscription(ingrid, name=name) for name in ("First", "Second", "Third")]
    page.goto(f"{live_server.url}/subscriptions/?columns=name,owner&sort=name")
    assert owner_column(page) == [["First", "—"], ["Second", "—"], ["Third", "—"]]

    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if urlsplit(r.url).path == "/subscriptions/" else None)
    page.get_by_label("Select First").check()
    page.get_by_label("Select Second").check()
    page.wait_for_timeout(500)  # the index's own form would have sent itself by now
    assert sent == []
    expect(page.get_by_label("Select First")).to_be_checked()

    bulk = page.get_by_test_id("bulk-owner")
    bulk.get_by_label("Assign owner").select_option(label="Ada Lovelace")
    bulk.get_by_role("button", name="Apply").click()

    expect(page.get_by_role("status")).to_have_text("Owner assigned to 2 subscriptions.")
    assert owner_column(page) == [["First", "Ada Lovelace"], ["Second", "Ada Lovelace"], ["Third", "—"]]
    assert urlsplit(page.url).path == "/subscriptions/" and "columns=name%2Cowner" in page.url
    owners = dict(Subscription.objects.values_list("name", "owner_id"))
    assert owners == {"First": ada.pk, "Second": ada.pk, "Third": None}

    page.get_by_label("Select every subscription on this page").check()  # shown by app.js
    for sub in subs:
        expect(page.get_by_label(f"Select {sub.name}")).to_be_checked()
