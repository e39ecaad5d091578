"""Quote use cases: create from a deal, publish, accept (and pay), convert.

- A quote is made from a deal (its line items unless others are given) for
  the deal's contact and company, in ``draft``; it expires after
  ``expires_on`` (the account's date; default :data:`DEFAULT_DAYS` days).
- Publishing gives it a public page (``commerce.links.quote_url``). Only a
  published quote that has not expired can be accepted.
- The buyer accepts by typing their name (the signature). When payment is
  enabled the quote is paid there, through the checkout (``commerce.checkout``,
  the same rules as a payment link: something charged today, at least the
  minimum), which creates the subscriptions; a declined payment leaves the
  quote published and unaccepted.
- The seller can instead convert it (manual collection): to subscriptions
  when it has recurring items, else to an invoice
  (``commerce.conversion.items_convert``). A quote is converted or paid once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from recurra.accounts.selectors import account_zone
from recurra.catalog.line_items import LineItemInput, resolve_line_items, stored_input
from recurra.catalog.schedule import local_date
from recurra.catalog.terms import PaymentTerms, is_recurring
from recurra.commerce.checkout import Buyer, CheckoutResult, checkout
from recurra.commerce.conversion import Conversion, items_convert
from recurra.commerce.models import Quote, QuoteLineItem, QuoteStatus
from recurra.commerce.rules import checkout_errors, methods_errors
from recurra.core import events, records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, ValidationFailed
from recurra.crm.models import Deal
from recurra.subscriptions.services import INVOICE_LANGUAGES

DEFAULT_DAYS = 30
NAME_LIMIT: int = Quote._meta.get_field("name").max_length or 200


def today(at: datetime) -> date:
    return local_date(at, account_zone())


def _default_title(deal: Deal, language: str) -> str:
    """The default title ("Quote for <deal>") in the quote's language (the buyer reads it), stored
    as the quote's name: a quote's language never changes after."""
    with translation.override(language if language in INVOICE_LANGUAGES else "en"):
        return (gettext("Quote for %(deal)s") % {"deal": deal.name})[:NAME_LIMIT]


def is_expired(quote: Quote, at: datetime) -> bool:
    return today(at) > quote.expires_on


def quote_create(
    *,
    deal: Deal,
    line_items: list[LineItemInput] | None = None,
    name: str | None = None,
    expires_on: date | None = None,
    payment_enabled: bool = False,
    allowed_payment_methods: Iterable[str] = ("card", "ach"),
    collect_billing_address: bool = False,
    collect_shipping_address: bool = False,
    save_payment_method: bool = True,
    language: str = "en",
    comments: str = "",
    actor: Actor,
    at: datetime,
) -> Quote:
    """A draft quote of ``deal`` (its items when ``line_items`` is None)."""
    errors: list[FieldError] = []
    inputs = line_items if line_items is not None else [stored_input(i) for i in deal.line_items.all()]
    items: list[QuoteLineItem] = []
    if not inputs:
        errors.append(FieldError("line_items", "a quote needs at least one line item (the deal has none)"))
    else:
        try:
            items = [QuoteLineItem(**values) for values in resolve_line_items(inputs)]
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if deal.contact_id is None:
        errors.append(FieldError("deal_id", "the deal needs a contact: the quote is addressed to them"))
    now = today(at)
    expires_on = expires_on or now + timedelta(days=DEFAULT_DAYS)
    if expires_on < now:
        errors.append(FieldError("expires_on", f"must be today ({now.isoformat()}) or later"))
    title = (name or "").strip() or _default_title(deal, language)
    if len(title) > NAME_LIMIT:
        errors.append(FieldError("name", f"must be at most {NAME_LIMIT} characters"))
    if language not in INVOICE_LANGUAGES:
        errors.append(FieldError("language", f"must be one of {', '.join(INVOICE_LANGUAGES)}"))
    methods = list(dict.fromkeys(allowed_payment_methods))
    if payment_enabled:
        errors.extend(methods_errors(methods))
        if items:
            errors.extend(
                checkout_errors(
                    items, currency=items[0].currency, save_payment_method=save_payment_method, today=now
                )
            )
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    with transaction.atomic():
        quote = records.create(
            Quote,
            actor=actor,
            name=title,
            deal=deal,
            contact_id=deal.contact_id,
            company_id=deal.company_id,
            currency=items[0].currency,
            expires_on=expires_on,
            payment_enabled=payment_enabled,
            allowed_payment_methods=methods,
            collect_billing_address=collect_billing_address,
            collect_shipping_address=collect_shipping_address,
            save_payment_method=save_payment_method,
            language=language,
            comments=comments.strip(),
            created_at=at,
        )
        for item in items:
            item.quote = quote
        QuoteLineItem.objects.bulk_create(items)
    return quote


def quote_publish(*, quote: Quote, actor: Actor, at: datetime) -> Quote:
    """Give the quote its public page; publishing again is a no-op."""
    if quote.status == QuoteStatus.PUBLISHED:
        return quote
    if quote.status != QuoteStatus.DRAFT:
        raise Conflict(f"quote {quote.pk} is {quote.status}; only a draft can be published")
    if is_expired(quote, at):
        raise Conflict(f"quote {quote.pk} expired on {quote.expires_on.isoformat()}")
    return records.update(quote, actor=actor, verb="published", status=QuoteStatus.PUBLISHED, published_at=at)


def _acceptable(quote: Quote, at: datetime) -> None:
    if quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.CONVERTED):
        raise Conflict(f"this quote was already {quote.status}")
    if quote.status != QuoteStatus.PUBLISHED:
        raise Conflict("this quote has not been published")
    if is_expired(quote, at):
        raise Conflict(f"this quote expired on {quote.expires_on.isoformat()} and can no longer be accepted")


def quote_accept(
    *,
    quote: Quote,
    signed_name: str,
    buyer: Buyer | None = None,
    token: str | None = None,
    attempt: str | None = None,
    language: str | None = None,
    at: datetime,
) -> CheckoutResult | None:
    """Accept ``quote`` with the buyer's typed name; pay it when payment is enabled.

    Payment comes first: declined (422 on ``payment_method``), the quote
    stays published. Returns the checkout's result (None without payment).
    ``language``: the buyer's page's (``checkout``).
    """
    _acceptable(quote, at)
    errors = []
    signature = (signed_name or "").strip()
    if not signature:
        errors.append(FieldError("signed_name", "type your full name to accept"))
    elif len(signature) > 200:
        errors.append(FieldError("signed_name", "must be at most 200 characters"))
    if quote.payment_enabled and not token:
        errors.append(FieldError("payment_method", "is required: this quote is paid when accepted"))
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    buyer = buyer or Buyer(email=quote.contact.email if quote.contact else "")
    paid = None
    if quote.payment_enabled:
        paid = checkout(
            source=quote, buyer=buyer, token=token or "", attempt=attempt, language=language, at=at
        )
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status == QuoteStatus.PUBLISHED:
            records.update(
                locked,
                actor=Actor("system", quote.pk, f"{signature} (quote page)"),
                verb="accepted",
                status=QuoteStatus.ACCEPTED,
                accepted_at=at,
                signed_name=signature,
                signed_email=buyer.email,
            )
    quote.refresh_from_db()
    return paid


def has_recurring(quote: Quote) -> bool:
    return any(is_recurring(item.billing_frequency) for item in quote.line_items.all())


def quote_convert(
    *, quote: Quote, to: str, payment_terms: str = PaymentTerms.NET_30, actor: Actor, at: datetime
) -> Conversion:
    """Convert to subscriptions (``to="subscription"``, needs recurring items) or to an invoice
    (``to="invoice"``, a quote without recurring items); manual collection. Once per quote."""
    if quote.status == QuoteStatus.CONVERTED or quote.subscriptions.exists():
        raise Conflict(f"quote {quote.pk} has already been turned into subscriptions or an invoice")
    recurring = has_recurring(quote)
    if to == "subscription" and not recurring:
        raise Conflict(f"quote {quote.pk} has no recurring items: convert it to an invoice")
    if to == "invoice" and recurring:
        raise Conflict(f"quote {quote.pk} has recurring items: convert it to a subscription")
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status == QuoteStatus.CONVERTED:
            raise Conflict(f"quote {quote.pk} has already been converted")
        done = items_convert(
            contact=quote.contact,
            company=quote.company,
            deal=quote.deal,
            quote=quote,
            items=[stored_input(i) for i in quote.line_items.all()],
            payment_terms=payment_terms,
            actor=actor,
            at=at,
        )
        records.update(locked, actor=actor, verb="converted", status=QuoteStatus.CONVERTED, converted_at=at)
        after: dict[str, Any] = {"subscriptions": [s.pk for s in done.subscriptions]}
        if done.invoice is not None:
            after["invoice"] = done.invoice.pk
        events.record(type="quote.conversion", obj=locked, actor=actor, after=after)
    quote.refresh_from_db()
    return done
