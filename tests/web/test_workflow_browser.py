"""Workflows in Debian's Chromium, with clicks: "status becomes Unpaid → email the owner" built from its
template and saved on, a dry run with the subscription picker, a renewal declined under the test
clock, the owner's workflow_notification read in the app's message log, and the Workflow history
card on the subscription page; and a workflow built from a blank one with the editor's htmx controls
(the trigger's kind redrawn on change, a step added and one removed without a reload).

2027-01-05  Dora subscribes to Pro ($20.00 a month, tok_fail_renewals: the first charge succeeds,
            every renewal is declined); the signed-in admin owns the subscription
2027-01-15  (T0) the admin builds the workflow from the template, turns it on, tests it
2027-02-05  the renewal is declined → Unpaid → one workflow_notification to the admin
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.accounts.models import User
from recurra.automation.models import Enrollment, Workflow
from recurra.catalog.line_items import LineItemInput
from recurra.core import clock
from recurra.crm.owners import owner_assign
from recurra.crm.services import contact_create
from recurra.notifications.models import EmailMessage
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from recurra.worker.steps import run_due_work
from recurra.worker.testclock import clock_advance
from tests.conftest import SYSTEM, T0
from tests.web.chromium import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TEMPLATE = "Notify the owner when a subscription becomes Unpaid"


def declining_subscription(owner: User) -> Subscription:
    """Dora's Pro plan, paid on 5 Jan 2027, every renewal declined; ``owner`` owns it. The clock
    is left at T0 (15 Jan)."""
    clock.freeze(datetime(2027, 1, 5, 9, 30, tzinfo=UTC))
    dora = contact_create(actor=SYSTEM, email="dora@example.com", first_name="Dora", last_name="Dunning")
    card = payment_method_add(contact=dora, token="tok_fail_renewals", actor=SYSTEM, at=clock.now())
    sub = subscription_create(
        contact=dora,
        line_items=[LineItemInput(name="Pro", unit_amount=2000, currency="USD", billing_frequency="monthly")],
        collection_method="charge_automatically",
        payment_method=card,
        actor=SYSTEM,
        at=clock.now(),
    )
    run_due_work(at=clock.now())  # the first period, paid
    owner_assign(obj=sub, owner_id=owner.pk, actor=SYSTEM)
    clock.freeze(T0)
    sub.refresh_from_db()
    assert sub.status == "active"
    return sub


def test_the_owner_reads_the_unpaid_notice_in_the_message_log(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    admin = User.objects.get(username="admin")
    sub = declining_subscription(admin)

    # Automation → Workflows → Create workflow → the template, turned on, saved.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    page.wait_for_url(f"{live_server.url}/workflows/")
    page.get_by_role("link", name="Create workflow").first.click()
    page.wait_for_url(f"{live_server.url}/workflows/new/")
    template = page.locator("section", has=page.get_by_role("heading", name=TEMPLATE))
    template.get_by_role("button", name="Use this template").click()
    page.wait_for_url(f"{live_server.url}/workflows/new/?template=unpaid_owner*")
    expect(page.get_by_label("Name")).to_have_value(TEMPLATE)
    expect(page.get_by_label("Start when")).to_have_value("property_change")
    expect(page.get_by_role("group", name="Becomes").get_by_label("Unpaid")).to_be_checked()
    step = page.get_by_test_id("step-card")
    expect(step).to_have_count(1)
    expect(step.get_by_role("heading")).to_have_text("1 Send an internal email")
    expect(step.get_by_label("The subscription's owner")).to_be_checked()
    expect(step.get_by_label("Subject")).to_have_value("{{ subscription.name }} is Unpaid")
    page.get_by_label("On: enroll subscriptions when the trigger fires").check()
    shoot(page, "workflow-new-from-template.png", tmp_path)
    page.get_by_role("button", name="Create workflow").click()

    page.wait_for_url(f"{live_server.url}/workflows/wf_*/")
    expect(page.locator(".messages")).to_contain_text("Workflow created. It is on")
    workflow = Workflow.objects.get()
    assert workflow.enabled and workflow.definition["trigger"] == {
        "type": "property_change",
        "property": "status",
        "to": ["past_due"],
    }

    # A dry run for Dora's subscription: found with the picker, tested, nothing changed.
    page.get_by_label("Search subscriptions by name or contact").fill("Dora")
    picked = page.locator("#subscription-results").get_by_role("radio")
    expect(picked).to_have_count(1)
    picked.check()
    page.get_by_role("button", name="Test", exact=True).click()
    dry_run = page.get_by_test_id("dry-run")
    expect(dry_run).to_contain_text(f"Dry run for {sub.name}: nothing was changed and nothing was sent.")
    expect(dry_run).to_contain_text(f"Email to admin@recurra.example: “{sub.name} is Unpaid”")
    assert EmailMessage.objects.filter(kind="workflow_notification").count() == 0
    assert Enrollment.objects.count() == 0
    shoot(page, "workflow-dry-run.png", tmp_path)

    # 5 Feb: the renewal is declined; the subscription becomes Unpaid; the workflow emails the owner.
    clock_advance(to=datetime(2027, 2, 6, tzinfo=UTC))
    sub.refresh_from_db()
    assert sub.status == "past_due"
    (notice,) = EmailMessage.objects.filter(kind="workflow_notification")
    assert (notice.to, notice.subject) == ("admin@recurra.example", f"{sub.name} is Unpaid")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Emails").click()
    page.wait_for_url(f"{live_server.url}/emails/")
    page.get_by_label("Kind").select_option("workflow_notification")
    page.wait_for_url(f"{live_server.url}/emails/?*kind=workflow_notification*")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("admin@recurra.example")
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"{live_server.url}/emails/{notice.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{sub.name} is Unpaid")
    expect(page.get_by_test_id("text-body")).to_contain_text(f"/subscriptions/{sub.pk}/")

    # The subscription's page: its Workflow history card.
    page.goto(f"{live_server.url}/subscriptions/{sub.pk}/")
    card = page.get_by_test_id("workflow-history")
    expect(card.get_by_role("link", name=TEMPLATE)).to_be_visible()
    expect(card).to_contain_text("version 1")
    expect(card).to_contain_text("Status becomes Unpaid · Active → Unpaid")
    expect(card).to_contain_text(f"Email to admin@recurra.example: “{sub.name} is Unpaid”")
    expect(card.get_by_test_id("step")).to_have_count(1)
    card.scroll_into_view_if_needed()
    shoot(page, "workflow-history-card.png", tmp_path, full_page=False)


def test_a_workflow_built_from_blank_with_the_editors_controls(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    admin = User.objects.get(username="admin")
    page.goto(f"{live_server.url}/workflows/new/?template=blank")
    page.get_by_label("Name").fill("Round robin by hand")

    page.get_by_label("Start when").select_option("event")  # htmx redraws the trigger's fields
    created = page.get_by_label("When a subscription is created")
    expect(created).to_be_visible()
    created.check()
    expect(page.get_by_label("Name")).to_have_value("Round robin by hand")  # kept through the redraw

    page.get_by_test_id("add-step").click()
    page.get_by_role("button", name="Assign an owner (round robin)").click()
    card = page.get_by_test_id("step-card")
    expect(card).to_have_count(1)
    card.get_by_label("Admin (admin@recurra.example)").check()
    card.locator("..").get_by_test_id("add-step").click()
    page.get_by_role("button", name="Wait", exact=True).click()
    expect(page.get_by_test_id("step-card")).to_have_count(2)
    expect(page.get_by_test_id("step-card").nth(1).get_by_role("heading")).to_have_text("2 Wait")
    page.get_by_test_id("step-card").nth(1).get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("step-card")).to_have_count(1)
    expect(card.get_by_label("Admin (admin@recurra.example)")).to_be_checked()  # kept
    assert Workflow.objects.count() == 0  # nothing saved by the editor's buttons

    page.get_by_role("button", name="Create workflow").click()
    page.wait_for_url(f"{live_server.url}/workflows/wf_*/")
    workflow = Workflow.objects.get()
    assert workflow.name == "Round robin by hand" and not workflow.enabled
    assert workflow.definition["trigger"] == {"type": "event", "event_types": ["subscription.created"]}
    assert workflow.definition["actions"] == [{"type": "assign_owner", "rotate": [admin.pk]}]
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".messages")).to_contain_text("Workflow on")
    workflow.refresh_from_db()
    assert workflow.enabled
    shoot(page, "workflow-editor.png", tmp_path)
