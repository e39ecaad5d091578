"""Settings → Developers → Webhooks in Debian's Chromium, with clicks: create an endpoint, send a
test ping that a real receiver (127.0.0.1) verifies with standardwebhooks and svix, see it in the
delivery log with the request and the answer, resend it (it arrives again, with the same id)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recurra.automation.models import WebhookDelivery
from tests.automation.receiver import Receiver
from tests.web.chromium import shoot
from tests.web.test_browser import UNLABELLED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_ping_see_the_log_and_resend(signed_in_page: Any, live_server: Any, tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        page = signed_in_page
        page.goto(f"{live_server.url}/settings/account/")
        page.get_by_role("link", name="Developers · Webhooks").click()
        page.wait_for_url(f"{live_server.url}/settings/webhooks/")
        page.get_by_role("link", name="New endpoint").click()
        assert page.evaluate(UNLABELLED) == []
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Description").fill("Provisioning")
        page.get_by_role("button", name="Create endpoint").click()
        page.wait_for_selector("text=Endpoint created")
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        receiver.secrets.append(secret)
        page.get_by_role("link", name="Done").click()

        page.get_by_role("button", name="Send test event").click()
        page.wait_for_selector("text=Test event sent: the endpoint answered 200.")
        (ping,) = receiver.received
        assert ping.verified_by == [secret] and ping.json["type"] == "ping"
        shoot(page, "webhooks-endpoint.png", tmp_path)

        page.get_by_role("link", name="ping").click()
        page.wait_for_selector("text=Request body")
        assert ping.id in page.locator("pre.code").first.inner_text()
        assert page.locator("pre.response-body").first.inner_text() == '{"received": true}'
        page.get_by_role("button", name="Resend event").click()
        page.wait_for_selector("text=Event resent as a new delivery.")
        assert len(receiver.received) == 2 and receiver.received[1].id == ping.id
        assert receiver.received[1].verified_by == [secret]
        assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["succeeded", "succeeded"]

        page.goto(f"{live_server.url}{page.url.split(live_server.url)[1]}")
        page.get_by_role("link", name=receiver.url).click()
        page.get_by_role("button", name="Reveal secret").click()
        assert page.get_by_label("Signing secret").input_value() == secret
        shoot(page, "webhooks-secret.png", tmp_path)
    finally:
        receiver.close()
