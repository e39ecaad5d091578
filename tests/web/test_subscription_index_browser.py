"""The subscriptions index in Debian's Chromium, used as a seller would: filter to Unpaid and save that
view; open a subscription's panel and cancel it now with a prorated refund; try to delete an active
subscription, then delete the canceled one; and what a viewer sees.

    Jan 5 2027   Carla's "Team plan", 31.00 a month on her Visa, billed and paid for Jan 5 – Feb 5
    Jan 15       (the test clock) the seller cancels it now: 21 of its 31 days unused → 21.00 back

The screenshots are ``subscriptions.png`` (the index), ``subscription-panel.png`` and
``cancel-dialog.png`` (``tests.web.chromium.shoot``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.crm.services import contact_create
from recurra.payments.models import Payment
from recurra.saved_views.models import SavedView
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.web.chromium import shoot
from tests.web.conftest import PASSWORD, billed_team_plan, make_user
from tests.web.test_subscription_pages import make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(signed_in_page: Any) -> dict[str, Subscription]:
    """Carla's Team plan billed on Jan 5 through the sandbox gateway, and a few made as they stand."""
    _, team = billed_team_plan(last_name="Cancel")
    ola = contact_create(actor=SYSTEM, email="ola@nordmann.example", first_name="Ola", last_name="Nordmann")
    sofie = contact_create(actor=SYSTEM, email="sofie@nordlys.example", first_name="Sofie", last_name="Berg")
    return {
        "team": Subscription.objects.get(pk=team.pk),
        "late": make_subscription(
            ola, name="Pro monthly", status="past_due", next_payment_date=date(2027, 1, 10)
        ),
        "annual": make_subscription(
            sofie,
            name="Pro annual",
            billing_frequency="annually",
            next_payment_date=date(2027, 12, 15),
            line_items_mrr=817,
        ),
        "soon": make_subscription(
            ola, name="Support add-on", status="scheduled", next_payment_date=date(2027, 2, 1)
        ),
    }


def rows(page: Any) -> list[str]:
    # the name: the first cell, after an editor's row checkbox
    cells = "tbody tr > td:first-child:not(.select-cell), tbody tr > td.select-cell + td"
    return page.locator("[data-testid=index-table]").locator(cells).all_inner_texts()


def test_a_seller_filters_to_unpaid_and_saves_the_view(
    signed_in_page: Any, live_server: Any, book: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    expect(page.get_by_test_id("index-count")).to_have_text("4 subscriptions")
    assert rows(page) == ["Pro monthly", "Support add-on", "Team plan", "Pro annual"]
    shoot(page, "subscriptions.png", tmp_path)

    page.locator("#dd-status summary").click()
    page.get_by_label("Unpaid").check()
    expect(page.get_by_test_id("index-count")).to_have_text("1 subscription")
    assert rows(page) == ["Pro monthly"]
    assert "status=past_due" in page.url  # the filtered list has its own address
    expect(page.locator("#dd-status")).to_have_attribute("open", "")  # still open for more choices
    expect(page.get_by_test_id("unsaved")).to_be_visible()

    page.locator("#dd-save summary").click()  # the save icon
    page.get_by_label("View name").fill("Chase these")
    page.get_by_label("Everyone on the team").check()
    page.get_by_role("button", name="Save as new view").click()
    expect(page.get_by_text("View “Chase these” saved.")).to_be_visible()
    view = SavedView.objects.get()
    assert (view.visibility, view.filters) == ("team", {"status": ["past_due"]})
    expect(page.locator('[data-testid=view-tab][aria-current="page"]')).to_have_text("Chase these ●")
    assert rows(page) == ["Pro monthly"]

    page.get_by_role("link", name="All", exact=True).click()
    expect(page.get_by_test_id("index-count")).to_have_text("4 subscriptions")
    page.get_by_role("link", name="Chase these").click()
    expect(page.get_by_test_id("index-count")).to_have_text("1 subscription")


def test_a_seller_cancels_from_the_panel_with_a_prorated_refund(
    signed_in_page: Any, live_server: Any, book: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Team plan").click()
    panel = page.get_by_test_id("panel")
    expect(panel).to_be_visible()
    expect(panel).to_be_focused()
    expect(panel.locator("h2")).to_have_text("Team plan")
    expect(panel).to_contain_text("Next payment5 Feb 2027 · $31.00")
    shoot(page, "subscription-panel.png", tmp_path)

    panel.get_by_test_id("actions-menu").click()
    panel.get_by_role("link", name="Cancel…").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("refund-amount")).to_have_text("$21.00")
    dialog.get_by_label("Now").check()
    dialog.get_by_label("Prorated refund of the unused days").check()
    shoot(page, "cancel-dialog.png", tmp_path, full_page=False)
    dialog.get_by_role("button", name="Cancel subscription").click()  # the confirmation box is required
    expect(dialog).to_be_visible()
    assert Subscription.objects.get(pk=book["team"].pk).status == "active"
    dialog.get_by_label("I understand the customer will not be charged again").check()
    dialog.get_by_role("button", name="Cancel subscription").click()

    expect(page.get_by_text("Subscription “Team plan” for Fjordline Logistics canceled.")).to_be_visible()
    expect(page.get_by_text("Refunded $21.00 to Visa •••• 4242 (payment of 5 Jan 2027).")).to_be_visible()
    expect(page.get_by_test_id("panel")).to_contain_text("Canceled")  # back on the panel it came from
    (payment,) = Payment.objects.filter(subscription=book["team"])
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 2100)


def test_an_active_subscription_cannot_be_deleted_a_canceled_one_can(
    signed_in_page: Any, live_server: Any, book: Any
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Pro annual").click()
    panel = page.get_by_test_id("panel")
    panel.get_by_test_id("actions-menu").click()
    panel.get_by_role("link", name="Delete…").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_test_id("cannot-delete")).to_have_text(
        "Only canceled or expired subscriptions can be deleted. This one is active: cancel it first."
    )
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert Subscription.objects.filter(pk=book["annual"].pk).exists()

    Subscription.objects.filter(pk=book["annual"].pk).update(status="canceled", next_payment_date=None)
    page.reload()
    page.get_by_role("link", name="Pro annual").click()
    panel = page.get_by_test_id("panel")
    expect(panel).to_contain_text("Canceled")
    panel.get_by_test_id("actions-menu").click()
    panel.get_by_role("link", name="Delete…").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Deleting is permanent. This cannot be undone.")
    dialog.get_by_label("I understand this subscription is deleted for good").check()
    dialog.get_by_role("button", name="Delete subscription").click()
    expect(page.get_by_text("Subscription “Pro annual” for Sofie Berg deleted.")).to_be_visible()
    assert "Pro annual" not in rows(page)
    assert not Subscription.objects.filter(pk=book["annual"].pk).exists()


def test_a_viewer_sees_the_list_and_the_panel_without_actions(
    browser: Any, live_server: Any, book: Any
) -> None:
    make_user("viewer", "vera")
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("vera")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/contacts/")  # signed in before going on
        page.goto(f"{live_server.url}/subscriptions/")
        expect(page.get_by_test_id("index-count")).to_have_text("4 subscriptions")
        assert page.locator("#dd-save").count() == 0
        assert page.get_by_role("link", name="Create subscription").count() == 0
        page.get_by_role("link", name="Team plan").click()
        expect(page.get_by_test_id("panel")).to_be_visible()
        assert page.get_by_test_id("actions-menu").count() == 0
    finally:
        context.close()
