"""Signed pay links: one invoice per token, tamper-proof, expiring on Recurra's clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import signing
from django.test import override_settings

from recurra.core import clock
from recurra.core.errors import NotFound
from recurra.crm.models import Contact
from recurra.invoicing.links import SALT, invoice_for_token, pay_token, pay_url
from recurra.invoicing.models import Invoice
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock")


def invoice(**values) -> Invoice:
    contact = Contact.objects.get_or_create(email="ada@example.com")[0]
    base = {
        "contact": contact,
        "currency": "USD",
        "subtotal": 1000,
        "total": 1000,
        "amount_due": 1000,
        "collection_method": "send_invoice",
        "payment_terms": "net_30",
        "issued_on": date(2027, 1, 15),
        "due_on": date(2027, 2, 14),
        "status": "open",
    }
    return Invoice.objects.create(**{**base, **values})


def token_of(url: str) -> str:
    return url.removeprefix("https://billing.example.com/pay/invoices/").removesuffix("/")


@override_settings(RECURRA_BASE_URL="https://billing.example.com")
def test_the_url_carries_a_token_that_opens_its_invoice_and_no_other():
    first, second = invoice(), invoice()
    url = pay_url(first)

    assert url.startswith("https://billing.example.com/pay/invoices/") and url.endswith("/")
    token = token_of(url)
    assert "/" not in token
    assert invoice_for_token(token) == first
    assert invoice_for_token(pay_token(second)) == second
    assert token != pay_token(second)


def test_a_tampered_token_is_not_found():
    first, second = invoice(), invoice()
    token = pay_token(first)
    _value, ts, sig = token.split(":")
    forged = f"{second.pk}:{ts}:{sig}"  # another invoice's id under the first one's signature
    for bad in (forged, token[:-1] + ("A" if token[-1] != "A" else "B"), "", "garbage", first.pk):
        with pytest.raises(NotFound, match="invalid or has expired"):
            invoice_for_token(bad)


def test_a_token_signed_for_another_purpose_is_not_found():
    other = signing.TimestampSigner(salt="recurra.something.else").sign(invoice().pk)
    with pytest.raises(NotFound):
        invoice_for_token(other)
    assert SALT == "recurra.invoice.pay"


def test_the_link_lives_120_days_on_recurras_clock():
    token = pay_token(invoice())

    clock.freeze(T0 + timedelta(days=120))
    assert invoice_for_token(token).pk
    clock.freeze(T0 + timedelta(days=120, seconds=1))
    with pytest.raises(NotFound):
        invoice_for_token(token)
    assert invoice_for_token(token, max_age_days=121).pk


def test_a_deleted_invoice_is_not_found():
    doomed = invoice()
    token = pay_token(doomed)
    doomed.delete()
    with pytest.raises(NotFound):
        invoice_for_token(token)
