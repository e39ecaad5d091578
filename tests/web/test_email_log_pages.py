"""The message log pages (/emails/): the list with its filters and pages, one email as sent with its buyer
links redacted, its HTML in a sandboxed frame; for every signed-in role, linked from the navigation and from
a subscription's and an invoice's Emails card.

    Ada's renewal is declined (payment_failed, INV-1), an update link is sent (payment_method_update);
    both are sent (the tests' mail outbox). A second update link is queued, not sent yet.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from recurra.core.redaction import MARK
from recurra.invoicing.models import Invoice
from recurra.jobs import runner
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.update_links import update_link_create
from tests.conftest import SYSTEM, T0
from tests.services.test_update_links import past_due_subscription
from tests.web.html import table_rows, text

HEAD = ["Created", "Kind", "To", "Subject", "Status", "Sent"]


@pytest.fixture
def log(frozen_clock: Any) -> SimpleNamespace:
    sub = past_due_subscription("ada@example.com")
    with transaction.atomic():
        update_link_create(subscription=sub, actor=SYSTEM, at=T0 + timedelta(minutes=1), email=True)
    runner.run_due(at=T0 + timedelta(minutes=1))
    with transaction.atomic():
        update_link_create(subscription=sub, actor=SYSTEM, at=T0 + timedelta(minutes=2), email=True)
    failed, sent, queued = EmailMessage.objects.order_by("id")
    assert (failed.kind, sent.kind, queued.kind) == (
        "payment_failed",
        "payment_method_update",
        "payment_method_update",
    )
    assert (failed.status, sent.status, queued.status) == ("sent", "sent", "queued")
    return SimpleNamespace(
        sub=sub, invoice=Invoice.objects.get(subscription=sub), failed=failed, sent=sent, queued=queued
    )


def rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    return table_rows(response.content)


def test_every_role_lists_the_log_newest_first(log: SimpleNamespace, client_as: Any) -> None:
    for role in ("viewer", "editor", "super_admin"):
        page = client_as(role).get("/emails/")
        assert rows(page) == [
            ["15 Jan 2027, 09:32", "Update payment method", "ada@example.com", "—", "Queued", "—"],
            [
                "15 Jan 2027, 09:31",
                "Update payment method",
                "ada@example.com",
                "Update your payment method for Pro plan",
                "Sent",
                "15 Jan 2027, 09:31",
            ],
            [
                "15 Jan 2027, 09:30",
                "Payment failed",
                "ada@example.com",
                "Your payment for Pro plan failed",
                "Sent",
                "15 Jan 2027, 09:31",
            ],
        ], role
    assert '<a href="/emails/" aria-current="page">Emails</a>' in page.content.decode()
    assert Client().get("/emails/").status_code == 302  # signed out: to the login page


def test_the_filters_kind_status_recipient_and_record(log: SimpleNamespace, viewer: Client) -> None:
    def kinds(**query: str) -> list[str]:
        return [row[1] for row in rows(viewer.get("/emails/", query))]

    assert kinds(kind="payment_failed") == ["Payment failed"]
    assert kinds(status="queued") == ["Update payment method"]
    assert kinds(kind="payment_method_update", status="sent") == ["Update payment method"]
    assert kinds(q="ADA@example") == ["Update payment method"] * 2 + ["Payment failed"]
    assert kinds(q="kari@") == []
    assert kinds(record=log.invoice.pk) == ["Payment failed"]
    assert kinds(record=log.sub.pk) == ["Update payment method"] * 2 + ["Payment failed"]
    assert kinds(record=log.sub.contact_id) == ["Update payment method"] * 2 + ["Payment failed"]
    assert kinds(record=log.failed.payment_id) == ["Payment failed"]
    assert kinds(record="prod_01abc") == []  # not a record emails are about
    assert kinds(kind="nonsense", status="nonsense") == kinds()  # an unknown choice is ignored
    page = viewer.get("/emails/", {"record": log.invoice.pk})
    assert f"About {log.invoice.pk} · All emails" in text(page.content)


def test_the_log_pages_through_every_email_once(log: SimpleNamespace, viewer: Client) -> None:
    EmailMessage.objects.bulk_create(
        EmailMessage(
            to=f"buyer{n}@example.com", kind="receipt", status="sent", subject=f"Receipt {n}", run_at=T0
        )
        for n in range(30)
    )
    first = viewer.get("/emails/")
    assert len(rows(first)) == 25
    cursor = first.context["page"].next_cursor
    second = viewer.get("/emails/", {"cursor": cursor})
    assert len(rows(second)) == 8
    seen = [row[2] for row in rows(first) + rows(second)]
    assert sorted(seen) == sorted([*(f"buyer{n}@example.com" for n in range(30)), *["ada@example.com"] * 3])
    assert seen[-3:] == ["ada@example.com"] * 3  # the oldest last


def test_an_email_as_sent_with_its_buyer_link_redacted(log: SimpleNamespace, viewer: Client) -> None:
    page = viewer.get(f"/emails/{log.sent.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = text(page.content)
    assert "Update your payment method for Pro plan" in shown
    assert f"Subscription {log.sub.pk} " in shown and f"Contact {log.sub.contact_id} " in shown
    assert f'href="/subscriptions/{log.sub.pk}/"' in html
    body = page.context["text_body"]
    assert f"/update-payment-method/{MARK}/" in body and body == log.sent.text_body
    assert log.sent.data["update_url"].endswith(f"/update-payment-method/{MARK}/")  # as kept since it went
    assert (
        f'<iframe class="email-html" title="The HTML body as sent" sandbox src="/emails/{log.sent.pk}/html/">'
        in html
    )

    frame = viewer.get(f"/emails/{log.sent.pk}/html/")
    assert frame.status_code == 200 and frame["Content-Type"] == "text/html; charset=utf-8"
    assert (
        frame["Content-Security-Policy"]
        == "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    )
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert (
        frame.content.decode() == log.sent.html_body
        and f"/update-payment-method/{MARK}/" in log.sent.html_body
    )

    waiting = text(viewer.get(f"/emails/{log.queued.pk}/").content)
    assert "Not sent yet: the body is written when the email is sent." in waiting
    assert "update-payment-method" not in viewer.get(f"/emails/{log.queued.pk}/").content.decode()
    assert viewer.get("/emails/em_nope/").status_code == 404
    assert Client().get(f"/emails/{log.sent.pk}/html/").status_code == 302


def test_the_subscription_and_invoice_cards_link_to_the_log(log: SimpleNamespace, viewer: Client) -> None:
    page = viewer.get(f"/subscriptions/{log.sub.pk}/").content.decode()
    assert f'<a href="/emails/{log.sent.pk}/">Update your payment method for Pro plan</a>' in page
    assert f'<a href="/emails/?record={log.sub.pk}">All its emails in the message log</a>' in page
    page = viewer.get(f"/invoices/{log.invoice.pk}/").content.decode()
    assert f'<a href="/emails/{log.failed.pk}/">Your payment for Pro plan failed</a>' in page
    assert f'<a href="/emails/?record={log.invoice.pk}">All its emails in the message log</a>' in page
