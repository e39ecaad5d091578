"""The payment page's Refund action: editors only, POST with CSRF, confirmed before anything is sent,
flash messages.

The payment (40.00 USD) is made by the real billing run at T0 (see tests/services/test_refunds.py).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.roles import Role
from recurra.core.models import Event
from recurra.payments.gateways.models import SandboxRefund
from recurra.payments.models import Payment, Refund
from tests.services.test_refunds import paid_payment
from tests.web.conftest import make_user
from tests.web.html import messages as shown_messages
from tests.web.html import table_rows, text, value_of


def carried_values(response: Any) -> dict[str, str]:
    """What the confirmation's "Refund …" button posts (its hidden inputs, without the CSRF token)."""
    html = response.content.decode()
    form = html[html.index('aria-label="Confirm the refund">') :]
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[: form.index("</form>")])
    return {name: value for name, value in pairs if name != "csrfmiddlewaretoken"}


@pytest.fixture
def payment(frozen_clock: Any) -> Payment:
    return paid_payment()


def messages(response: Any) -> list[str]:
    return [unescape(m) for m in shown_messages(response)]


def url(payment: Payment, action: str = "") -> str:
    return f"/payments/{payment.pk}/{action + '/' if action else ''}"


def state(payment: Payment) -> tuple[str, int]:
    row = Payment.objects.get(pk=payment.pk)
    return row.status, row.amount_refunded


def nothing_refunded(payment: Payment) -> None:
    assert state(payment) == ("succeeded", 0)
    assert not Refund.objects.exists() and not SandboxRefund.objects.exists()
    assert not Event.objects.filter(type__startswith="refund.").exists()


def test_the_amount_starts_empty_with_what_is_left_as_its_hint(editor: Client, payment: Payment) -> None:
    page = editor.get(url(payment))
    html = page.content.decode()
    assert f'action="/payments/{payment.pk}/refund/"' in html
    assert value_of(page, "amount") == ""
    assert "Amount to refund: At most $40.00." in text(page.content)
    assert "Refund… Refund the full $40.00…" in text(page.content)


def test_the_first_post_only_asks_and_the_confirmed_one_refunds(editor: Client, payment: Payment) -> None:
    asked = editor.post(url(payment, "refund"), {"amount": "15.50"})

    assert asked.status_code == 200
    assert "<h1>Refund $15.50 to Visa •••• 4242?</h1>" in asked.content.decode()
    assert text(asked.content).count("Refund $15.50") == 3  # the title, the heading and the button
    assert carried_values(asked) == {"amount": "15.50", "confirmed": "1"}
    nothing_refunded(payment)

    done = editor.post(url(payment, "refund"), carried_values(asked), follow=True)

    assert done.redirect_chain == [(url(payment), 302)]
    assert messages(done) == ["Refunded $15.50 to Visa •••• 4242."]
    assert state(payment) == ("partially_refunded", 1550)
    assert value_of(done, "amount") == ""
    assert "At most $24.50." in text(done.content)
    [refund] = Refund.objects.all()
    assert table_rows(done.content, "table-refunds") == [
        ["15 Jan 2027, 09:30", "$15.50", "Succeeded", refund.pk]
    ]
    assert (
        Event.objects.filter(
            object_id=payment.pk, type="payment.partially_refunded", actor_type="user"
        ).count()
        == 1
    )


def test_the_full_amount_is_what_is_left_and_is_confirmed_too(editor: Client, payment: Payment) -> None:
    editor.post(url(payment, "refund"), {"amount": "15.50", "confirmed": "1"})

    asked = editor.post(url(payment, "refund"), {"amount": "", "full": "1"})
    assert "<h1>Refund $24.50 to Visa •••• 4242?</h1>" in asked.content.decode()
    assert "Amount $24.50 (all that is left)" in text(asked.content)
    assert state(payment) == ("partially_refunded", 1550)

    done = editor.post(url(payment, "refund"), carried_values(asked), follow=True)
    assert messages(done) == ["Refunded $24.50 to Visa •••• 4242."]
    assert state(payment) == ("refunded", 4000)
    assert f'action="/payments/{payment.pk}/refund/"' not in done.content.decode()  # nothing left


def test_errors_are_shown_and_nothing_changes(editor: Client, payment: Payment) -> None:
    done = editor.post(url(payment, "refund"), {"amount": "40.01"}, follow=True)
    assert messages(done) == ["Amount: Is more than the $40.00 left to refund."]
    done = editor.post(url(payment, "refund"), {"amount": "1.234"}, follow=True)
    assert messages(done) == ["Amount: USD takes at most 2 decimal places."]
    done = editor.post(url(payment, "refund"), {"amount": "ten"}, follow=True)
    assert messages(done) == ["Amount: Enter an amount such as 19.99 (digits and a decimal point only)."]
    done = editor.post(url(payment, "refund"), {"amount": "0"}, follow=True)
    assert messages(done) == ["Amount: Enter an amount greater than zero."]
    done = editor.post(url(payment, "refund"), {"amount": ""}, follow=True)
    assert messages(done) == ["Amount: Enter the amount to refund, or choose the full amount."]
    done = editor.post(url(payment, "refund"), {"amount": "40.01", "confirmed": "1"}, follow=True)
    assert messages(done) == ["Amount: Is more than the $40.00 left to refund."]
    nothing_refunded(payment)


def test_a_failed_payment_offers_no_refund_and_a_post_is_a_conflict(editor: Client, db: None) -> None:
    failed = paid_payment("bo@example.com", token="tok_decline")
    assert "/refund/" not in editor.get(url(failed)).content.decode()
    done = editor.post(url(failed, "refund"), {"amount": "1.00"}, follow=True)
    assert messages(done) == ["Only a succeeded payment can be refunded; this one is failed."]
    assert state(failed) == ("failed", 0)


def test_a_viewer_sees_no_button_and_a_forged_post_is_refused(viewer: Client, payment: Payment) -> None:
    page = viewer.get(url(payment)).content.decode()
    assert "/refund/" not in page and 'id="actions"' not in page
    assert viewer.post(url(payment, "refund"), {"amount": "40.00"}).status_code == 403
    assert state(payment) == ("succeeded", 0)
    assert not Refund.objects.exists() and not SandboxRefund.objects.exists()


def test_refund_needs_post_and_a_csrf_token(payment: Payment) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.EDITOR))
    assert client.get(url(payment, "refund")).status_code == 405
    assert client.post(url(payment, "refund"), {"amount": "1.00"}).status_code == 403  # no token
    assert state(payment) == ("succeeded", 0)
