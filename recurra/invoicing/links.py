"""Signed pay links: the public page of one invoice, without a login.

The token is the invoice id signed with ``SECRET_KEY`` (salt
``recurra.invoice.pay``) and the time it was made, so it opens that invoice
and no other, and cannot be forged or altered. Its age is measured on
Recurra's clock (simulated time in sandbox mode), like every business date.
A tampered, expired or unknown token is a 404, never a hint which.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing

from recurra.core import clock
from recurra.core.errors import NotFound
from recurra.invoicing.models import Invoice

SALT = "recurra.invoice.pay"
MAX_AGE_DAYS = 120
_SECONDS_PER_DAY = 86_400


class _Signer(signing.TimestampSigner):
    """A TimestampSigner whose timestamps come from Recurra's clock (or the caller's ``at``)."""

    def __init__(self, *, at: datetime | None = None) -> None:
        super().__init__(salt=SALT)
        self.at = at

    def timestamp(self) -> str:
        return signing.b62_encode(int((self.at or clock.now()).timestamp()))


def _signer(at: datetime | None = None) -> _Signer:
    return _Signer(at=at)


def pay_token(invoice: Invoice, *, at: datetime | None = None) -> str:
    return _signer(at).sign(str(invoice.pk))


def pay_url(invoice: Invoice, *, at: datetime | None = None) -> str:
    """The absolute URL of the invoice's public pay page, made at ``at`` (default: now)."""
    return f"{settings.RECURRA_BASE_URL}/pay/invoices/{pay_token(invoice, at=at)}/"


def invoice_for_token(token: str, *, max_age_days: int = MAX_AGE_DAYS) -> Invoice:
    """The invoice a pay token names; NotFound when it is tampered, expired or names none."""
    gone = NotFound("this payment link is invalid or has expired")
    signer = _signer()
    try:
        # Signer.unsign (not TimestampSigner's): the age is checked below, on Recurra's clock.
        value = signing.Signer.unsign(signer, token)
        invoice_id, made = value.rsplit(signer.sep, 1)
        made_at = signing.b62_decode(made)
    except (signing.BadSignature, ValueError):
        raise gone from None
    age = int(clock.now().timestamp()) - made_at
    if age > max_age_days * _SECONDS_PER_DAY:
        raise gone
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        raise gone
    return invoice
