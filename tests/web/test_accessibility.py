"""axe-core on the seller's and the buyer's pages in Debian's Chromium: no serious or critical violation.

axe-core is vendored in ``tests/web/vendor/axe-core/`` (see its README) and injected into each page by
Playwright; the browser contexts bypass the pages' Content-Security-Policy for that, and only for that.

    Jan 5 2027   Carla's "Team plan" ($31.00 a month, her Visa) billed and paid: Active, Paid, Succeeded
    Jan 15       (the test clock) Ada's "Pro plan" renewal declined: past due, an update link emailed;
                 Sofie's "Support" invoice (send_invoice, net 30) open with a pay link
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.automation.workflows.services import workflow_create
from recurra.catalog.line_items import LineItemInput
from recurra.commerce.links import checkout_url
from recurra.commerce.payment_links import payment_link_create
from recurra.core import clock
from recurra.crm.services import contact_create
from recurra.insights.lists.services import list_create
from recurra.invoicing.links import pay_token
from recurra.invoicing.models import Invoice
from recurra.notifications.unsubscribe import unsubscribe_token
from recurra.subscriptions.services import subscription_create
from recurra.worker.steps import run_due_work
from tests.conftest import SYSTEM
from tests.services.test_update_links import new_token, past_due_subscription
from tests.web import chromium
from tests.web.conftest import PASSWORD, billed_team_plan, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Every kind of card of the workflow editor: the trigger, filters, a delay, an email, a branch holding
# a property and an owner's rotation.
WORKFLOW = {
    "trigger": {"type": "property_change", "property": "status", "to": ["past_due"]},
    "filters": {"groups": [{"conditions": [{"property": "mrr", "operator": "greater_than", "value": 1000}]}]},
    "actions": [
        {"type": "delay", "days": 1},
        {"type": "internal_email", "to": ["owner"], "subject": "{{ subscription.name }}", "body": "Open it"},
        {
            "type": "branch",
            "if": {"status": ["past_due"]},
            "then": [{"type": "set_property", "property": "name", "value": "Late"}],
            "else": [{"type": "set_property", "property": "owner_id", "value": None}],
        },
    ],
}
# A list with each kind of condition: the contact's own property, and their subscriptions' (any matching).
LIST = {
    "groups": [
        {
            "conditions": [
                {"property": "email", "operator": "contains", "value": "@"},
                {
                    "subscriptions": {
                        "match": "any",
                        "filters": {
                            "groups": [
                                {
                                    "conditions": [
                                        {"property": "status", "operator": "is", "value": ["active"]}
                                    ]
                                }
                            ]
                        },
                    }
                },
            ]
        }
    ]
}
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}

# axe.run() on the whole document; back come the serious and critical violations, and any content outside
# a landmark ("region", moderate in axe, named by the issue), with their id, help and first nodes' targets;
# and how many rules ran, so that a page axe never looked at cannot pass.
RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  const ran = results.violations.length + results.passes.length + results.incomplete.length
    + results.inapplicable.length;
  const bad = results.violations.filter(
    v => v.impact === 'serious' || v.impact === 'critical' || v.id === 'region');
  return {ran, violations: bad.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }))};
}"""


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations (and content outside landmarks) on ``page`` as it
    stands, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(RUN_AXE)
    assert result["ran"] > 50, result  # axe ran its rule set
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {', '.join(v['targets'])}" for v in result["violations"]
    ]


def assert_clean(found: dict[str, list[str]]) -> None:
    bad = [f"{name}: {line}" for name, lines in found.items() for line in lines]
    assert bad == [], "\n".join(bad)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context that lets the injected axe-core run under the pages' CSP."""
    context = browser.new_context(viewport=chromium.VIEWPORT, bypass_csp=True, locale="en-US")
    context.set_default_timeout(5000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def shop(frozen_clock: Any) -> SimpleNamespace:
    """Carla's paid Team plan, Ada's past-due Pro plan, Sofie's open invoice and a payment link."""
    carla, team = billed_team_plan(last_name="Berg")
    late = past_due_subscription()
    sofie = contact_create(actor=SYSTEM, email="sofie@nordlys.example", first_name="Sofie", last_name="Dahl")
    support = subscription_create(
        contact=sofie,
        line_items=[
            LineItemInput(name="Support", unit_amount=9800, currency="USD", billing_frequency="monthly")
        ],
        collection_method="send_invoice",
        payment_terms="net_30",
        actor=SYSTEM,
        at=clock.now(),
    )
    run_due_work(at=clock.now())
    link = payment_link_create(
        name="Pro plan with onboarding",
        line_items=[
            LineItemInput(name="Pro plan", unit_amount=4900, currency="USD", billing_frequency="monthly"),
            LineItemInput(name="Onboarding", unit_amount=15000, currency="USD", billing_frequency="one_time"),
        ],
        collect_billing_address=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    return SimpleNamespace(
        carla=carla,
        team=team,
        paid=Invoice.objects.get(subscription=team),
        open=Invoice.objects.get(subscription=support, status="open"),
        update_token=new_token(late, at=clock.now()),  # a sent email keeps its link redacted
        checkout=checkout_url(link),
    )


def local(url: str, live_server: Any) -> str:
    return live_server.url + "/" + url.split("/", 3)[3]


def test_the_sellers_pages_have_no_serious_violations(context: Any, live_server: Any, shop: Any) -> None:
    page = context.new_page()
    found: dict[str, list[str]] = {}

    page.goto(f"{live_server.url}/login/")
    expect(page.locator("h1")).to_have_text("Sign in")
    found["login"] = serious_violations(page)

    make_user("super_admin", "admin")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/contacts/")

    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Team plan").click()
    expect(page.get_by_test_id("panel").locator("h2")).to_have_text("Team plan")
    found["index with the panel open"] = serious_violations(page)

    page.goto(f"{live_server.url}/subscriptions/{shop.team.pk}/")
    expect(page.locator("h1")).to_have_text("Team plan")
    found["subscription"] = serious_violations(page)

    page.goto(f"{live_server.url}/subscriptions/new/")
    expect(page.locator("h1")).to_have_text("Create subscription")
    found["create form"] = serious_violations(page)

    page.goto(f"{live_server.url}/contacts/{shop.carla.pk}/")
    expect(page.locator("h1")).to_have_text("Carla Berg")
    found["contact"] = serious_violations(page)

    page.goto(f"{live_server.url}/invoices/{shop.paid.pk}/")
    expect(page.locator("h1")).to_contain_text(shop.paid.number)
    found["invoice (seller)"] = serious_violations(page)

    workflow = workflow_create(name="Unpaid", definition=WORKFLOW, enabled=True, actor=SYSTEM, at=clock.now())
    page.goto(f"{live_server.url}/workflows/")
    expect(page.locator("h1")).to_have_text("Workflows")
    found["workflows"] = serious_violations(page)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/")
    expect(page.locator("h1")).to_have_text("Unpaid")
    found["workflow editor"] = serious_violations(page)
    page.goto(f"{live_server.url}/workflows/new/")
    found["create workflow"] = serious_violations(page)

    known = list_create(
        name="Known end date", object="contacts", kind="active", filters=LIST, actor=SYSTEM, at=clock.now()
    )
    list_create(name="Renewals", object="contacts", kind="static", actor=SYSTEM, at=clock.now())
    page.goto(f"{live_server.url}/lists/")
    expect(page.locator("h1")).to_have_text("Lists")
    found["lists"] = serious_violations(page)
    page.goto(f"{live_server.url}/lists/{known.pk}/")
    expect(page.locator("h1")).to_have_text("Known end date")
    found["list"] = serious_violations(page)
    page.goto(f"{live_server.url}/lists/{known.pk}/edit/")
    expect(page.get_by_test_id("subscriptions-condition")).to_have_count(1)
    found["list editor"] = serious_violations(page)
    page.goto(f"{live_server.url}/contacts/")
    expect(page.get_by_test_id("bulk-list")).to_be_visible()
    found["contacts with Add to list"] = serious_violations(page)

    assert_clean(found)


def test_the_buyers_pages_have_no_serious_violations(context: Any, live_server: Any, shop: Any) -> None:
    page = context.new_page()
    found: dict[str, list[str]] = {}

    page.set_viewport_size(PHONE)
    page.goto(local(shop.checkout, live_server))
    expect(page.locator("h1")).to_have_text("Pro plan with onboarding")
    found["checkout at 375 px"] = serious_violations(page)

    page.set_viewport_size(chromium.VIEWPORT)
    page.goto(local(shop.checkout, live_server))
    expect(page.locator("h1")).to_have_text("Pro plan with onboarding")
    found["checkout at 1280 px"] = serious_violations(page)

    for width, viewport in (("1280", chromium.VIEWPORT), ("375", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/update-payment-method/{shop.update_token}/")
        expect(page.locator("h1")).to_have_text("Update your payment method")
        found[f"update payment method at {width} px"] = serious_violations(page)

        page.goto(f"{live_server.url}/pay/invoices/{pay_token(shop.open)}/")
        expect(page.locator("h1")).to_have_text(f"Invoice {shop.open.number}")
        found[f"invoice (buyer) at {width} px"] = serious_violations(page)

        page.goto(f"{live_server.url}/unsubscribe/{unsubscribe_token(shop.carla.pk)}/")
        expect(page.locator("h1")).to_have_text("Unsubscribe")
        found[f"unsubscribe at {width} px"] = serious_violations(page)

    assert_clean(found)


def test_the_check_reports_what_axe_finds(context: Any) -> None:
    """The harness itself: a page with grey-on-white text and an unlabelled field fails, by rule."""
    page = context.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Bad</title>'
        "<style>p { color: #aaa; background: #fff; }</style></head>"
        '<body><main><h1>Bad</h1><p>Faint words</p><input type="text"></main></body></html>'
    )
    bad = serious_violations(page)
    assert [line.split(":")[0] for line in bad] == ["serious color-contrast", "critical label"]
    assert bad[0].endswith("at p")
