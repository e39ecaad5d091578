"""The message log in Debian's Chromium: filter by kind, open an email, read its HTML body in the sandboxed
frame (X-Frame-Options SAMEORIGIN and its own CSP let it show; its styles apply) with the buyer's link
redacted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from recurra.core.redaction import MARK
from recurra.jobs import runner
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.update_links import update_link_create
from tests.conftest import SYSTEM, T0
from tests.services.test_update_links import past_due_subscription
from tests.web.chromium import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_seller_finds_an_email_and_reads_it_as_sent(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    sub = past_due_subscription("ada@example.com")
    with transaction.atomic():
        update_link_create(subscription=sub, actor=SYSTEM, at=T0 + timedelta(minutes=1), email=True)
    runner.run_due(at=T0 + timedelta(minutes=1))
    sent = EmailMessage.objects.get(kind="payment_method_update")

    page.get_by_role("link", name="Emails").click()
    page.wait_for_url(f"{live_server.url}/emails/")
    assert page.locator("#results tbody tr").count() == EmailMessage.objects.count()
    page.get_by_label("Kind").select_option("payment_method_update")
    page.wait_for_url(f"{live_server.url}/emails/?*kind=payment_method_update*")
    assert page.locator("#results tbody tr").count() == 1
    shoot(page, "email-log.png", tmp_path)
    page.get_by_role("link", name="15 Jan 2027, 09:31").click()

    page.wait_for_url(f"{live_server.url}/emails/{sent.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Update your payment method for Pro plan"
    assert f"/update-payment-method/{MARK}/" in page.get_by_test_id("text-body").inner_text()
    frame = page.frame_locator("iframe.email-html")
    button = frame.get_by_role("link", name="Update your payment method")
    assert button.get_attribute("href").endswith(f"/update-payment-method/{MARK}/")
    assert (
        button.evaluate("a => getComputedStyle(a).backgroundColor") == "rgb(59, 91, 219)"
    )  # its inline style
    page.locator("iframe.email-html").scroll_into_view_if_needed()
    shoot(page, "email.png", tmp_path, full_page=False)
