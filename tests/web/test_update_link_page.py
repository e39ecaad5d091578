"""The buyer's payment-method update page behind a link, and the app's "Send payment-method update link".

No sign-in; CSRF enforced on the form. A bad, expired or revoked link gets a page naming the
business, changes nothing, and the token (in the path) never reaches a log.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.services import account_settings_update
from recurra.core import clock
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.update_links import update_link_revoke
from tests.conftest import SYSTEM, T0
from tests.services.test_update_links import emailed_token, past_due_subscription
from tests.web.html import text

INVALID = "This link has expired or is not valid Ask Fjordline Software AS for a new link"


@pytest.fixture
def sub(frozen_clock: Any) -> Subscription:
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline Software AS")
    return past_due_subscription(allowed=("card",))


def url(token: str) -> str:
    return f"/update-payment-method/{token}/"


def csrf_of(response: Any) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert match, response.content
    return match.group(1).decode()


def submit(token: str, choice: str) -> Any:
    client = Client(enforce_csrf_checks=True)
    page = client.get(url(token))
    return client.post(url(token), {"csrfmiddlewaretoken": csrf_of(page), "payment_method_token": choice})


def test_the_page_shows_what_is_owed_and_the_allowed_methods(sub: Subscription) -> None:
    response = Client().get(url(emailed_token(sub)))
    assert response.status_code == 200
    page = text(response.content)
    invoice = Invoice.objects.get(subscription=sub)
    assert "Fjordline Software AS Update your payment method" in page
    assert "Subscription Pro plan Payment method Visa •••• 9995 Amount owed $40.00" in page
    assert f"{invoice.number} 15 Jan 2027 – 15 Feb 2027 $40.00" in page
    assert "Save and pay $40.00" in page
    assert "tok_visa" in page and "tok_ach" not in page  # only the card tokens: cards only here
    assert response["Referrer-Policy"] == "same-origin" and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'class="sidebar"' not in html and "Sign out" not in html


def test_saving_a_card_pays_and_says_so(sub: Subscription) -> None:
    response = submit(emailed_token(sub), "tok_visa")
    assert response.status_code == 200
    page = text(response.content)
    invoice = Invoice.objects.get(subscription=sub)
    assert f"Paid $40.00 for invoice {invoice.number}. Thank you." in page
    assert (invoice.status, invoice.amount_paid) == ("paid", 4000)
    sub.refresh_from_db()
    assert sub.status == "active"
    assert PaymentMethod.objects.get(pk=sub.payment_method_id).last4 == "4242"
    assert "Amount owed $0.00" in page
    assert "<form" not in response.content.decode().split('<main id="main"')[1]  # nothing left to do


def test_a_decline_shows_its_message_and_offers_another_try(sub: Subscription) -> None:
    token = emailed_token(sub)
    page = text(submit(token, "tok_decline").content)
    assert "was declined: Your card was declined. Please try another payment method." in page
    assert "Try another payment method" in page
    assert Invoice.objects.get(subscription=sub).status == "open"
    assert "Thank you" in text(submit(token, "tok_visa").content)


def test_a_method_type_not_allowed_is_refused(sub: Subscription) -> None:
    methods = PaymentMethod.objects.count()
    response = submit(emailed_token(sub), "tok_ach")
    assert response.status_code == 422
    assert "This payment method is not accepted here. Please choose another." in text(response.content)
    assert PaymentMethod.objects.count() == methods
    assert not Payment.objects.filter(origin="update_link").exists()


def _unchanged(sub: Subscription) -> tuple[Any, ...]:
    row = Subscription.objects.get(pk=sub.pk)
    return (row.payment_method_id, row.status, PaymentMethod.objects.count(), Payment.objects.count())


@pytest.mark.parametrize("how", ["tampered", "unknown", "expired", "revoked"])
def test_a_bad_link_gets_a_clear_page_and_changes_nothing(
    sub: Subscription, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = emailed_token(sub)
    if how == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif how == "unknown":
        token = "x" * 43
    elif how == "expired":
        clock.freeze(T0 + timedelta(days=7, seconds=1))
    else:
        update_link_revoke(subscription=sub, actor=SYSTEM, at=T0)
    before = _unchanged(sub)
    with caplog.at_level(logging.DEBUG):
        client = Client()
        page = client.get(url(token))
        posted = client.post(url(token), {"payment_method_token": "tok_visa"})  # no CSRF token either
        csrf_client = Client(enforce_csrf_checks=True)
        refused = csrf_client.post(url(token), {"payment_method_token": "tok_visa"})
    assert page.status_code == posted.status_code == 200
    assert INVALID in text(page.content)
    assert refused.status_code == 403
    assert _unchanged(sub) == before
    assert token not in caplog.text and "update-payment-method" not in caplog.text
    with caplog.at_level(logging.DEBUG):
        Client().get("/no-such-page/")
        Client().get(f"{url(token)}x/")  # no page: Django logs the 404, without the token (core.redaction)
    assert "Not Found: /no-such-page/" in caplog.text  # the control: Django's own 404 is logged here
    assert "Not Found: /update-payment-method/REDACTED/x/" in caplog.text and token not in caplog.text


def test_a_post_without_csrf_is_refused_quietly(sub: Subscription, caplog: pytest.LogCaptureFixture) -> None:
    token = emailed_token(sub)
    before = _unchanged(sub)
    with caplog.at_level(logging.DEBUG):
        response = Client(enforce_csrf_checks=True).post(url(token), {"payment_method_token": "tok_visa"})
        other = Client().put(url(token))
    assert response.status_code == 403 and "Nothing was saved or charged" in text(response.content)
    assert other.status_code == 405
    assert _unchanged(sub) == before
    assert token not in caplog.text
    assert "CSRF check failed" in caplog.text


def test_the_app_sends_a_link_for_editors_only(sub: Subscription, client_as: Any) -> None:
    editor, viewer = client_as("editor"), client_as("viewer")
    page = editor.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert "Send payment-method update link" in page
    assert "Send payment-method update link" not in viewer.get(f"/subscriptions/{sub.pk}/").content.decode()
    send = f"/subscriptions/{sub.pk}/send-update-link/"
    assert viewer.post(send).status_code == 403
    assert not EmailMessage.objects.filter(kind="payment_method_update").exists()
    response = editor.post(send, follow=True)
    assert "Payment-method update link sent to ada@example.com; it works for 7 days." in text(
        response.content
    )
    email = EmailMessage.objects.get(kind="payment_method_update")
    token = email.data["update_url"].rstrip("/").rsplit("/", 1)[1]
    assert Client().get(url(token)).status_code == 200
    assert editor.get(send).status_code == 405
