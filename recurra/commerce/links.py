"""The public URLs of payment links and quotes: unguessable, scoped to one object.

The token is the object's id signed with ``SECRET_KEY`` (one salt per kind),
so a URL opens that link or quote and no other, and ids cannot be walked. A
payment link's URL lasts as long as the link sells (deactivating or deleting
it ends it); a quote's ends with the quote's expiry date (checked by the
quote page and ``commerce.quotes``). A tampered or unknown token finds
nothing (None), never a hint which.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from recurra.commerce.models import PaymentLink, Quote

_LINK_SALT = "recurra.commerce.payment_link"
_QUOTE_SALT = "recurra.commerce.quote"


def _token(pk: str, salt: str) -> str:
    return signing.Signer(salt=salt).sign(pk)


def _pk(token: str, salt: str) -> str | None:
    try:
        return signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature:
        return None


def checkout_url(link: PaymentLink) -> str:
    return settings.RECURRA_BASE_URL + reverse("web:checkout", args=[_token(link.pk, _LINK_SALT)])


def link_for_token(token: str) -> PaymentLink | None:
    pk = _pk(token, _LINK_SALT)
    return PaymentLink.objects.filter(pk=pk).first() if pk else None


def quote_url(quote: Quote) -> str:
    return settings.RECURRA_BASE_URL + reverse("web:public_quote", args=[_token(quote.pk, _QUOTE_SALT)])


def quote_for_token(token: str) -> Quote | None:
    pk = _pk(token, _QUOTE_SALT)
    return Quote.objects.filter(pk=pk).first() if pk else None
