"""Settings → Payments: which processor, which mode, the webhook to register, the webhooks received.

Super admins only; it shows no key (the publishable key's last four characters at most).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from recurra.commerce.stripe_events import EVENT_TYPES
from recurra.core import clock
from recurra.payments.models import StripeEvent
from tests.conftest import T0
from tests.localstripe import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.stripe_webhooks import deliver, fixture, use_stripe
from tests.web.chromium import shoot
from tests.web.test_browser import UNLABELLED

URL = "/settings/payments/"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def on_stripe(settings: Any) -> Any:
    use_stripe(settings)
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_51HrecurraPublishable9f3c"
    settings.RECURRA_BASE_URL = "https://billing.example.com"
    return settings


def test_only_super_admins_see_it(client_as: Any) -> None:
    for role in ("viewer", "editor"):
        assert client_as(role).get(URL).status_code == 403, role
    assert Client().get(URL)["Location"] == f"/login/?next={URL}"


def test_on_the_sandbox_it_says_how_to_connect_stripe(admin: Client) -> None:
    html = admin.get(URL).content.decode()
    page = text(html)
    assert "Connected Sandbox" in page
    assert "Mode Play money" in page
    assert "set RECURRA_GATEWAY=stripe with STRIPE_SECRET_KEY" in page
    assert "No webhook received yet." in page
    assert '<a href="/settings/payments/" aria-current="page">Payments</a>' in html


def test_on_stripe_test_mode_with_the_webhook_to_register_and_no_key(admin: Client, on_stripe: Any) -> None:
    html = admin.get(URL).content.decode()
    page = text(html)
    assert "Connected Stripe Mode Test Stripe's test mode: only test cards work." in page
    assert "Publishable key pk_test_…9f3c Webhook secret Set" in page
    assert 'value="https://billing.example.com/webhooks/stripe"' in html
    listed = re.findall(r"<li><code>([a-z_.]+)</code></li>", html)
    assert listed == list(EVENT_TYPES)
    assert "payment_intent.succeeded" in listed and "charge.dispute.closed" in listed
    for secret in (SECRET_KEY, WEBHOOK_SECRET, "pk_test_51HrecurraPublishable9f3c", PUBLISHABLE_KEY):
        assert secret not in html


def test_live_keys_say_live(admin: Client, on_stripe: Any) -> None:
    on_stripe.STRIPE_SECRET_KEY = "rk_live_restrictedkey1234"
    on_stripe.STRIPE_PUBLISHABLE_KEY = "pk_live_51Hlive00000000abcd"
    page = text(admin.get(URL).content.decode())
    assert "Mode Live Real cards are charged." in page
    assert "pk_live_…abcd" in page and "restrictedkey" not in page


def test_the_last_webhooks_received_and_a_failure_says_why(admin: Client, on_stripe: Any) -> None:
    deliver(fixture("payment_intent.succeeded"))
    clock.freeze(T0 + timedelta(minutes=1))
    deliver(fixture("charge.refunded"))
    StripeEvent.objects.filter(type="charge.refunded").update(
        outcome="failed", detail="Stripe did not answer"
    )
    html = admin.get(URL).content.decode()
    page = text(html)
    assert "Last received: charge.refunded on 15 Jan 2027, 09:31. Failed Stripe did not answer" in page
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td><code>(.*?)</code>", html, re.S)
    assert [kind for _, kind in rows] == ["charge.refunded", "payment_intent.succeeded"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_payments_page_in_chromium(
    signed_in_page: Any, live_server: Any, on_stripe: Any, tmp_path: Path
) -> None:
    on_stripe.RECURRA_BASE_URL = live_server.url
    deliver(fixture("payment_intent.succeeded"))
    page = signed_in_page
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Payments").click()
    page.wait_for_url(f"{live_server.url}{URL}")
    assert page.evaluate(UNLABELLED) == []
    assert page.get_by_label("Endpoint URL").input_value() == f"{live_server.url}/webhooks/stripe"
    page.get_by_role("button", name="Copy").click()
    assert page.get_by_role("button", name="Copied").is_visible()
    shoot(page, "settings-payments.png", tmp_path)
