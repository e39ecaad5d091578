"""The data migrations that take buyer tokens out of rows kept before ``core.redaction``: emails that went
(or never will), and stored idempotent answers; a queued email keeps its token to be sent."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps

from recurra.api.models import IdempotencyRecord
from recurra.notifications.models import EmailMessage

URL = "https://billing.example/update-payment-method/lTxa2388QtaLTAzEqN6BH1AQhHwGFqahng-VBRUrBJU/"
KEPT = "https://billing.example/update-payment-method/REDACTED/"


def email(status: str, frozen_clock: Any) -> EmailMessage:
    return EmailMessage.objects.create(
        to="ada@example.com",
        kind="payment_method_update",
        status=status,
        run_at=frozen_clock,
        data={"update_url": URL, "subscription_name": "Pro plan"},
        text_body=f"Update your payment method: {URL}\n" if status != "queued" else "",
        html_body=f'<a href="{URL}">Update</a>' if status != "queued" else "",
    )


def test_kept_emails_and_answers_lose_their_tokens(frozen_clock: Any) -> None:
    sent, logged, failed, queued = (email(s, frozen_clock) for s in ("sent", "logged", "failed", "queued"))
    answer = IdempotencyRecord.objects.create(
        scope="key_1",
        key="k",
        fingerprint="f",
        status="complete",
        response_body=f'{{"url": "{URL}"}}'.encode(),
    )
    other = IdempotencyRecord.objects.create(
        scope="key_1", key="k2", fingerprint="f", response_body=b'{"id": 1}'
    )

    import_module("recurra.notifications.migrations.0002_redact_buyer_tokens").forwards(apps, None)
    import_module("recurra.api.migrations.0002_redact_buyer_tokens").forwards(apps, None)

    for row in (sent, logged, failed):
        row.refresh_from_db()
        assert row.data == {"update_url": KEPT, "subscription_name": "Pro plan"}
        assert (row.text_body, row.html_body) == (
            f"Update your payment method: {KEPT}\n",
            f'<a href="{KEPT}">Update</a>',
        )
    queued.refresh_from_db()
    assert queued.data["update_url"] == URL  # still to be sent
    answer.refresh_from_db()
    other.refresh_from_db()
    assert bytes(answer.response_body) == f'{{"url": "{KEPT}"}}'.encode()
    assert bytes(other.response_body) == b'{"id": 1}'
