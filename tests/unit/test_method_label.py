"""notices.method_label remembers labels: the same text as str(method), in each language."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import translation

from recurra.payments.models import PaymentMethod
from recurra.subscriptions.notices import method_label


def test_a_remembered_label_is_the_methods_own_text_in_each_language() -> None:
    at = datetime(2027, 1, 15, tzinfo=UTC)
    card = PaymentMethod(type="card", brand="visa", last4="4242", created_at=at, updated_at=at)
    bank = PaymentMethod(type="us_bank_account", brand="", last4="6789", created_at=at, updated_at=at)
    for language in ("en", "nb", "en"):
        with translation.override(language):
            assert method_label(card) == str(card) == "Visa •••• 4242"
            assert method_label(bank) == str(bank)
    assert method_label(None) == ""
