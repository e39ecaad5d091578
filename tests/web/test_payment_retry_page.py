"""The payment page's Retry action for a declined payment: editors only, a new attempt, its outcome."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.payments.models import Payment
from tests.services.test_refunds import paid_payment
from tests.web.html import messages as shown_messages


@pytest.fixture
def declined(frozen_clock: Any) -> Payment:
    return paid_payment(token="tok_decline")


def test_an_editor_retries_and_lands_on_the_new_attempt(editor: Client, declined: Payment) -> None:
    assert declined.status == "failed"
    page = editor.get(f"/payments/{declined.pk}/").content.decode()
    assert f'action="/payments/{declined.pk}/retry/"' in page

    done = editor.post(f"/payments/{declined.pk}/retry/", follow=True)

    attempt = Payment.objects.exclude(pk=declined.pk).get()
    assert (attempt.origin, attempt.invoice_id) == ("manual", declined.invoice_id)
    assert done.redirect_chain == [(f"/payments/{attempt.pk}/", 302)]
    assert [unescape(m) for m in shown_messages(done)] == [
        "Retried, and declined again: Your card was declined."
    ]


def test_a_viewer_sees_no_retry_and_cannot_post_one(viewer: Client, declined: Payment) -> None:
    assert "/retry/" not in viewer.get(f"/payments/{declined.pk}/").content.decode()
    assert viewer.post(f"/payments/{declined.pk}/retry/").status_code == 403
    assert Payment.objects.count() == 1
